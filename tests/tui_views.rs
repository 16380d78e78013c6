//! Every view rendered into ratatui's TestBackend with a fixed clock, size and events, and
//! snapshotted; colour where colour is the point.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

#[path = "tui/fixture.rs"]
mod fixture;

use ecapi_scope::app::detail::Doc;
use ecapi_scope::app::{App, Effect, Msg, Setup};
use ecapi_scope::ingest::status::{PartitionView, SourceState};
use ecapi_scope::tui::theme::Theme;
use ecapi_scope::tui::{highlight, views};
use fixture::{app, code, key, source, NOW_MS};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;
use ratatui::Terminal;
use std::sync::Arc;

fn render(app: &App, theme: &Theme) -> Terminal<TestBackend> {
    let size = app.size;
    let mut t = Terminal::new(TestBackend::new(size.width, size.height)).unwrap();
    t.draw(|f| views::draw(f, app, theme)).unwrap();
    t
}

fn dark() -> Theme {
    Theme::load(None, false).unwrap()
}

/// Runs the effects as the TUI's loop would (highlighting on this thread).
fn run(app: &mut App, effects: Vec<Effect>) {
    let syntaxes = syntect::parsing::SyntaxSet::load_defaults_newlines();
    for effect in effects {
        let Effect::Highlight { seq, raw, as_text } = effect else {
            continue;
        };
        let doc: Doc = if as_text {
            highlight::text(&raw)
        } else {
            highlight::document(&raw, &syntaxes)
        };
        app.update(Msg::Highlighted(seq, Arc::new(doc)));
    }
}

#[test]
fn live_view() {
    let a = app(120, 16);
    insta::assert_snapshot!(render(&a, &dark()).backend());
}

#[test]
fn live_view_colours_rows_by_status() {
    let a = app(120, 16);
    let theme = dark();
    let t = render(&a, &theme);
    let buf = t.backend().buffer();
    let cell_with = |text: &str| {
        (0..buf.area.height).find_map(|y| {
            let line: String = (0..buf.area.width).map(|x| buf[(x, y)].symbol()).collect();
            line.find(text)
                .map(|x| buf[(line[..x].chars().count() as u16, y)].style())
        })
    };
    assert_eq!(cell_with("✗ error").unwrap().fg, theme.error.fg);
    assert_eq!(cell_with("✓ ok").unwrap().fg, theme.ok.fg);
    assert_eq!(cell_with("? malformed").unwrap().fg, theme.malformed.fg);
}

#[test]
fn detail_view_marks_findings_at_their_path() {
    let mut a = app(120, 30);
    a.update(key('g'));
    a.update(key('j'));
    let fx = a.update(code(KeyCode::Enter));
    assert_eq!(fx.len(), 1, "opening asks for highlighting");
    run(&mut a, fx);
    insta::assert_snapshot!(render(&a, &dark()).backend());
}

#[test]
fn detail_view_says_where_a_kafka_record_was_and_escapes_its_key() {
    let records: Vec<&[u8]> = fixture::EVENTS[..1].iter().map(|e| e.as_bytes()).collect();
    let (mut rows, _) = ecapi_scope::app::sink::rows_of(
        &records,
        "kafka://127.0.0.1:9092/events",
        NOW_MS,
        ecapi_scope::engine::EngineConfig::default(),
    );
    rows[0].message = Some(Arc::new(ecapi_scope::ingest::MessageDetail {
        topic: "events".into(),
        partition: 2,
        offset: 41,
        key: Some(b"shop:\x1b[2J\xc2\x9b31m".to_vec()),
        timestamp_ms: Some(NOW_MS - 1_500),
    }));
    let mut a = App::new(
        Setup::default(),
        ecapi_scope::app::keymap::Keymap::default(),
        100,
    );
    a.update(Msg::Resize(120, 20));
    a.update(Msg::Tick(NOW_MS));
    a.update(Msg::Rows(rows));
    let fx = a.update(code(KeyCode::Enter));
    run(&mut a, fx);
    let t = render(&a, &dark());
    let text: String = t
        .backend()
        .buffer()
        .content()
        .iter()
        .map(ratatui::buffer::Cell::symbol)
        .collect();
    assert!(text.contains("events[2] @ offset 41"), "{text}");
    assert!(text.contains("written 18:33:18.500 UTC"), "{text}");
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{9b}'),
        "escaped: {text}"
    );
    insta::assert_snapshot!(t.backend());
}

#[test]
fn detail_view_of_a_conflict_and_escaped_payload() {
    let mut a = app(120, 30);
    a.update(key('g'));
    for _ in 0..4 {
        a.update(key('j'));
    }
    let fx = a.update(code(KeyCode::Enter));
    run(&mut a, fx);
    insta::assert_snapshot!("conflict", render(&a, &dark()).backend());
    a.update(code(KeyCode::Esc));
    a.update(key('j'));
    a.update(key('j'));
    let fx = a.update(code(KeyCode::Enter));
    run(&mut a, fx);
    insta::assert_snapshot!("escaped", render(&a, &dark()).backend());
}

#[test]
fn a_malformed_record_is_shown_as_the_text_it_is() {
    let mut a = app(120, 24);
    a.update(key('g'));
    for _ in 0..5 {
        a.update(key('j'));
    }
    assert_eq!(
        a.window.get(a.selected.unwrap()).unwrap().status.name(),
        "malformed"
    );
    let fx = a.update(code(KeyCode::Enter));
    run(&mut a, fx);
    let doc = a.detail.as_ref().unwrap().doc.clone().unwrap();
    assert_eq!(doc.lines.len(), 1, "not re-indented as JSON");
    assert_eq!(doc.lines[0].text, fixture::EVENTS[5]);
    insta::assert_snapshot!(render(&a, &dark()).backend());
}

#[test]
fn the_curl_line_posts_a_valid_event() {
    let curl = ecapi_scope::tui::curl_line("127.0.0.1:4390", NOW_MS / 1000);
    assert!(curl.lines().all(|l| l.chars().count() < 100), "{curl}");
    let body = curl.split_once("-d '").unwrap().1.trim_end_matches('\'');
    let (rows, _) = ecapi_scope::app::sink::rows_of(
        &[body.as_bytes()],
        "curl",
        NOW_MS,
        ecapi_scope::engine::EngineConfig::default(),
    );
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status.name(), "ok");
    assert!(rows[0].findings.is_empty(), "{:?}", rows[0].findings);
}

#[test]
fn sources_view() {
    let mut a = app(120, 16);
    a.update(Msg::Sources(vec![
        source("events.ndjson", SourceState::Connected),
        source(
            "http-listen://127.0.0.1:4390",
            SourceState::Failed(
                "cannot listen on 127.0.0.1:4390: Address in use (os error 98)".into(),
            ),
        ),
        source(
            "tcp://127.0.0.1:9",
            SourceState::Reconnecting {
                attempt: 3,
                next_attempt: std::time::SystemTime::UNIX_EPOCH,
                reason: "Connection refused (os error 111)".into(),
            },
        ),
    ]));
    a.update(key('6'));
    insta::assert_snapshot!(render(&a, &dark()).backend());
}

#[test]
fn sources_view_lists_a_kafka_sources_partitions_and_lag() {
    // 80 columns, a topic name too long for its column: the partition number stays.
    let mut a = app(80, 24);
    let topic = "ecommerce.checkout.events.v2";
    let mut kafka = source(
        &format!("kafka://127.0.0.1:9092/{topic}?group=qa"),
        SourceState::Assigned(format!("{topic}[0,1,2]")),
    );
    kafka.partitions = (0..3)
        .map(|p| PartitionView {
            topic: topic.into(),
            partition: p,
            position: (p != 2).then_some(1_000 * i64::from(p + 1)),
            committed: (p == 0).then_some(1_000),
            high_watermark: Some(3_500),
            lag: (p != 2).then_some(3_500 - 1_000 * i64::from(p + 1)),
        })
        .collect();
    a.update(Msg::Sources(vec![kafka]));
    a.update(key('6'));
    let t = render(&a, &dark());
    let text = format!("{:?}", t.backend());
    for p in 0..3 {
        assert!(text.contains(&format!("[{p}]")), "partition {p} shown");
    }
    insta::assert_snapshot!(t.backend());
}

#[test]
fn help_overlay() {
    let mut a = app(100, 50);
    a.update(key('?'));
    insta::assert_snapshot!(render(&a, &dark()).backend());
}

#[test]
fn filter_being_typed_with_an_error() {
    let mut a = app(120, 16);
    a.update(key('/'));
    for c in "status:error typ:x".chars() {
        a.update(key(c));
    }
    insta::assert_snapshot!(render(&a, &dark()).backend());
}

#[test]
fn empty_state_shows_the_curl_line() {
    let setup = Setup {
        curl: Some(ecapi_scope::tui::curl_line("127.0.0.1:4390", NOW_MS / 1000)),
        embedded: Some("127.0.0.1:4390".into()),
        ..Setup::default()
    };
    let mut a = App::new(setup, ecapi_scope::app::keymap::Keymap::default(), 10);
    a.update(Msg::Resize(100, 14));
    a.update(Msg::Tick(NOW_MS));
    a.update(Msg::Sources(vec![source(
        "http-listen://127.0.0.1:4390",
        SourceState::Listening("127.0.0.1:4390".into()),
    )]));
    insta::assert_snapshot!(render(&a, &dark()).backend());
}

#[test]
fn port_taken_is_said_on_screen() {
    let setup = Setup {
        embedded: Some("127.0.0.1:4390".into()),
        ..Setup::default()
    };
    let mut a = App::new(setup, ecapi_scope::app::keymap::Keymap::default(), 10);
    a.update(Msg::Resize(100, 14));
    a.update(Msg::Sources(vec![source(
        "http-listen://127.0.0.1:4390",
        SourceState::Failed("cannot listen on 127.0.0.1:4390: Address in use (os error 98)".into()),
    )]));
    let t = render(&a, &dark());
    let text = format!("{}", t.backend());
    assert!(text.contains("--listen 127.0.0.1:PORT"), "{text}");
}

#[test]
fn tiny_terminal_says_too_small() {
    let mut a = app(40, 10);
    a.update(Msg::Resize(40, 10));
    insta::assert_snapshot!(render(&a, &dark()).backend());
}

#[test]
fn no_color_is_still_readable() {
    let a = app(120, 16);
    let theme = Theme::load(None, true).unwrap();
    let t = render(&a, &theme);
    let buf = t.backend().buffer();
    for cell in buf.content() {
        assert_eq!(
            cell.fg,
            ratatui::style::Color::Reset,
            "no colour with NO_COLOR"
        );
        assert_eq!(cell.bg, ratatui::style::Color::Reset);
    }
    let text = format!("{}", t.backend());
    assert!(text.contains("✗ error") && text.contains("✓ ok"));
}

#[test]
fn every_theme_renders_every_view() {
    for (name, _) in ecapi_scope::tui::theme::BUILT_IN {
        let theme = Theme::load(Some(name), false).unwrap();
        let mut a = app(100, 30);
        render(&a, &theme);
        let fx = a.update(code(KeyCode::Enter));
        run(&mut a, fx);
        render(&a, &theme);
        a.update(key('6'));
        render(&a, &theme);
        a.update(key('?'));
        render(&a, &theme);
    }
}

#[test]
fn payload_escapes_never_reach_the_screen() {
    let mut a = app(160, 30);
    a.update(key('g'));
    for _ in 0..6 {
        a.update(key('j'));
    }
    for step in 0..2 {
        let t = render(&a, &dark());
        for cell in t.backend().buffer().content() {
            assert!(
                !cell.symbol().chars().any(char::is_control),
                "a control character reached the screen ({step})"
            );
        }
        let text = format!("{}", t.backend());
        assert!(
            text.contains("\\u{1b}"),
            "escapes are shown visibly: {text}"
        );
        let fx = a.update(code(KeyCode::Enter));
        run(&mut a, fx);
    }
}
