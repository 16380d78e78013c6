//! `ecapi-scope serve`: the sandbox receiver over real HTTP on loopback — faults at their rate
//! with Retry-After, every event accepted exactly once by a sender that retries, duplicates
//! said in the answer and in the request line, added latency, and refused bad flags.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

#[path = "common/endpoint.rs"]
mod endpoint;
#[path = "common/serve.rs"]
mod serve;
use serve::Serve;

use std::io::{Read, Write};
use std::process::Command;

/// One POST; the status, the Retry-After header and the body.
fn post(addr: &str, body: &str) -> (u16, Option<String>, serde_json::Value) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let (head, json) = answer.split_once("\r\n\r\n").unwrap();
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    let retry = head
        .lines()
        .find_map(|l| l.strip_prefix("retry-after: "))
        .map(str::to_owned);
    (
        status,
        retry,
        serde_json::from_str(json).unwrap_or_default(),
    )
}

fn events(n: usize) -> Vec<String> {
    let out = Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args(["gen", "-n", &n.to_string(), "--seed", "21"])
        .output()
        .unwrap();
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn a_fault_is_answered_with_retry_after_and_not_counted() {
    let serve = Serve::start(&["--fault", "503:1"]);
    let e = &events(1)[0];
    let (status, retry, json) = post(&serve.addr, e);
    assert_eq!(status, 503);
    assert_eq!(retry.as_deref(), Some("1"));
    assert!(json["error"].as_str().unwrap().contains("fault injected"));
    let (lines, stats) = serve.stop();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["fault"], 503);
    assert_eq!(lines[0]["status"], 503);
    assert_eq!(
        stats["hub"]["events"], 0,
        "a faulted request is not processed"
    );
}

#[test]
fn a_retrying_sender_gets_every_event_accepted_exactly_once() {
    let serve = Serve::start(&["--fault", "503:0.3", "--fault", "429:0.1", "--seed", "5"]);
    let events = events(60);
    let mut attempts = 0;
    for e in &events {
        loop {
            attempts += 1;
            assert!(attempts < 2000, "the faults come at their rate, not always");
            let (status, _, json) = post(&serve.addr, e);
            if status == 200 {
                assert!(json["events"][0]["duplicate"].is_null(), "{json}");
                break;
            }
            assert!(status == 503 || status == 429, "{status}");
        }
    }
    assert!(attempts > events.len(), "some requests were faulted");
    let (lines, stats) = serve.stop();
    assert_eq!(lines.len(), attempts);
    let accepted: u64 = lines.iter().map(|l| l["accepted"].as_u64().unwrap()).sum();
    let ok = lines.iter().filter(|l| l["status"] == 200).count();
    assert_eq!(ok, events.len());
    assert_eq!(accepted, events.len() as u64, "each accepted once");
    assert!(lines.iter().all(|l| l["duplicates"] == 0));
    assert_eq!(
        stats["hub"]["events"],
        events.len() as u64,
        "serve's own count agrees"
    );
}

#[test]
fn duplicates_are_said_and_latency_is_added() {
    let serve = Serve::start(&["--latency", "150ms"]);
    let e = &events(1)[0];
    assert_eq!(post(&serve.addr, e).0, 200);
    let (status, _, json) = post(&serve.addr, e);
    assert_eq!(status, 200);
    assert_eq!(json["events"][0]["duplicate"]["kind"], "exact", "{json}");
    let (lines, _) = serve.stop();
    assert_eq!(lines[0]["duplicates"], 0);
    assert_eq!(lines[1]["duplicates"], 1);
    assert!(lines
        .iter()
        .all(|l| l["latency_ms"].as_u64().unwrap() >= 150));
}

#[test]
fn bad_fault_and_latency_flags_are_refused() {
    for args in [
        ["--fault", "200:0.1"],
        ["--fault", "503:2"],
        ["--latency", "9ms..1ms"],
    ] {
        let out = Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
            .arg("serve")
            .args(args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains(args[0]), "{args:?}: {err}");
    }
}
