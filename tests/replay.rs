//! `ecapi-scope replay` over real HTTP on loopback, against `serve` and against a scripted
//! receiver that misbehaves on purpose: retries honour Retry-After (seconds and HTTP-date),
//! backoff grows, it gives up at the limit, nothing is sent twice but by a retry, secrets
//! appear in no output or capture, targets off the allow-list are refused before anything is
//! read or sent, and the exit status says whether every event was accepted.

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
use serde_json::Value;
use serve::Serve;
use std::process::Command;
use std::time::Duration;

#[test]
fn retries_honour_retry_after_in_seconds_and_as_a_date() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "e.ndjson", &[event("a", now())]);
    let rx = Scripted::start(|n, _| match n {
        0 => (503, vec!["Retry-After: 1".into()], String::new()),
        1 => {
            let at = std::time::SystemTime::now() + Duration::from_secs(3);
            let date = format!("Retry-After: {}", httpdate::fmt_http_date(at));
            (429, vec![date], String::new())
        }
        _ => ok_body(),
    });
    let r = replay(
        &[
            "--to",
            &rx.url(),
            &file,
            "--backoff",
            "1ms",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let seen = rx.seen();
    assert_eq!(seen.len(), 3);
    let head = seen[0].head.to_ascii_lowercase();
    assert!(head.contains("content-type: application/json"), "{head}");
    assert!(head.contains("accept: application/json"), "{head}");
    // Asked for 1 s, then for a date 3 s ahead (in whole seconds: at least 2 s of it left).
    assert!(seen[1].at - seen[0].at >= Duration::from_secs(1));
    assert!(seen[2].at - seen[1].at >= Duration::from_millis(1500));
    let s = json(&r);
    assert_eq!(
        (s["sent"].as_u64(), s["accepted"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (s["attempts"].as_u64(), s["retried"].as_u64()),
        (Some(3), Some(1))
    );
}

#[test]
fn backoff_grows_and_it_gives_up_at_the_limit() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "e.ndjson", &[event("a", now())]);
    let rx = Scripted::start(|_, _| (500, vec![], r#"{"error":"down"}"#.into()));
    let r = replay(
        &[
            "--to",
            &rx.url(),
            &file,
            "--retries",
            "4",
            "--backoff",
            "40ms",
            "--format",
            "ndjson",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "a failed event is not success: {}", r.err);
    let seen = rx.seen();
    assert_eq!(seen.len(), 5, "the first attempt and 4 retries, no more");
    // Equal jitter: each wait is at least half of 40 ms doubled per retry.
    for (i, pair) in seen.windows(2).enumerate() {
        let floor = Duration::from_millis(20 << i);
        assert!(pair[1].at - pair[0].at >= floor, "retry {i}");
    }
    let line = &lines(&r)[0];
    assert_eq!(line["attempts"].as_array().unwrap().len(), 5);
    assert_eq!(line["failed"], 1);
    assert_eq!(line["events"][0]["verdict"], "failed");
    assert!(r.err.contains("failed") && r.err.contains("answered 500 after 5 attempts"));
}

#[test]
fn a_retry_after_past_max_wait_gives_up_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "e.ndjson", &[event("a", now())]);
    let rx = Scripted::start(|_, _| (503, vec!["Retry-After: 3600".into()], String::new()));
    let r = replay(&["--to", &rx.url(), &file, "--format", "json"], &[]);
    assert_eq!(r.code, 1);
    assert_eq!(rx.seen().len(), 1);
    let s = json(&r);
    let why = s["failed_by_reason"].as_object().unwrap();
    assert!(why.keys().any(|k| k.contains("--max-wait")), "{why:?}");
}

#[test]
fn nothing_is_sent_twice_but_by_a_retry() {
    let dir = tempfile::tempdir().unwrap();
    let t = now();
    let events: Vec<String> = (0..60).map(|i| event(&format!("e{i}"), t - i)).collect();
    let file = write(dir.path(), "e.ndjson", &events);
    // Every third request first fails; the retry succeeds.
    let rx = Scripted::start(|n, _| {
        if n % 3 == 0 {
            (503, vec![], String::new())
        } else {
            ok_body()
        }
    });
    let r = replay(
        &[
            "--to",
            &rx.url(),
            &file,
            "--concurrency",
            "8",
            "--backoff",
            "1ms",
            "--format",
            "ndjson",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let mut by_id = std::collections::BTreeMap::<String, usize>::new();
    for s in rx.seen() {
        let v: Value = serde_json::from_str(&s.body).unwrap();
        *by_id
            .entry(v["id"].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    assert_eq!(by_id.len(), 60);
    let mut attempts = std::collections::BTreeMap::new();
    for l in lines(&r) {
        let id = l["events"][0]["id"].as_str().unwrap().to_owned();
        attempts.insert(id, l["attempts"].as_array().unwrap().len());
    }
    assert_eq!(
        by_id, attempts,
        "each body arrived once per attempt, no more"
    );
}

#[test]
fn a_replay_through_faults_and_resets_lands_every_event_exactly_once() {
    let serve = Serve::start(&[
        "--fault",
        "503:0.25",
        "--fault",
        "reset:0.1",
        "--retry-after",
        "0",
        "--seed",
        "9",
    ]);
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args([
            "gen",
            "-n",
            "600",
            "--seed",
            "4",
            "--invalid-rate",
            "0",
            "--duplicate-rate",
            "0",
        ])
        .output()
        .unwrap();
    let file = dir.path().join("g.ndjson");
    std::fs::write(&file, &out.stdout).unwrap();
    let url = format!("http://{}/", serve.addr);
    let r = replay(
        &[
            "--to",
            &url,
            file.to_str().unwrap(),
            "--concurrency",
            "8",
            "--backoff",
            "1ms",
            "--retries",
            "20",
            "--batch-size",
            "3",
            "--format",
            "json",
            "--shift-timestamps",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}\n{}", r.out, r.err);
    let s = json(&r);
    let (served, stats) = serve.stop();
    assert_eq!(s["sent"], 600);
    assert_eq!(s["accepted"], 600);
    assert_eq!(s["duplicates"], 0, "no event was taken twice");
    assert_eq!(stats["hub"]["events"], 600, "serve counted each event once");
    let faults = served.iter().filter(|l| !l["fault"].is_null()).count() as u64;
    assert!(faults > 0);
    let attempts = s["attempts"].as_u64().unwrap();
    assert_eq!(
        attempts,
        s["requests"].as_u64().unwrap() + faults,
        "every fault retried once"
    );
    assert!(served.iter().any(|l| l["fault"] == "reset"));
}

#[test]
fn secrets_appear_in_no_output_and_no_capture() {
    const SECRET: &str = "s3cr3t-t0ken-4242";
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("cap.ndjson");
    let serve = Serve::start_with_env(
        &[
            "--token-env",
            "RX_TOKEN",
            "--capture",
            capture.to_str().unwrap(),
        ],
        &[("RX_TOKEN", SECRET)],
    );
    let file = write(
        dir.path(),
        "e.ndjson",
        &[event("a", now()), event("b", now())],
    );
    let url = format!("http://{}/", serve.addr);
    let env = [("RX_TOKEN", SECRET), ("TX_TOKEN", SECRET)];
    let mut outputs = Vec::new();
    for format in ["text", "json", "ndjson"] {
        let r = replay(
            &[
                "--to",
                &url,
                &file,
                "--token-env",
                "TX_TOKEN",
                "--format",
                format,
            ],
            &env,
        );
        assert_eq!(r.code, 0, "{}", r.err);
        outputs.push(r.out + &r.err);
    }
    let dry = replay(
        &["--to", &url, &file, "--token-env", "TX_TOKEN", "--dry-run"],
        &env,
    );
    assert!(
        dry.out
            .contains("authorization: Bearer **** (from $TX_TOKEN)"),
        "{}",
        dry.out
    );
    outputs.push(dry.out + &dry.err);
    // A header that carries a secret is masked too; a wrong token is refused.
    let header = format!("X-Api-Key: {SECRET}");
    let dry = replay(
        &["--to", &url, &file, "--header", &header, "--dry-run"],
        &env,
    );
    outputs.push(dry.out + &dry.err);
    let wrong = replay(&["--to", &url, &file, "--format", "ndjson"], &env);
    assert_eq!(wrong.code, 1);
    assert_eq!(lines(&wrong)[0]["status"], 401);
    outputs.push(wrong.out + &wrong.err);
    let (served, _) = serve.stop();
    outputs.push(served.iter().map(Value::to_string).collect());
    outputs.push(std::fs::read_to_string(&capture).unwrap());
    for o in &outputs {
        assert!(!o.contains(SECRET), "the token leaked: {o}");
    }
    assert!(
        outputs[outputs.len() - 1].lines().count() >= 6,
        "the capture has the events"
    );
}

#[test]
fn a_target_off_the_allow_list_is_refused_before_anything_is_read_or_sent() {
    let r = replay(
        &["--to", "https://capi.example.com/events", "/no/such/file"],
        &[],
    );
    assert_eq!(r.code, 2);
    assert!(r.err.contains("not on the allow-list") && r.err.contains("nothing was sent"));
    assert!(
        r.err.contains("allow = [\"capi.example.com\"]"),
        "{}",
        r.err
    );
    assert!(
        !r.err.contains("/no/such/file"),
        "refused before reading the inputs"
    );
    // Allowed in the config, it gets as far as the network (which is closed here).
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.toml");
    std::fs::write(&cfg, "[replay]\nallow = [\"*.invalid\"]\n").unwrap();
    let file = write(dir.path(), "e.ndjson", &[event("a", now())]);
    let r = replay(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--to",
            "http://capi.example.invalid/",
            &file,
            "--retries",
            "0",
            "--format",
            "json",
        ],
        &[],
    );
    assert_eq!(r.code, 1, "{}", r.err);
    assert_eq!(json(&r)["failed"], 1);
}

#[test]
fn invalid_events_are_held_back_unless_asked_and_rejections_are_counted() {
    let serve = Serve::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let t = now();
    let bad = r#"{"id":"x","data_set_id":"ds1","event_type":"purchase","source":"website"}"#;
    let file = write(
        dir.path(),
        "e.ndjson",
        &[event("a", t), bad.to_owned(), "{oops".into()],
    );
    let url = format!("http://{}/", serve.addr);
    let r = replay(&["--to", &url, &file, "--format", "json"], &[]);
    assert_eq!(
        r.code, 1,
        "held-back events mean not every event was accepted"
    );
    let s = json(&r);
    assert_eq!(
        (s["sent"].as_u64(), s["held_invalid"].as_u64()),
        (Some(1), Some(2))
    );
    assert!(
        r.err.contains("held back line 2") && r.err.contains("--send-invalid"),
        "{}",
        r.err
    );
    let r = replay(
        &[
            "--to",
            &url,
            &file,
            "--format",
            "json",
            "--send-invalid",
            "--ids",
            "fresh",
        ],
        &[],
    );
    let s = json(&r);
    assert_eq!(s["sent"], 3);
    assert_eq!(s["accepted"], 1);
    assert_eq!(s["rejected_by_status"]["400"], 1, "the malformed body");
    assert_eq!(
        s["rejected_by_status"]["200"], 1,
        "refused inside a 200 answer"
    );
    assert_eq!(s["rejected_by_reason"]["timestamp_missing"], 1, "{s}");
    // In one envelope, the receiver's per-event results are read event by event ("a" was
    // taken by the first replay, with its own id: a duplicate now).
    let two = write(dir.path(), "two.ndjson", &[event("a", t), bad.to_owned()]);
    let r = replay(
        &[
            "--to",
            &url,
            &two,
            "--format",
            "ndjson",
            "--send-invalid",
            "--batch-size",
            "10",
        ],
        &[],
    );
    let l = &lines(&r)[0];
    assert_eq!(
        (l["sent"].as_u64(), l["status"].as_u64()),
        (Some(2), Some(200))
    );
    let verdicts: Vec<&str> = l["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["verdict"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["duplicate", "rejected"], "{l}");
    serve.stop();
}

#[test]
fn fresh_ids_and_shifted_timestamps_change_only_those_members() {
    let dir = tempfile::tempdir().unwrap();
    let old = 1_746_558_464;
    let file = write(
        dir.path(),
        "e.ndjson",
        &[event("a", old), event("b", old + 60)],
    );
    let r = replay(
        &[
            "--to",
            "http://127.0.0.1:9/",
            &file,
            "--dry-run",
            "--ids",
            "fresh",
            "--shift-timestamps",
        ],
        &[],
    );
    assert_eq!(r.code, 0, "{}", r.err);
    let bodies: Vec<Value> = r
        .out
        .lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(bodies.len(), 2);
    let (t0, t1) = (
        bodies[0]["timestamp"].as_i64().unwrap(),
        bodies[1]["timestamp"].as_i64().unwrap(),
    );
    assert_eq!(t1 - t0, 60, "spacing kept");
    assert!((now() - t1).abs() <= 5, "the latest is now");
    assert_ne!(bodies[0]["id"], "a");
    assert_ne!(bodies[0]["id"], bodies[1]["id"]);
    let mut want: Value = serde_json::from_str(&event("a", old)).unwrap();
    want["id"] = bodies[0]["id"].clone();
    want["timestamp"] = t0.into();
    assert_eq!(bodies[0], want, "nothing else changed");
    assert!(r
        .out
        .starts_with("POST http://127.0.0.1:9/ HTTP/1.1\ncontent-type: application/json"));
}

#[test]
fn captures_replay_with_their_labels_and_redirects_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let raw = serde_json::to_string(&event("a", now())).unwrap();
    let cap = format!(
        r#"{{"_capture":1,"received":1,"source":"tcp-listen://127.0.0.1:9000","raw":{raw}}}"#
    );
    let file = write(dir.path(), "cap.ndjson", &[cap]);
    let rx = Scripted::start(|_, _| {
        (
            307,
            vec!["Location: http://10.1.2.3/elsewhere".into()],
            String::new(),
        )
    });
    let r = replay(&["--to", &rx.url(), &file, "--format", "ndjson"], &[]);
    assert_eq!(r.code, 1);
    assert_eq!(rx.seen().len(), 1, "the redirect was not followed");
    let l = &lines(&r)[0];
    assert_eq!(l["events"][0]["source"], "tcp-listen://127.0.0.1:9000");
    assert_eq!(l["events"][0]["verdict"], "rejected");
    assert!(l["response"].as_str().unwrap().contains("not followed"));
}

#[test]
fn unreadable_inputs_and_bad_flags_exit_2() {
    let r = replay(&["/no/such/file"], &[]);
    assert_eq!(r.code, 2);
    assert!(r.err.contains("/no/such/file"));
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "e.ndjson", &[event("a", now())]);
    for bad in [
        ["--timeout", "soon"],
        ["--rate", "0"],
        ["--batch-size", "0"],
        ["--header", "nocolon"],
    ] {
        let r = replay(&[&file, bad[0], bad[1]], &[]);
        assert_eq!(r.code, 2, "{bad:?}: {}", r.err);
    }
}

#[test]
fn a_followed_file_source_is_replayed_event_by_event() {
    let serve = Serve::start(&[]);
    let dir = tempfile::tempdir().unwrap();
    let t = now();
    let bad = r#"{"id":"x","data_set_id":"ds1","event_type":"purchase","source":"website"}"#;
    let mut lines: Vec<String> = (0..20).map(|i| event(&format!("f{i}"), t)).collect();
    lines.push(bad.to_owned());
    let file = write(dir.path(), "e.ndjson", &lines);
    let url = format!("http://{}/", serve.addr);
    let source = format!("file:{file}");
    let r = replay(
        &["--to", &url, &source, "--no-follow", "--format", "json"],
        &[],
    );
    assert_eq!(r.code, 1, "one event was held back: {}", r.err);
    let s = json(&r);
    assert_eq!(
        (s["sent"].as_u64(), s["accepted"].as_u64()),
        (Some(20), Some(20))
    );
    assert_eq!(s["held_invalid"], 1);
    assert!(r.err.contains("held back line 21"), "{}", r.err);
    let (_, stats) = serve.stop();
    assert_eq!(stats["hub"]["events"], 20);
}

#[test]
fn a_socket_listener_is_replayed_until_interrupted() {
    use std::io::{BufRead, Write};
    let serve = Serve::start(&[]);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args(["replay", &format!("tcp-listen://127.0.0.1:{port}")])
        .args([
            "--to",
            &format!("http://{}/", serve.addr),
            "--format",
            "ndjson",
            "--ids",
            "fresh",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    endpoint::listening_address(&mut err);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    let t = now();
    for i in 0..30 {
        writeln!(s, "{}", event(&format!("s{i}"), t)).unwrap();
    }
    s.flush().unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut seen = Vec::new();
    while seen.len() < 30 {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "replay ended early");
        seen.push(serde_json::from_str::<Value>(&line).unwrap());
    }
    Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut err, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{rest}");
    assert!(rest.contains("accepted") && rest.contains("30"), "{rest}");
    assert!(seen.iter().all(|l| l["events"][0]["verdict"] == "accepted"));
    assert!(seen.iter().all(|l| l["events"][0]["source"]
        .as_str()
        .unwrap()
        .starts_with("tcp-listen://")));
    let (_, stats) = serve.stop();
    assert_eq!(stats["hub"]["events"], 30);
}
