//! Regressions found by trying `replay` and `serve` as a hostile user would; each test is
//! named after the bug.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

#[path = "common/endpoint.rs"]
mod endpoint;
#[path = "common/replay.rs"]
mod run;
#[path = "common/scripted.rs"]
mod scripted;
#[path = "common/serve.rs"]
mod serve;

use run::{event, json, lines, now, ok_body, replay, write};
use scripted::Scripted;
use serve::Serve;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn five(dir: &std::path::Path) -> String {
    let t = now();
    let events: Vec<String> = (0..5).map(|i| event(&format!("e{i}"), t)).collect();
    write(dir, "five.ndjson", &events)
}

#[test]
fn ctrl_c_is_ignored_while_rate_paces_requests() {
    let dir = tempfile::tempdir().unwrap();
    let file = five(dir.path());
    let rx = Scripted::start(|_, _| ok_body());
    let child = Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args([
            "replay",
            &file,
            "--to",
            &rx.url(),
            "--rate",
            "0.2",
            "--format",
            "json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while rx.seen().is_empty() {
        assert!(Instant::now() < deadline, "the first request never came");
        std::thread::sleep(Duration::from_millis(20));
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "stopped early: not every event was sent"
    );
    let s: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(s["not_sent"].as_u64().unwrap() >= 3, "{s}");
    assert_eq!(
        s["sent"].as_u64().unwrap() + s["not_sent"].as_u64().unwrap(),
        5
    );
    assert!(rx.seen().len() < 5);
}

#[test]
fn events_a_per_event_answer_does_not_list_count_as_accepted() {
    let serve = Serve::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let file = five(dir.path());
    let url = format!("http://{}/", serve.addr);
    // serve reads batches under "events": under "data" it sees one (odd) event.
    let r = replay(
        &[
            "--to",
            &url,
            &file,
            "--batch-size",
            "5",
            "--envelope-key",
            "data",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(r.code, 1);
    let s = json(&r);
    assert_eq!(s["accepted"], 0, "{s}");
    assert_eq!(s["rejected"], 5, "{s}");
    serve.stop();
}

#[test]
fn loopback_names_go_wherever_the_resolver_says() {
    let dir = tempfile::tempdir().unwrap();
    let file = five(dir.path());
    let rx = Scripted::start(|_, _| ok_body());
    let port = rx.addr.rsplit(':').next().unwrap().to_owned();
    let url = format!("http://api.replay-test.localhost:{port}/");
    let r = replay(
        &["--to", &url, &file, "--format", "json", "--retries", "0"],
        &[],
    );
    assert_eq!(
        r.code, 0,
        "a *.localhost name reaches loopback, never a resolver's answer: {}",
        r.err
    );
    assert_eq!(rx.seen().len(), 5);
}

#[test]
fn the_receivers_answer_reaches_the_terminal_raw_and_echoed_tokens_leak() {
    const TOKEN: &str = "tok-3x4mpl3-s3cr3t";
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "one.ndjson", &[event("a", now())]);
    // Echoes the request head (with its Authorization) inside hostile bytes.
    let rx = Scripted::start(|_, seen| {
        let head = seen.head.replace(['\r', '\n'], " ");
        (
            400,
            vec![],
            format!("{{\"error\":\"\u{1b}]0;owned\u{7}\u{9b}31m\u{202e} {head}\"}}"),
        )
    });
    let env = [("TOK", TOKEN)];
    for format in ["text", "json", "ndjson"] {
        let r = replay(
            &[
                "--to",
                &rx.url(),
                &file,
                "--token-env",
                "TOK",
                "--format",
                format,
            ],
            &env,
        );
        assert_eq!(r.code, 1);
        let all = r.out.clone() + &r.err;
        assert!(!all.contains(TOKEN), "{format}: the token leaked: {all}");
        for c in ['\u{1b}', '\u{7}', '\u{9b}', '\u{202e}'] {
            assert!(
                !all.contains(c),
                "{format}: {c:?} reached the terminal raw: {all}"
            );
        }
    }
}

#[test]
fn a_record_over_the_line_limit_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    let long = format!(r#"{{"id":"{}"}}"#, "x".repeat(400));
    let file = write(dir.path(), "e.ndjson", &[event("a", now()), long]);
    let rx = Scripted::start(|_, _| ok_body());
    let r = replay(&["--to", &rx.url(), &file, "--max-line-bytes", "300"], &[]);
    assert_eq!(
        r.code, 1,
        "a record that was never read was not accepted: {}",
        r.out
    );
    assert!(r.out.contains("over the line limit"), "{}", r.out);
}

#[test]
fn a_broken_pipe_hides_failures_and_a_closed_stderr_panics() {
    let dir = tempfile::tempdir().unwrap();
    let file = five(dir.path());
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", closed.local_addr().unwrap());
    drop(closed);
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args([
            "replay",
            &file,
            "--to",
            &url,
            "--retries",
            "0",
            "--format",
            "ndjson",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1), "every event failed");
    assert!(String::from_utf8_lossy(&out.stderr).contains("failed"));
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args(["replay", &file, "--to", "http://capi.example.com/"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert_eq!(
        child.wait().unwrap().code(),
        Some(2),
        "a usage error, not a panic"
    );
}

#[test]
fn framing_headers_rewrite_the_request() {
    let dir = tempfile::tempdir().unwrap();
    let file = five(dir.path());
    for h in [
        "Content-Length: 5",
        "Host: evil.test",
        "transfer-encoding: chunked",
    ] {
        let r = replay(
            &[
                "--to",
                "http://127.0.0.1:9/",
                &file,
                "--header",
                h,
                "--dry-run",
            ],
            &[],
        );
        assert_eq!(r.code, 2, "{h}: {}", r.err);
        assert!(r.err.contains("frames the request"), "{}", r.err);
    }
}

#[test]
fn one_malformed_line_spoils_its_whole_batch() {
    let serve = Serve::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let t = now();
    let mut events: Vec<String> = (0..4).map(|i| event(&format!("m{i}"), t)).collect();
    events.insert(2, "{not json".into());
    let file = write(dir.path(), "e.ndjson", &events);
    let url = format!("http://{}/", serve.addr);
    let r = replay(
        &[
            "--to",
            &url,
            &file,
            "--send-invalid",
            "--batch-size",
            "5",
            "--format",
            "json",
        ],
        &[],
    );
    let s = json(&r);
    assert_eq!(s["accepted"], 4, "{s}");
    assert_eq!(s["rejected"], 1, "{s}");
    serve.stop();
}

#[test]
fn dry_run_hides_basic_auth_and_shows_env_headers() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "one.ndjson", &[event("a", now())]);
    let r = replay(
        &[
            "--to",
            "http://user:pw-secret@127.0.0.1:9/",
            &file,
            "--dry-run",
            "--header",
            "X-Session: env:SESSION",
        ],
        &[("SESSION", "sess-value-123")],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    assert!(r.out.contains("authorization: Basic ****"), "{}", r.out);
    assert!(r.out.contains("x-session: ****"), "{}", r.out);
    assert!(!r.out.contains("sess-value-123") && !r.out.contains("pw-secret"));
}

#[test]
fn a_retry_after_too_large_to_count_is_ignored() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "one.ndjson", &[event("a", now())]);
    let rx = Scripted::start(|_, _| {
        (
            503,
            vec!["Retry-After: 99999999999999999999".into()],
            String::new(),
        )
    });
    let r = replay(
        &[
            "--to",
            &rx.url(),
            &file,
            "--backoff",
            "1ms",
            "--format",
            "ndjson",
        ],
        &[],
    );
    assert_eq!(r.code, 1);
    assert_eq!(rx.seen().len(), 1, "no retry before forever");
    let l = &lines(&r)[0];
    assert!(
        l["events"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("--max-wait"),
        "{l}"
    );
}

#[test]
fn serve_counts_resets_as_503s() {
    let serve = Serve::start(&["--fault", "reset:1"]);
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "one.ndjson", &[event("a", now())]);
    let url = format!("http://{}/", serve.addr);
    let r = replay(
        &["--to", &url, &file, "--retries", "2", "--backoff", "1ms"],
        &[],
    );
    assert_eq!(r.code, 1);
    let (lines, stats) = serve.stop();
    assert_eq!(lines.len(), 3, "every reset is logged");
    assert!(lines
        .iter()
        .all(|l| l["fault"] == "reset" && l["status"].is_null()));
    let refused = &stats["sources"][0]["refused"];
    assert!(refused.get("503").is_none(), "{refused}");
}

#[test]
fn a_huge_answer_is_cut_to_what_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "one.ndjson", &[event("a", now())]);
    let rx = Scripted::start(|_, _| (400, vec![], "x".repeat(40 << 20)));
    let r = replay(&["--to", &rx.url(), &file, "--format", "ndjson"], &[]);
    assert_eq!(r.code, 1);
    let l = &lines(&r)[0];
    assert_eq!(l["status"], 400);
    assert!(
        l["response"].as_str().unwrap().len() <= 4100,
        "only the start is kept"
    );
}
