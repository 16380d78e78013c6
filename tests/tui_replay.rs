//! Replay in the TUI, through the app's update function: what `r`, `ctrl+r`, `R` and `y` ask
//! the runtime to send, the confirmation before several or invalid events, an edited payload
//! validated before it goes, answers landing in the Replay view and in the event's Detail,
//! and a refused target saying why instead of sending. Views rendered with `TestBackend`.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

#[path = "tui/fixture.rs"]
mod fixture;

use ecapi_scope::app::replay::{Outcome, SendState};
use ecapi_scope::app::{App, Effect, Mode, Msg, ReplaySetup, View};
use ecapi_scope::replay::answer::Verdict;
use ecapi_scope::replay::prepare::Ids;
use ecapi_scope::replay::send::{Attempt, Exchange};
use ecapi_scope::tui::theme::Theme;
use ecapi_scope::tui::views;
use fixture::{app, code, key, NOW_MS};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use std::time::Duration;

const TARGET: &str = "http://127.0.0.1:4391/";

fn replay_app() -> App {
    let mut a = app(120, 20);
    a.setup.replay = ReplaySetup {
        target: Some(TARGET.into()),
        refusal: None,
        token_env: Some("PARTNER_TOKEN".into()),
        token_in_config: false,
    };
    a
}

fn screen(a: &App) -> String {
    let mut t = Terminal::new(TestBackend::new(a.size.width, a.size.height)).unwrap();
    t.draw(|f| views::draw(f, a, &Theme::load(None, false).unwrap()))
        .unwrap();
    let buf = t.backend().buffer();
    let mut out = String::new();
    for y in 0..buf.area.height {
        for x in 0..buf.area.width {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The sends an effect list asks for: (send number, event seq).
fn sends(fx: &[Effect]) -> Vec<(u64, u64)> {
    fx.iter()
        .flat_map(|e| match e {
            Effect::Replay { sends, .. } => sends.iter().map(|(n, i)| (*n, i.seq)).collect(),
            _ => Vec::new(),
        })
        .collect()
}

fn answered(status: u16, verdict: Verdict, attempts: usize) -> Box<Outcome> {
    let attempt = |s: u16| Attempt {
        status: Some(s),
        error: None,
        latency: Duration::from_micros(1500),
        retry_after: (s == 503).then_some(Duration::from_secs(1)),
        waited: (s == 503).then_some(Duration::from_secs(1)),
    };
    let mut list: Vec<Attempt> = (1..attempts).map(|_| attempt(503)).collect();
    list.push(attempt(status));
    Box::new(Outcome {
        exchange: Exchange {
            request: 0,
            attempts: list,
            response: r#"{"status":200,"received":1}"#.into(),
            verdicts: vec![verdict],
            started_ms: NOW_MS,
        },
        body: br#"{"id":"ord-1"}"#.to_vec(),
        id: Some("ord-1".into()),
    })
}

fn ctrl(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

#[test]
fn r_sends_the_selected_valid_event_at_once_and_its_answer_shows_everywhere() {
    let mut a = replay_app();
    for _ in 0..7 {
        a.update(key('k'));
    }
    assert_eq!(a.selected, Some(1));
    let fx = a.update(key('r'));
    assert_eq!(
        sends(&fx),
        vec![(1, 1)],
        "one valid event: no question asked"
    );
    assert!(matches!(&fx[0], Effect::Replay { ids: Ids::Keep, .. }));
    assert!(matches!(
        a.replays.get(1).unwrap().state,
        SendState::Pending
    ));
    a.update(Msg::Replayed(
        1,
        answered(200, Verdict::Accepted { duplicate: false }, 2),
    ));
    a.update(key('5'));
    assert_eq!(a.view, View::Replay);
    let s = screen(&a);
    assert!(s.contains("Replay → http://127.0.0.1:4391/"), "{s}");
    assert!(
        s.contains("accepted") && s.contains("200") && s.contains("ord-1"),
        "{s}"
    );
    a.update(code(KeyCode::Enter));
    let s = screen(&a);
    assert!(
        s.contains("1. 503 in 1.5 ms, Retry-After 1s, waited 1000.0 ms"),
        "{s}"
    );
    assert!(s.contains("2. 200 in 1.5 ms"), "{s}");
    // The event's Detail: received → valid → accepted.
    a.update(key('1'));
    a.update(code(KeyCode::Enter));
    let s = screen(&a);
    assert!(s.contains("replay #1 → received → ✓ ok → accepted"), "{s}");
}

#[test]
fn marked_and_invalid_events_wait_for_enter_and_esc_sends_nothing() {
    let mut a = replay_app();
    a.update(key('k'));
    a.update(key('m')); // seq 7
    a.update(key('g'));
    a.update(key('j'));
    a.update(key('m')); // seq 2: an error (value without currency)
    let fx = a.update(key('r'));
    assert!(sends(&fx).is_empty());
    let Mode::Confirm(c) = &a.mode else {
        panic!("expected a confirmation")
    };
    assert_eq!(c.items.len(), 2);
    assert_eq!(c.invalid, 1);
    let s = screen(&a);
    assert!(
        s.contains("Replay 2 events to http://127.0.0.1:4391/, each keeping its id?"),
        "{s}"
    );
    assert!(
        s.contains("1 of them have errors as they will be sent."),
        "{s}"
    );
    let fx = a.update(code(KeyCode::Esc));
    assert!(sends(&fx).is_empty() && a.mode == Mode::Normal);
    assert!(a.replays.sends.is_empty());
    a.update(key('r'));
    let fx = a.update(code(KeyCode::Enter));
    assert_eq!(sends(&fx), vec![(1, 2), (2, 7)]);
}

#[test]
fn ctrl_r_sends_every_event_the_filter_shows_with_fresh_ids_when_asked() {
    let mut a = replay_app();
    a.update(key('/'));
    for c in "type:purchase".chars() {
        a.update(key(c));
    }
    a.update(code(KeyCode::Enter));
    a.update(key('i'));
    assert_eq!(a.replays.ids, Ids::Fresh);
    a.update(ctrl('r'));
    let fx = a.update(code(KeyCode::Enter));
    let seqs: Vec<u64> = sends(&fx).into_iter().map(|(_, s)| s).collect();
    assert_eq!(seqs, vec![1, 2, 4, 5]);
    assert!(matches!(
        &fx[0],
        Effect::Replay {
            ids: Ids::Fresh,
            ..
        }
    ));
}

#[test]
fn both_versions_of_a_duplicate_are_replayed_from_the_duplicates_view() {
    let mut a = replay_app();
    a.update(key('4'));
    let fx = a.update(key('r'));
    assert!(sends(&fx).is_empty(), "nothing opened yet");
    a.update(code(KeyCode::Enter));
    a.update(key('r'));
    let fx = a.update(code(KeyCode::Enter));
    let seqs: Vec<u64> = sends(&fx).into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        seqs,
        vec![1, 5],
        "the first occurrence and the latest version"
    );
}

#[test]
fn an_edited_payload_is_validated_and_its_findings_shown_before_it_goes() {
    let mut a = replay_app();
    let fx = a.update(key('R'));
    let Some(Effect::Edit { seq, raw }) = fx.first() else {
        panic!("expected an edit: {fx:?}")
    };
    assert_eq!(*seq, 8);
    let edited = String::from_utf8(raw.to_vec())
        .unwrap()
        .replace(r#""timestamp":1796149994,"#, "");
    a.update(Msg::Edited {
        seq: 8,
        result: Ok(edited.clone().into_bytes()),
    });
    let Mode::Confirm(c) = &a.mode else {
        panic!("expected a confirmation")
    };
    assert_eq!(&*c.items[0].raw, edited.as_bytes());
    assert!(c.items[0].edited);
    let s = screen(&a);
    assert!(s.contains("The edited event is ✗ error"), "{s}");
    assert!(s.contains("timestamp_missing at $.timestamp"), "{s}");
    let fx = a.update(code(KeyCode::Enter));
    let Some(Effect::Replay { sends, .. }) = fx.first() else {
        panic!("expected a replay")
    };
    assert_eq!(
        &*sends[0].1.raw,
        edited.as_bytes(),
        "the edited text is what goes"
    );
    // An editor that failed sends nothing and says why.
    a.update(Msg::Edited {
        seq: 8,
        result: Err("the editor \"vi\" exited with 1".into()),
    });
    assert_eq!(a.mode, Mode::Normal);
    assert!(a.message.as_ref().unwrap().0.contains("not sent"));
}

#[test]
fn y_copies_a_curl_command_naming_the_token_variable_only() {
    let mut a = replay_app();
    let fx = a.update(key('y'));
    let Some(Effect::Copy { text, .. }) = fx.first() else {
        panic!("expected a copy")
    };
    assert!(
        text.starts_with("curl -sS -X POST 'http://127.0.0.1:4391/'"),
        "{text}"
    );
    assert!(
        text.contains(r#"-H "Authorization: Bearer $PARTNER_TOKEN""#),
        "{text}"
    );
    assert!(text.contains("--data-binary '{\"data_set_id\":\"acme-web\",\"id\":\"lead-1\""));
    assert!(!text.contains("config file"));
    // A token written in the config cannot be named: the command says what to add.
    a.setup.replay.token_in_config = true;
    a.setup.replay.token_env = None;
    let fx = a.update(key('y'));
    let Some(Effect::Copy { text, .. }) = fx.first() else {
        panic!("expected a copy")
    };
    assert!(!text.contains("Authorization: Bearer $"), "{text}");
    assert!(
        text.contains("# the token is in the config file's [replay] token"),
        "{text}"
    );
}

#[test]
fn a_target_off_the_allow_list_is_said_and_nothing_is_sent() {
    let mut a = replay_app();
    a.setup.replay.refusal =
        Some("refusing to replay to capi.example.com:443: it is not on the allow-list".into());
    let fx = a.update(key('r'));
    assert!(sends(&fx).is_empty());
    assert!(a
        .message
        .as_ref()
        .unwrap()
        .0
        .contains("not on the allow-list"));
    a.update(key('5'));
    assert!(screen(&a).contains("refusing to replay to capi.example.com:443"));
}

#[test]
fn replay_view_snapshot() {
    let mut a = replay_app();
    a.update(key('r'));
    a.update(Msg::Replayed(
        1,
        answered(200, Verdict::Accepted { duplicate: true }, 1),
    ));
    a.update(key('k'));
    a.update(key('k'));
    a.update(key('r'));
    a.update(code(KeyCode::Enter)); // seq 6 is malformed: asked first
    a.update(Msg::Replayed(
        2,
        answered(
            400,
            Verdict::Rejected {
                status: 400,
                reason: "the body holds no usable event".into(),
            },
            1,
        ),
    ));
    a.update(key('5'));
    insta::assert_snapshot!(screen(&a));
}
