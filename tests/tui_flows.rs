//! Flows through the app's update function, message by message: no terminal, no clock, no
//! sleeps. Filter, pause and resume, follow, detail and back, marks, error jumps, keys.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

#[path = "tui/fixture.rs"]
mod fixture;

use ecapi_scope::app::keymap::Keymap;
use ecapi_scope::app::sink::rows_of;
use ecapi_scope::app::{Mode, Msg, View};
use ecapi_scope::engine::EngineConfig;
use fixture::{app, app_with, code, key, EVENTS, NOW_MS};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

fn type_text(a: &mut ecapi_scope::app::App, text: &str) {
    for c in text.chars() {
        a.update(key(c));
    }
}

/// More rows, numbered after the fixture's, as the hub would send them.
fn more_rows(from: u64, n: usize) -> Msg {
    let line = EVENTS[0].as_bytes();
    let records: Vec<&[u8]> = (0..n).map(|_| line).collect();
    let (mut rows, _) = rows_of(&records, "events.ndjson", NOW_MS, EngineConfig::default());
    for (i, r) in rows.iter_mut().enumerate() {
        r.seq = from + i as u64;
    }
    Msg::Rows(rows)
}

#[test]
fn follows_the_tail_until_the_user_moves() {
    let mut a = app(120, 16);
    assert!(a.follow);
    assert_eq!(a.selected, Some(8));
    a.update(more_rows(9, 2));
    assert_eq!(a.selected, Some(10), "following moves to the newest");
    a.update(key('k'));
    assert!(!a.follow);
    assert_eq!(a.selected, Some(9));
    a.update(more_rows(11, 5));
    assert_eq!(
        a.selected,
        Some(9),
        "the cursor stays on its event while rows arrive"
    );
    a.update(key('F'));
    assert!(a.follow);
    assert_eq!(a.selected, Some(15));
    a.update(key('g'));
    a.update(key('G'));
    assert!(a.follow && a.selected == Some(15));
}

#[test]
fn pause_hides_new_rows_and_counts_them() {
    let mut a = app(120, 16);
    a.update(key(' '));
    assert!(a.pause.is_some());
    a.update(more_rows(9, 3));
    assert_eq!(a.limit(), 8, "paused: the table keeps what it showed");
    assert_eq!(a.arrived_since_pause(), 3);
    assert_eq!(a.selected, Some(8));
    a.update(key(' '));
    assert!(a.pause.is_none());
    assert_eq!(a.limit(), 11);
    assert_eq!(a.selected, Some(11));
}

#[test]
fn regression_pause_keeps_the_paused_rows_when_the_window_is_full() {
    let mut a =
        ecapi_scope::app::App::new(ecapi_scope::app::Setup::default(), Keymap::default(), 5);
    a.update(Msg::Resize(120, 16));
    a.update(more_rows(1, 5));
    a.update(key(' '));
    a.update(more_rows(6, 12));
    let shown: Vec<_> = a.window.visible_rows(0, 10).map(|r| r.seq).collect();
    assert_eq!(shown, [1, 2, 3, 4, 5], "what was paused stays on screen");
    assert_eq!(a.arrived_since_pause(), 12);
    a.update(Msg::Dropped(0));
    assert_eq!(
        a.dropped, 7,
        "what the pause could not hold is dropped by the display"
    );
    a.update(key(' '));
    let shown: Vec<_> = a.window.visible_rows(0, 10).map(|r| r.seq).collect();
    assert_eq!(shown, [13, 14, 15, 16, 17]);
}

#[test]
fn regression_following_uses_the_whole_table_after_a_filter_is_cleared() {
    let mut a =
        ecapi_scope::app::App::new(ecapi_scope::app::Setup::default(), Keymap::default(), 100);
    a.update(Msg::Resize(120, 16));
    a.update(more_rows(1, 40));
    a.update(key('/'));
    type_text(&mut a, "id:nothing-matches");
    a.update(code(KeyCode::Enter));
    a.update(code(KeyCode::Esc));
    assert!(a.follow);
    assert_eq!(a.top_pos(), 40 - a.table_rows(), "the tail fills the table");
    a.update(Msg::Resize(40, 8));
    a.update(Msg::Resize(120, 16));
    assert_eq!(a.top_pos(), 40 - a.table_rows());
}

#[test]
fn n_steps_through_the_findings_of_an_event() {
    let mut a = app(120, 30);
    a.update(key('g'));
    a.update(key('j'));
    a.update(code(KeyCode::Enter));
    let n = a.detail.as_ref().unwrap().row.findings.len();
    assert!(n >= 1);
    a.update(key('n'));
    assert_eq!(a.detail.as_ref().unwrap().finding, Some(0));
    for _ in 0..n + 2 {
        a.update(key('n'));
    }
    assert_eq!(a.detail.as_ref().unwrap().finding, Some(n - 1));
    a.update(key('N'));
    assert_eq!(
        a.detail.as_ref().unwrap().finding,
        Some(n.saturating_sub(2))
    );
}

#[test]
fn error_jumps_and_marks() {
    let mut a = app(120, 16);
    a.update(key('g'));
    assert_eq!(a.selected, Some(1));
    a.update(key('e'));
    let first_error = a.selected.unwrap();
    let row = a.window.get(first_error).unwrap();
    assert!(row.is_error(), "{:?}", row.status);
    a.update(key('e'));
    let second = a.selected.unwrap();
    assert!(second > first_error && a.window.get(second).unwrap().is_error());
    a.update(key('E'));
    assert_eq!(a.selected, Some(first_error));
    a.update(key('m'));
    a.update(key('j'));
    a.update(key('m'));
    assert_eq!(a.marks.len(), 2);
    a.update(key('k'));
    a.update(key('m'));
    assert_eq!(a.marks.len(), 1);
    a.update(key('G'));
    a.update(key('e'));
    assert!(a.message.as_ref().unwrap().0.contains("no error below"));
}

#[test]
fn filter_narrows_the_table_and_esc_clears_it() {
    let mut a = app(120, 16);
    a.update(key('/'));
    assert!(matches!(a.mode, Mode::Filter(_)));
    type_text(&mut a, "status:error");
    a.update(code(KeyCode::Enter));
    assert_eq!(a.mode, Mode::Normal);
    let shown: Vec<_> = a.window.visible_rows(0, 100).map(|r| r.seq).collect();
    assert!(!shown.is_empty());
    assert!(a
        .window
        .visible_rows(0, 100)
        .all(|r| r.status.name() == "error"));
    // A new row that does not match stays out; one that matches comes in.
    a.update(more_rows(9, 1));
    assert_eq!(a.window.visible_len(), shown.len());
    a.update(code(KeyCode::Esc));
    assert!(a.window.filter().is_none());
    assert_eq!(a.window.visible_len(), 9);
    // Negation and free text.
    a.update(key('/'));
    type_text(&mut a, "-type:purchase acme");
    a.update(code(KeyCode::Enter));
    assert!(a
        .window
        .visible_rows(0, 100)
        .all(|r| r.event_type.as_deref() != Some("purchase")));
}

#[test]
fn a_bad_filter_is_an_inline_error_and_changes_nothing() {
    let mut a = app(120, 16);
    a.update(key('/'));
    type_text(&mut a, "typ:purchase");
    match &a.mode {
        Mode::Filter(line) => assert!(line.error.as_ref().unwrap().contains("did you mean")),
        other => panic!("{other:?}"),
    }
    a.update(code(KeyCode::Enter));
    assert!(a.window.filter().is_none());
    assert!(
        matches!(a.mode, Mode::Filter(_)),
        "a bad filter stays open to be fixed"
    );
    a.update(code(KeyCode::Esc));
    a.update(key('/'));
    type_text(&mut a, "x");
    a.update(code(KeyCode::Esc));
    assert!(a.window.filter().is_none(), "esc cancels");
}

#[test]
fn detail_and_back_and_first_occurrence() {
    let mut a = app(120, 30);
    a.update(key('g'));
    for _ in 0..3 {
        a.update(key('j'));
    }
    let fx = a.update(code(KeyCode::Enter));
    assert_eq!(fx.len(), 1);
    let d = a.detail.as_ref().unwrap();
    assert_eq!(d.row.seq, 4);
    assert!(d.row.duplicate.is_some());
    a.update(key('d'));
    assert_eq!(
        a.detail.as_ref().unwrap().row.seq,
        1,
        "d goes to the first occurrence"
    );
    assert_eq!(a.selected, Some(1));
    a.update(key('j'));
    assert_eq!(a.detail.as_ref().unwrap().scroll, 1);
    a.update(code(KeyCode::Esc));
    assert!(a.detail.is_none());
    assert_eq!(a.selected, Some(1));
    a.update(key('d'));
    assert!(a.detail.is_none(), "d does nothing in the table");
}

#[test]
fn views_switch_by_number_tab_and_name() {
    let mut a = app(120, 16);
    a.update(key('6'));
    assert_eq!(a.view, View::Sources);
    a.update(code(KeyCode::Tab));
    assert_eq!(a.view, View::Live);
    a.update(key(':'));
    type_text(&mut a, "sources");
    a.update(code(KeyCode::Enter));
    assert_eq!(a.view, View::Sources);
    a.update(key(':'));
    type_text(&mut a, "sorces");
    a.update(code(KeyCode::Enter));
    assert!(a
        .message
        .as_ref()
        .unwrap()
        .0
        .contains("did you mean :sources"));
    a.update(key('1'));
    assert_eq!(a.view, View::Live);
    a.update(key('q'));
    assert!(a.quit);
}

#[test]
fn overridden_keys_take_effect() {
    let table = toml::from_str("next_error = \"n\"\nquit = \"x\"").unwrap();
    let mut a = app_with(Keymap::with_overrides(&table).unwrap(), 120, 16);
    a.update(key('g'));
    a.update(key('n'));
    assert!(a.window.get(a.selected.unwrap()).unwrap().is_error());
    a.update(key('q'));
    assert!(!a.quit, "q is no longer quit");
    a.update(key('x'));
    assert!(a.quit);
}

#[test]
fn mouse_wheel_scrolls_and_click_selects() {
    let mut a = app(120, 16);
    let mouse = |kind, row| {
        Msg::Mouse(MouseEvent {
            kind,
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        })
    };
    a.update(mouse(MouseEventKind::ScrollUp, 5));
    assert_eq!(a.selected, Some(5));
    a.update(mouse(MouseEventKind::ScrollDown, 5));
    assert_eq!(a.selected, Some(8));
    // Body starts at row 3; its first line is the column header; the first event is row 4.
    a.update(mouse(
        MouseEventKind::Down(ratatui::crossterm::event::MouseButton::Left),
        5,
    ));
    assert_eq!(
        a.selected,
        Some(a.window.visible_at(a.top_pos() + 1).unwrap())
    );
}

#[test]
fn the_window_evicts_and_counts() {
    let mut a =
        ecapi_scope::app::App::new(ecapi_scope::app::Setup::default(), Keymap::default(), 5);
    a.update(Msg::Resize(120, 16));
    a.update(more_rows(1, 12));
    assert_eq!(a.window.len(), 5);
    assert_eq!(a.window.evicted, 7);
    assert_eq!(a.selected, Some(12));
    a.update(key('g'));
    assert_eq!(a.selected, Some(8));
}

#[test]
fn ctrl_c_quits_even_while_typing_a_filter() {
    let mut a = app(120, 16);
    a.update(key('/'));
    a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert_eq!(a.mode, Mode::Normal);
    a.update(Msg::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(a.quit);
}
