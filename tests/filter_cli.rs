//! The TUI's filter language, headless: `check --filter` and `watch --filter` select the same
//! events, and a bad filter is a usage error that says where.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use assert_cmd::Command;

const EVENTS: &str = concat!(
    r#"{"data_set_id":"a","id":"1","timestamp":1796149990,"event_type":"purchase","value":1,"currency_code":"USD","source":"website"}"#,
    "\n",
    r#"{"data_set_id":"a","id":"2","timestamp":1796149990,"event_type":"purchase","value":1,"source":"website"}"#,
    "\n",
    r#"[{"data_set_id":"b","id":"3","timestamp":1796149990,"event_type":"page_view","source":"app","note":"Gift"},{"data_set_id":"b","id":"4","timestamp":1796149990,"event_type":"page_view","source":"app"}]"#,
    "\n",
);

fn ids(stdout: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect()
}

fn check(filter: &str, format: &str) -> std::process::Output {
    Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args([
            "check",
            "-",
            "--now",
            "1796150000",
            "--fail-on",
            "never",
            "--format",
            format,
            "--filter",
            filter,
        ])
        .write_stdin(EVENTS)
        .output()
        .unwrap()
}

#[test]
fn check_filter_selects_events_in_ndjson() {
    assert_eq!(ids(&check("code:currency_missing", "ndjson").stdout), ["2"]);
    assert_eq!(ids(&check("type:page_view", "ndjson").stdout), ["3", "4"]);
    // Free text looks at the event's own text, not the whole batch line.
    assert_eq!(ids(&check("gift", "ndjson").stdout), ["3"]);
    assert_eq!(
        ids(&check("-ds:b -code:currency_missing", "ndjson").stdout),
        ["1"]
    );
}

#[test]
fn check_filter_counts_matches_in_summaries() {
    let text = String::from_utf8(check("ds:b", "text").stdout).unwrap();
    assert!(text.contains("2 of 4 events match ds:b"), "{text}");
    let json: serde_json::Value = serde_json::from_slice(&check("ds:b", "json").stdout).unwrap();
    assert_eq!(json["filter"]["matched"], 2);
    assert_eq!(json["events"], 4, "the summary still counts every event");
}

#[test]
fn a_bad_filter_is_a_usage_error() {
    let out = check("typ:purchase", "ndjson");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("did you mean `type:`") && err.contains("column 1"),
        "{err}"
    );
}

#[test]
fn watch_filter_prints_only_matches() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.ndjson");
    std::fs::write(&path, EVENTS).unwrap();
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args([
            "watch",
            "--no-follow",
            "-q",
            "--filter",
            "stage:upper -id:4",
        ])
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(ids(&out.stdout), ["3"]);
}
