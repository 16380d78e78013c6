//! One test per reported bug, named after it.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

#[path = "common/report.rs"]
mod report;

use assert_cmd::Command;
use serde_json::Value;
use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::{Duration, Instant};

const NOW: &str = "1795784000";

fn check(input: &str, extra: &[&str]) -> Vec<Value> {
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args(["check", "--now", NOW, "--no-progress", "--format", "ndjson"])
        .args(extra)
        .arg("-")
        .write_stdin(input.to_owned())
        .output()
        .unwrap();
    report::records(&out.stdout)
}

fn codes(r: &Value) -> Vec<String> {
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_owned())
        .collect()
}

const BASE: &str = r#""timestamp":1795783900,"source":"website","user_data":{"click_id":"c"}"#;

#[test]
fn check_with_two_jobs_stops_when_its_output_is_closed() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.ndjson");
    let gen = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args(["gen", "-n", "200000", "--now", NOW])
        .arg("-o")
        .arg(&file)
        .output()
        .unwrap();
    assert!(gen.status.success());
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args(["check", "-j", "2", "--no-progress", "--format", "ndjson"])
        .arg(&file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // The reader is dropped here: the pipe closes. The process must end on its own; the
    // deadline only turns a hang into a failure instead of a stuck test run.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.code().is_some());
            break;
        }
        assert!(
            Instant::now() < deadline,
            "check kept running after its output was closed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn an_empty_id_is_not_a_dedup_key() {
    let input = format!(
        "{{\"data_set_id\":\"d\",\"id\":\"\",\"event_type\":\"page_view\",{BASE}}}\n{{\"data_set_id\":\"d\",\"id\":\"\",\"event_type\":\"search\",{BASE}}}\n"
    );
    let recs = check(&input, &[]);
    assert_eq!(recs[1]["duplicate"], Value::Null);
    assert!(codes(&recs[1]).contains(&"id_empty".to_owned()));
    assert!(!codes(&recs[1]).contains(&"id_reused".to_owned()));
}

#[test]
fn c1_controls_and_bidi_overrides_are_escaped_in_ndjson() {
    let input = format!("{{\"data_set_id\":\"ds\\u009b31m\\u202eevil\",\"id\":\"x\",\"event_type\":\"page_view\",{BASE}}}\n");
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args(["check", "--now", NOW, "--format", "ndjson", "-"])
        .write_stdin(input)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\u{9b}') && !text.contains('\u{202e}'),
        "{text}"
    );
    let r: Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(r["data_set_id"], "ds\u{9b}31m\u{202e}evil");
}

#[test]
fn a_base64_digest_in_a_name_field_is_not_pii() {
    let input = r#"{"data_set_id":"d","id":"x","event_type":"page_view","timestamp":1795783900,"source":"website","user_data":{"address":[{"first_name":"gcOMGhKCk0c3LaE5F4sS07+s3lsQf0e8cUvDkwIOxYY="}]}}"#;
    let c = codes(&check(input, &[])[0]);
    assert!(c.contains(&"hash_not_sha256".to_owned()), "{c:?}");
    assert!(!c.contains(&"unhashed_pii".to_owned()), "{c:?}");
}

#[test]
fn a_timestamp_past_i64_is_microseconds_not_a_fraction() {
    let input = r#"{"data_set_id":"d","id":"x","event_type":"page_view","timestamp":18446744073709551615,"source":"website","user_data":{"click_id":"c"}}"#;
    let c = codes(&check(input, &[])[0]);
    assert_eq!(c, vec!["timestamp_microseconds"]);
}

#[test]
fn an_ip_or_a_user_agent_alone_is_no_match_key() {
    let input = r#"{"data_set_id":"d","id":"x","event_type":"page_view","timestamp":1795783900,"source":"website","user_data":{"event_user_agent":"Mozilla/5.0"}}"#;
    assert!(codes(&check(input, &[])[0]).contains(&"no_match_keys".to_owned()));
}

#[test]
fn duplicate_names_the_input_of_its_first_occurrence() {
    let dir = tempfile::tempdir().unwrap();
    let line =
        format!("{{\"data_set_id\":\"d\",\"id\":\"x\",\"event_type\":\"page_view\",{BASE}}}\n");
    let (a, b) = (dir.path().join("a.ndjson"), dir.path().join("b.ndjson"));
    std::fs::write(&a, &line).unwrap();
    std::fs::write(&b, &line).unwrap();
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args(["check", "--now", NOW, "--format", "ndjson"])
        .arg(&a)
        .arg(&b)
        .output()
        .unwrap();
    let recs = report::records(&out.stdout);
    assert_eq!(
        recs[1]["duplicate"]["first_source"],
        a.display().to_string()
    );
}

/// Regression: in `check` of a capture, a duplicate's `first_source` named the capture file,
/// while every record's `source` names where it was captured from.
#[test]
fn check_of_a_capture_names_the_original_source_of_a_first_occurrence() {
    let dir = tempfile::tempdir().unwrap();
    let event =
        format!("{{\"data_set_id\":\"d\",\"id\":\"x\",\"event_type\":\"page_view\",{BASE}}}");
    let other = event.replace("\"id\":\"x\"", "\"id\":\"y\"");
    let captured = |source: &str, e: &str| {
        format!(
            "{{\"_capture\":1,\"received\":1795784000000,\"source\":\"{source}\",\"json\":{e}}}\n"
        )
    };
    let capture = dir.path().join("cap.ndjson");
    let plain = dir.path().join("plain.ndjson");
    std::fs::write(
        &capture,
        captured("tcp-listen://127.0.0.1:9", &event)
            + &captured("http-listen://127.0.0.1:8", &event)
            + &other
            + "\n"
            + &captured("http-listen://127.0.0.1:8", &other),
    )
    .unwrap();
    std::fs::write(&plain, format!("{event}\n")).unwrap();
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args(["check", "--now", NOW, "--format", "ndjson"])
        .arg(&capture)
        .arg(&plain)
        .output()
        .unwrap();
    let recs = report::records(&out.stdout);
    assert_eq!(recs.len(), 5, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(recs[1]["source"], "http-listen://127.0.0.1:8");
    assert_eq!(
        recs[1]["duplicate"]["first_source"],
        "tcp-listen://127.0.0.1:9"
    );
    // A line of the capture that is not a capture record came from the file itself.
    assert_eq!(
        recs[3]["duplicate"]["first_source"],
        capture.display().to_string()
    );
    assert_eq!(recs[4]["source"], plain.display().to_string());
    assert_eq!(
        recs[4]["duplicate"]["first_source"],
        "tcp-listen://127.0.0.1:9"
    );
}

#[test]
fn check_of_a_capture_compares_a_conflict_with_the_captured_record_not_the_capture_line() {
    let dir = tempfile::tempdir().unwrap();
    let first = format!("{{\"data_set_id\":\"d\",\"id\":\"x\",\"event_type\":\"purchase\",\"value\":1,\"currency\":\"USD\",{BASE}}}");
    let second = first.replace("\"value\":1", "\"value\":2");
    // Both capture forms: the record embedded (`json`) and escaped (`raw`).
    let capture = format!(
        "{{\"_capture\":1,\"received\":1795784000000,\"source\":\"tcp-listen://127.0.0.1:9\",\"json\":{first}}}\n\
         {{\"_capture\":1,\"received\":1795784000001,\"source\":\"tcp-listen://127.0.0.1:9\",\"raw\":{}}}\n",
        serde_json::to_string(&second).unwrap()
    );
    let path = dir.path().join("cap.ndjson");
    std::fs::write(&path, capture).unwrap();
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args(["check", "--now", NOW, "--format", "ndjson"])
        .arg(&path)
        .output()
        .unwrap();
    let recs = report::records(&out.stdout);
    assert_eq!(recs[1]["duplicate"]["kind"], "conflict", "{}", recs[1]);
    assert_eq!(
        recs[1]["duplicate"]["paths"],
        serde_json::json!(["$.value"])
    );
}

#[test]
fn check_reads_captures_with_their_receive_times_and_labels() {
    // Captured ten days after the event: fresh when it arrived, stale now.
    let event = r#"{"data_set_id":"d","id":"x","event_type":"page_view","timestamp":1795000000,"source":"website","user_data":{"click_id":"c"}}"#;
    let line = format!("{{\"_capture\":1,\"received\":1795000005000,\"source\":\"tcp-listen://127.0.0.1:9\",\"raw\":{}}}\n", serde_json::to_string(event).unwrap());
    let recs = check(&line, &[]);
    assert_eq!(recs[0]["status"], "ok", "{:?}", recs[0]);
    assert_eq!(recs[0]["source"], "tcp-listen://127.0.0.1:9");
    assert_eq!(recs[0]["received"], 1_795_000_005_000_i64);
}
