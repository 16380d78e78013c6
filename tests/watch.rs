//! `ecapi-scope watch` as a process: listeners announce their address, events are printed as
//! the `check` NDJSON records plus source and receive time, and counts agree at the end.

#![allow(clippy::unwrap_used)] // test code: a panic is a test failure

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

fn bin() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
}

#[test]
fn watch_prints_events_from_an_endpoint_and_a_file_then_stops_at_the_count() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.ndjson");
    let gen = bin()
        .args(["gen", "-n", "5", "--seed", "4", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(gen.status.success());
    let capture = dir.path().join("cap.ndjson");
    let mut child = bin()
        .args(["watch", "--max-events", "8", "--stats", "--capture"])
        .arg(&capture)
        .arg("http-listen://127.0.0.1:0/e")
        .arg(&file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let addr = loop {
        let mut line = String::new();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "watch ended before listening"
        );
        if let Some(rest) = line
            .trim()
            .strip_prefix("ecapi-scope: http-listen://127.0.0.1:0/e: listening on ")
        {
            break rest.to_owned();
        }
    };
    let body = std::fs::read_to_string(&file)
        .unwrap()
        .lines()
        .take(3)
        .collect::<Vec<_>>()
        .join(",");
    let code = raw_post(&addr, &format!("[{body}]"));
    assert_eq!(code.trim(), "200");
    let records = finish(&mut child);
    assert_eq!(records.len(), 8);
    assert!(records
        .iter()
        .all(|r| r["received"].as_i64().unwrap() > 1_700_000_000_000));
    assert_eq!(
        records
            .iter()
            .filter(|r| r["source"] == "http-listen://127.0.0.1:0/e")
            .count(),
        3
    );
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let stats: Value =
        serde_json::from_str(rest.lines().find(|l| l.starts_with('{')).unwrap()).unwrap();
    assert_eq!(stats["hub"]["events"], 8);
    assert_eq!(stats["hub"]["capture_lines"], stats["hub"]["records"]);
    assert_eq!(
        std::fs::read_to_string(&capture).unwrap().lines().count() as u64,
        stats["hub"]["records"].as_u64().unwrap()
    );
}

/// Waits for a successful end and parses what the process printed.
fn finish(child: &mut std::process::Child) -> Vec<Value> {
    let status = wait_with_deadline(child);
    assert!(status.success());
    let mut stdout = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Waits for the process; the deadline only turns a hang into a failure.
fn wait_with_deadline(child: &mut std::process::Child) -> std::process::ExitStatus {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(120);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("watch did not stop at --max-events");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

fn raw_post(addr: &str, body: &str) -> String {
    use std::io::Write;
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST /e HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut resp = String::new();
    s.read_to_string(&mut resp).unwrap();
    resp.split(' ').nth(1).unwrap_or("").to_owned()
}

#[test]
fn watch_refuses_a_non_loopback_listener_and_bad_sources() {
    let out = bin()
        .args(["watch", "tcp-listen://0.0.0.0:9"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("loopback"));
    let out = bin().args(["watch", "gopher://x:1"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn watch_reads_standard_input_to_its_end() {
    let input = bin()
        .args(["gen", "-n", "4", "--seed", "2"])
        .output()
        .unwrap()
        .stdout;
    let mut child = bin()
        .args(["watch", "--quiet", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &input).unwrap();
    let records = finish(&mut child);
    assert_eq!(records.len(), 4);
    assert!(records
        .iter()
        .all(|r| r["source"] == "-" && r["status"] == "ok"));
}

#[test]
fn watch_stops_at_exactly_max_events_even_inside_a_batch() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("in.ndjson");
    let gen = bin()
        .args(["gen", "-n", "50", "--seed", "5", "--batch-size", "7", "-o"])
        .arg(&file)
        .output()
        .unwrap();
    assert!(gen.status.success());
    let mut child = bin()
        .args(["watch", "--quiet", "--max-events", "5"])
        .arg(&file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    assert_eq!(finish(&mut child).len(), 5);
}

#[test]
fn watch_refuses_a_capture_that_is_also_a_source() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("cap.ndjson");
    std::fs::write(&file, "").unwrap();
    let out = bin()
        .args(["watch", "--capture"])
        .arg(&file)
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("also a source"));
}

/// Regression: watching a capture file, a duplicate's `first_source` named the file, while
/// every record's `source` names where it was captured from (as `check` of it does).
#[test]
fn watching_a_capture_names_the_original_source_of_a_first_occurrence() {
    let dir = tempfile::tempdir().unwrap();
    let event = String::from_utf8(
        bin()
            .args(["gen", "-n", "1", "--seed", "3"])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let event = event.trim();
    let captured = |source: &str| {
        format!("{{\"_capture\":1,\"received\":1795784000000,\"source\":\"{source}\",\"json\":{event}}}\n")
    };
    let file = dir.path().join("cap.ndjson");
    let text = captured("tcp-listen://127.0.0.1:9")
        + &captured("http-listen://127.0.0.1:8")
        + event
        + "\n";
    std::fs::write(&file, text).unwrap();
    let mut child = bin()
        .args(["watch", "--quiet", "--max-events", "3"])
        .arg(&file)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let records = finish(&mut child);
    assert_eq!(records.len(), 3);
    assert_eq!(records[1]["source"], "http-listen://127.0.0.1:8");
    assert_eq!(
        records[1]["duplicate"]["first_source"],
        "tcp-listen://127.0.0.1:9"
    );
    assert_eq!(records[2]["source"], file.display().to_string());
    assert_eq!(
        records[2]["duplicate"]["first_source"],
        "tcp-listen://127.0.0.1:9"
    );
}
