//! Regressions of exit statuses that said success when something failed. Named after the bug.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

#[path = "common/endpoint.rs"]
mod endpoint;
use endpoint::listening_address;

use assert_cmd::Command;
use std::io::BufReader;
use std::process::Stdio;

fn watch(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("ecapi-scope")
        .unwrap()
        .arg("watch")
        .args(args)
        .timeout(std::time::Duration::from_secs(30))
        .output()
        .unwrap()
}

#[test]
fn watch_exits_0_when_a_source_failed() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let out = watch(&["-q", &format!("tcp-listen://{addr}")]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!("tcp-listen://{addr} failed")),
        "{err}"
    );
    let dir = tempfile::tempdir().unwrap();
    let out = watch(&["-q", dir.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8(out.stderr).unwrap().contains("failed"));
    let file = dir.path().join("plain");
    std::fs::write(&file, "not a socket").unwrap();
    let out = watch(&["-q", &format!("unix-listen://{}", file.display())]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a socket");
}

#[test]
fn gen_to_http_exits_0_on_a_closed_port_or_404() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args(["gen", "-n", "3", "--to", &format!("http://{addr}/")])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8(out.stderr)
        .unwrap()
        .contains("3 of 3 requests went wrong"));

    let mut server = std::process::Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args([
            "watch",
            "--format",
            "none",
            "http-listen://127.0.0.1:0/events",
        ])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let listening = listening_address(&mut stderr);
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args([
            "gen",
            "-n",
            "4",
            "--to",
            &format!("http://{listening}/elsewhere"),
        ])
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("4 answered 404"), "{err}");
}

#[test]
fn a_slow_output_stalls_the_senders() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("cap.ndjson");
    let mut server = std::process::Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args(["watch", "--stats", "--capture"])
        .arg(&capture)
        .arg("http-listen://127.0.0.1:0/")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let listening = listening_address(&mut stderr);
    // Nobody reads the watch's stdout while 10,000 events are posted.
    let sent = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args([
            "gen",
            "-n",
            "10000",
            "--concurrency",
            "16",
            "--to",
            &format!("http://{listening}/"),
        ])
        .timeout(std::time::Duration::from_secs(120))
        .output()
        .unwrap();
    assert!(
        sent.status.success(),
        "every POST answered 2xx: {}",
        String::from_utf8_lossy(&sent.stderr)
    );
    let mut stdout = server.stdout.take().unwrap();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        std::io::Read::read_to_string(&mut stdout, &mut all).unwrap();
        all.lines().count() as u64
    });
    let pid = server.id().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    let printed = reader.join().unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let _ = server.wait();
    let stats: serde_json::Value = rest
        .lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .expect("stats on stderr");
    assert_eq!(stats["hub"]["events"], 10_000);
    assert_eq!(stats["hub"]["capture_lines"], 10_000);
    let dropped = stats["output"]["dropped"].as_u64().unwrap();
    assert_eq!(stats["output"]["printed"].as_u64().unwrap(), printed);
    assert_eq!(
        printed + dropped,
        10_000,
        "printed {printed}, dropped {dropped}"
    );
    assert!(
        dropped > 0,
        "the output was held up, so some lines were dropped"
    );
}

#[test]
fn refused_requests_appear_nowhere() {
    let mut server = std::process::Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args([
            "watch",
            "--format",
            "none",
            "--stats",
            "--token-env",
            "REFUSED_TEST_TOKEN",
        ])
        .args(["--max-body", "100", "http-listen://127.0.0.1:0/events"])
        .env("REFUSED_TEST_TOKEN", "s3cret")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let addr = listening_address(&mut stderr);
    let send = |request: &str| {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.write_all(request.as_bytes()).unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        answer.split(' ').nth(1).unwrap_or("").to_owned()
    };
    let auth = "Authorization: Bearer s3cret\r\n";
    let close = "Connection: close\r\n";
    assert_eq!(
        send(&format!(
            "POST /events HTTP/1.1\r\nHost: x\r\n{close}Content-Length: 2\r\n\r\n{{}}"
        )),
        "401"
    );
    assert_eq!(
        send(&format!(
            "POST /nope HTTP/1.1\r\nHost: x\r\n{auth}{close}Content-Length: 2\r\n\r\n{{}}"
        )),
        "404"
    );
    assert_eq!(
        send(&format!(
            "GET /events HTTP/1.1\r\nHost: x\r\n{auth}{close}\r\n"
        )),
        "405"
    );
    let big = "x".repeat(200);
    assert_eq!(
        send(&format!(
            "POST /events HTTP/1.1\r\nHost: x\r\n{auth}{close}Content-Length: 200\r\n\r\n{big}"
        )),
        "413"
    );
    std::process::Command::new("kill")
        .args(["-INT", &server.id().to_string()])
        .status()
        .unwrap();
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let _ = server.wait();
    // Summed up on stderr at the end, and counted in --stats.
    assert!(
        rest.contains("requests answered other than 200: 401 ×1, 404 ×1, 405 ×1, 413 ×1"),
        "{rest}"
    );
    let stats: serde_json::Value = rest
        .lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap();
    let source = &stats["sources"][0];
    for code in ["401", "404", "405", "413"] {
        assert_eq!(source["refused"][code], 1, "{source}");
    }
    assert_eq!(source["connections"], 4, "{source}");
}
