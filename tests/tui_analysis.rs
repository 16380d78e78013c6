//! The Funnel, Problems and Duplicates views: snapshots with fixed data, flows through the
//! app's update function (drill-down and back, sorting, choosing a data set, the diff of a
//! conflicting pair), and the numbers on screen against `check --format json` on the same input.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

#[path = "tui/fixture.rs"]
mod fixture;

use ecapi_scope::app::analysis::ProblemSort;
use ecapi_scope::app::versions::DiffLine;
use ecapi_scope::app::{App, View};
use ecapi_scope::output::thousands;
use ecapi_scope::tui::theme::Theme;
use ecapi_scope::tui::views;
use fixture::{app, code, key, EVENTS, NOW_MS};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::KeyCode;
use ratatui::Terminal;

fn screen(app: &App) -> String {
    let size = app.size;
    let mut t = Terminal::new(TestBackend::new(size.width, size.height)).unwrap();
    let theme = Theme::load(None, false).unwrap();
    t.draw(|f| views::draw(f, app, &theme)).unwrap();
    format!("{}", t.backend())
}

/// The screen's lines (the backend shows each one quoted).
fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(|l| {
            l.strip_prefix('"')
                .and_then(|l| l.strip_suffix('"'))
                .unwrap_or(l)
                .to_owned()
        })
        .collect()
}

#[test]
fn funnel_view() {
    let mut a = app(140, 34);
    a.update(key('2'));
    insta::assert_snapshot!(screen(&a));
}

#[test]
fn problems_view() {
    let mut a = app(140, 24);
    a.update(key('3'));
    insta::assert_snapshot!(screen(&a));
}

#[test]
fn duplicates_view_and_the_versions_of_a_conflict() {
    let mut a = app(140, 30);
    a.update(key('4'));
    insta::assert_snapshot!("list", screen(&a));
    a.update(code(KeyCode::Enter));
    insta::assert_snapshot!("side_by_side", screen(&a));
    a.update(key('u'));
    insta::assert_snapshot!("unified", screen(&a));
}

#[test]
fn a_problem_drills_to_its_events_to_one_event_and_back() {
    let mut a = app(140, 24);
    a.update(key('3'));
    // Move to the group of the milliseconds timestamp.
    let target = ecapi_scope::app::analysis::problem_groups(&a.agg, &a.problems)
        .iter()
        .position(|g| g.code.name() == "timestamp_milliseconds")
        .unwrap();
    for _ in 0..target {
        a.update(key('j'));
    }
    a.update(code(KeyCode::Enter));
    assert_eq!(a.view, View::Live);
    assert_eq!(
        a.window.filter().unwrap().text(),
        "code:timestamp_milliseconds path:$.timestamp"
    );
    assert_eq!(a.window.visible_len(), 1, "one event carries it");
    a.update(code(KeyCode::Enter));
    let d = a.detail.as_ref().expect("the event opens");
    assert_eq!(d.row.id.as_deref(), Some("pv-1"));
    a.update(code(KeyCode::Esc));
    assert!(a.detail.is_none());
    assert_eq!(a.view, View::Live, "esc closes the detail first");
    a.update(code(KeyCode::Esc));
    assert_eq!(a.view, View::Problems, "then goes back to the problems");
    assert!(a.window.filter().is_none(), "with the table's own filter");
    assert_eq!(
        a.problems.selected.as_ref().map(|(c, _)| c.name()),
        Some("timestamp_milliseconds"),
        "on the same group"
    );
}

#[test]
fn sorting_and_choosing_a_data_set() {
    let mut a = app(140, 34);
    a.update(key('3'));
    a.update(key('s'));
    assert_eq!(a.problems.sort, ProblemSort::Severity);
    let groups = ecapi_scope::app::analysis::problem_groups(&a.agg, &a.problems);
    let sev: Vec<_> = groups.iter().map(|g| g.severity).collect();
    let mut sorted = sev.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(sev, sorted, "errors first");
    a.update(key('S'));
    let groups = ecapi_scope::app::analysis::problem_groups(&a.agg, &a.problems);
    assert!(groups.first().unwrap().severity <= groups.last().unwrap().severity);

    a.update(key('2'));
    // The scoreboard is sorted by events: acme-web first; move to the next and choose it.
    a.update(key('j'));
    a.update(code(KeyCode::Enter));
    assert_eq!(a.funnel.chosen.as_deref(), Some("acme-app"));
    let text = screen(&a);
    assert!(text.contains("Funnel · acme-app"), "{text}");
    let upper = lines(&text)
        .into_iter()
        .find(|l| l.starts_with("upper"))
        .unwrap();
    assert!(
        upper.contains(" 1 "),
        "acme-app has one upper event: {upper}"
    );
    a.update(code(KeyCode::Esc));
    assert_eq!(a.funnel.chosen, None);
    // Sort the scoreboard by name, then reversed.
    a.update(key('s'));
    a.update(key('s'));
    a.update(key('s'));
    a.update(key('s'));
    a.update(key('s'));
    a.update(key('s'));
    a.update(key('s'));
    assert_eq!(
        a.funnel.sort,
        ecapi_scope::app::analysis::ScoreColumn::DataSet
    );
    let names: Vec<String> = ecapi_scope::app::analysis::scoreboard(&a.agg, &a.funnel, NOW_MS)
        .iter()
        .map(|(k, _)| (*k).clone())
        .collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

#[test]
fn the_diff_of_a_conflicting_pair_names_the_differing_paths() {
    let mut a = app(140, 30);
    a.update(key('4'));
    a.update(code(KeyCode::Enter));
    let v = a.versions.as_ref().expect("the versions open");
    assert_eq!(v.id, "ord-1");
    assert!(v.first.is_ok() && v.latest.is_some());
    assert!(v.paths.contains(&"$.value".to_owned()), "{:?}", v.paths);
    assert!(v
        .diff
        .contains(&DiffLine::First("  \"value\": 42.5".into())));
    assert!(v.diff.contains(&DiffLine::Latest("  \"value\": 99".into())));
    let text = screen(&a);
    assert!(
        text.contains("differing paths: ") && text.contains("$.value"),
        "{text}"
    );
    a.update(code(KeyCode::Esc));
    assert!(a.versions.is_none());
    assert_eq!(a.view, View::Duplicates);
}

#[test]
fn a_first_version_that_left_the_window_is_said() {
    // A window of two rows: the first ord-1 has left it when the conflict arrives.
    let records: Vec<&[u8]> = EVENTS.iter().map(|e| e.as_bytes()).collect();
    let (rows, agg) = ecapi_scope::app::sink::rows_of(
        &records,
        "events.ndjson",
        NOW_MS,
        ecapi_scope::engine::EngineConfig::default(),
    );
    let mut a = App::new(
        ecapi_scope::app::Setup::default(),
        ecapi_scope::app::keymap::Keymap::default(),
        5,
    );
    a.update(ecapi_scope::app::Msg::Resize(140, 30));
    a.update(ecapi_scope::app::Msg::Tick(NOW_MS));
    a.update(ecapi_scope::app::Msg::Rows(rows));
    a.update(ecapi_scope::app::Msg::Aggregates(Box::new(agg)));
    a.update(key('4'));
    a.update(code(KeyCode::Enter));
    let v = a.versions.as_ref().unwrap();
    assert!(v.first.is_err(), "the first version left the window");
    assert!(
        v.paths.contains(&"$.value".to_owned()),
        "the paths come from the engine's verdict: {:?}",
        v.paths
    );
    let text = screen(&a);
    assert!(
        text.contains("first: line 1 of") && text.contains("has left the window"),
        "{text}"
    );
}

/// The numbers on the three screens are those `check --format json` reports for the same
/// input (the engine is one; this shows the drawing does not change them).
#[test]
fn the_screens_show_the_numbers_check_reports() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("events.ndjson");
    std::fs::write(&file, EVENTS.join("\n") + "\n").unwrap();
    let out = std::process::Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args(["check", "--format", "json", "--fail-on", "never", "--now"])
        .arg((NOW_MS / 1000).to_string())
        .arg(&file)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();

    let mut a = app(160, 40);
    a.update(key('2'));
    let funnel = lines(&screen(&a));
    for stage in ["upper", "mid", "lower", "custom"] {
        let s = &report["funnel"][stage];
        let n = s["events"].as_u64().unwrap();
        let line = funnel.iter().find(|l| l.starts_with(stage)).unwrap();
        assert!(
            line.contains(&format!(" {} ", thousands(n))),
            "{stage}: {line}"
        );
        if n > 0 {
            let invalid = s["errors"].as_u64().unwrap() as f64 * 100.0 / n as f64;
            let dup = s["duplicates"].as_u64().unwrap() as f64 * 100.0 / n as f64;
            assert!(line.contains(&format!("invalid {invalid:>5.1}%")), "{line}");
            assert!(line.contains(&format!("dup {dup:>5.1}%")), "{line}");
        }
    }
    let value_line = funnel.iter().find(|l| l.starts_with("value")).unwrap();
    for (cur, v) in report["value_by_currency"].as_object().unwrap() {
        let sum = format!("{:.2}", v["sum"].as_f64().unwrap());
        let (int, frac) = sum.split_once('.').unwrap();
        let shown = format!("{}.{frac} {cur}", thousands(int.parse().unwrap()));
        assert!(value_line.contains(&shown), "{value_line}");
    }
    for d in report["data_sets"].as_array().unwrap() {
        let name = d["data_set_id"].as_str().unwrap();
        if name.contains('\u{1b}') {
            continue; // shown escaped; its numbers are checked with the others' below
        }
        let row = funnel.iter().find(|l| l.contains(name)).unwrap();
        assert!(
            row.contains(&thousands(d["events"].as_u64().unwrap())),
            "{row}"
        );
    }

    a.update(key('3'));
    let problems = lines(&screen(&a));
    for g in report["findings"].as_array().unwrap() {
        let (c, p) = (g["code"].as_str().unwrap(), g["path"].as_str().unwrap());
        let row = problems
            .iter()
            .find(|l| l.contains(&format!(" {c} ")) && l.contains(p))
            .unwrap_or_else(|| panic!("{c} {p} is on the Problems screen"));
        assert!(
            row.contains(&format!(" {} ", thousands(g["count"].as_u64().unwrap()))),
            "{row}"
        );
    }

    a.update(key('4'));
    let dups = lines(&screen(&a));
    for k in report["duplicate_keys"].as_array().unwrap() {
        let id = k["id"].as_str().unwrap();
        let row = dups.iter().find(|l| l.contains(id)).unwrap();
        assert!(
            row.contains(&format!(" {} ", k["duplicates"].as_u64().unwrap())),
            "{row}"
        );
    }
}

#[test]
fn regression_a_second_drill_loses_the_filter_the_table_had() {
    let mut a = app(140, 24);
    a.update(key('/'));
    for c in "status:error".chars() {
        a.update(key(c));
    }
    a.update(code(KeyCode::Enter));
    a.update(key('3'));
    a.update(code(KeyCode::Enter));
    assert!(a.window.filter().unwrap().text().starts_with("code:"));
    // Leave the drilled table with a number key and drill again.
    a.update(key('3'));
    a.update(key('j'));
    a.update(code(KeyCode::Enter));
    a.update(code(KeyCode::Esc));
    assert_eq!(a.view, View::Problems);
    assert_eq!(a.window.filter().unwrap().text(), "status:error");
}

#[test]
fn regression_funnel_numbers_are_cut_on_narrow_terminals() {
    for (w, h) in [(80, 24), (100, 40), (120, 40)] {
        let mut a = app(w, h);
        a.update(key('2'));
        let text = screen(&a);
        let lines = lines(&text);
        for (stage, n) in [("upper", " 1 "), ("mid", " 2 "), ("lower", " 4 ")] {
            let line = lines.iter().find(|l| l.starts_with(stage)).unwrap();
            assert!(line.contains(n), "{w}×{h} {stage}: {line}");
            assert!(
                line.contains("invalid") && line.contains("dup"),
                "{w}×{h}: {line}"
            );
        }
        if h >= 30 {
            let lag = lines.iter().find(|l| l.contains("<10s")).unwrap();
            assert!(
                lag.trim_end().ends_with(" 3") || lag.contains(" 3 "),
                "{w}×{h}: {lag}"
            );
            let email = lines.iter().find(|l| l.contains("email ")).unwrap();
            assert!(email.contains("25.0%"), "{w}×{h}: {email}");
        }
    }
}

#[test]
fn regression_the_versions_scroll_past_their_end_and_first_seen_sorts_oldest_first() {
    let mut a = app(140, 30);
    a.update(key('4'));
    a.update(code(KeyCode::Enter));
    for _ in 0..20 {
        a.update(code(KeyCode::PageDown));
    }
    let v = a.versions.as_ref().unwrap();
    assert!(
        v.scroll < v.diff.len(),
        "scroll {} of {}",
        v.scroll,
        v.diff.len()
    );
    a.update(code(KeyCode::Esc));
    // last seen▼ then first seen▼: most recent first, like every ▼.
    a.update(key('s'));
    a.update(key('s'));
    let keys = ecapi_scope::app::analysis::duplicate_keys(&a.agg, &a.dups);
    let firsts: Vec<i64> = keys.iter().map(|k| k.first_seen_ms).collect();
    let mut sorted = firsts.clone();
    sorted.sort_by(|x, y| y.cmp(x));
    assert_eq!(firsts, sorted);
}
