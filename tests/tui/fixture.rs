//! Events for the TUI's tests, written from the spec's text and from the way real senders err,
//! judged by the real engine; a fixed clock and fixed sources.

use ecapi_scope::app::keymap::Keymap;
use ecapi_scope::app::sink::rows_of;
use ecapi_scope::app::{App, Msg, Setup, SourceView};
use ecapi_scope::engine::EngineConfig;
use ecapi_scope::ingest::status::SourceState;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// 2026-12-01T18:33:20Z.
pub const NOW_MS: i64 = 1_796_150_000_000;

pub const EVENTS: &[&str] = &[
    r#"{"data_set_id":"acme-web","id":"ord-1","timestamp":1796149990,"event_type":"purchase","value":42.5,"currency_code":"USD","source":"website","user_data":{"email_address":["b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"]}}"#,
    r#"{"data_set_id":"acme-web","id":"ord-2","timestamp":1796149991,"event_type":"purchase","value":10,"source":"website"}"#,
    r#"{"data_set_id":"acme-app","id":"pv-1","timestamp":1796149992000,"event_type":"page_view","source":"app"}"#,
    r#"{"data_set_id":"acme-web","id":"ord-1","timestamp":1796149990,"event_type":"purchase","value":42.5,"currency_code":"USD","source":"website","user_data":{"email_address":["b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"]}}"#,
    r#"{"data_set_id":"acme-web","id":"ord-1","timestamp":1796149990,"event_type":"purchase","value":99,"currency_code":"USD","source":"website"}"#,
    r#"{"data_set_id":"acme-web","id":"x"#,
    r#"{"data_set_id":"evil\u001b]0;pwned\u0007","id":"e\u001b[2J\u009b31m","timestamp":1796149993,"event_type":"add_to_cart","source":"website","k\u001b[31m":1}"#,
    r#"{"data_set_id":"acme-web","id":"lead-1","timestamp":1796149994,"event_type":"generate_lead","source":"website","properties":{"page_url":"https://acme.example/contact"}}"#,
];

pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

pub fn code(c: KeyCode) -> Msg {
    Msg::Key(KeyEvent::new(c, KeyModifiers::NONE))
}

pub fn source(label: &str, state: SourceState) -> SourceView {
    SourceView {
        label: label.into(),
        state,
        records: 8,
        bytes: 1_234,
        malformed: 1,
        dropped: 0,
        connections: 1,
        last_error: None,
        refused: Vec::new(),
        partitions: Vec::new(),
    }
}

/// An app holding the fixture, sized `w`×`h`, at `NOW_MS`.
pub fn app(w: u16, h: u16) -> App {
    app_with(Keymap::default(), w, h)
}

pub fn app_with(keymap: Keymap, w: u16, h: u16) -> App {
    let records: Vec<&[u8]> = EVENTS.iter().map(|e| e.as_bytes()).collect();
    let (rows, agg) = rows_of(&records, "events.ndjson", NOW_MS, EngineConfig::default());
    let mut app = App::new(Setup::default(), keymap, 100);
    app.update(Msg::Resize(w, h));
    app.update(Msg::Tick(NOW_MS));
    app.update(Msg::Sources(vec![source(
        "events.ndjson",
        SourceState::Connected,
    )]));
    app.update(Msg::Rows(rows));
    app.update(Msg::Aggregates(Box::new(agg)));
    app
}
