//! Regression: an event answered with an error was counted as seen. The capture is a
//! write-ahead log: a request whose records cannot be captured is answered 500 and neither
//! counted nor deduplicated, so its retry, once the capture works again, is a first sighting.
//!
//! The capture fails for real: the endpoint runs under a file-size limit (`prlimit --fsize`,
//! util-linux) that its writes hit, and the test raises the limit again on the running process.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

#[path = "common/endpoint.rs"]
mod endpoint;
use endpoint::listening_address;

use std::io::{BufReader, Read, Write};
use std::process::{Command, Stdio};

const LIMIT: u64 = 4096;

fn post(addr: &str, body: &str) -> (u16, serde_json::Value) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let request = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    let status = answer.split(' ').nth(1).unwrap().parse().unwrap();
    let json = answer
        .split("\r\n\r\n")
        .nth(1)
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or_default();
    (status, json)
}

/// Changes a running process's file-size limit with util-linux's `prlimit`.
fn set_file_size_limit(pid: u32, soft: &str) {
    let ok = Command::new("prlimit")
        .args([
            "--pid",
            &pid.to_string(),
            &format!("--fsize={soft}:unlimited"),
        ])
        .status()
        .unwrap()
        .success();
    assert!(ok, "prlimit --pid {pid}");
}

fn events(n: usize) -> Vec<String> {
    let out = Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args(["gen", "-n", &n.to_string(), "--seed", "7"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines().map(str::to_owned).collect()
}

/// Stops the endpoint even when an assertion fails.
struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn an_event_answered_with_an_error_is_counted_as_seen() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("cap.ndjson");
    // The endpoint starts with a file-size limit that its capture writes soon reach.
    let mut cmd = Command::new("prlimit");
    cmd.arg(format!("--fsize={LIMIT}:unlimited"))
        .arg(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args(["watch", "--format", "none", "--stats", "--capture"])
        .arg(&capture)
        .arg("http-listen://127.0.0.1:0/")
        .stderr(Stdio::piped());
    let mut server = Server(cmd.spawn().unwrap());
    let server = &mut server.0;
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let addr = listening_address(&mut stderr);

    let events = events(30);
    let first: Vec<u16> = events.iter().map(|e| post(&addr, e).0).collect();
    let refused: Vec<&String> = events
        .iter()
        .zip(&first)
        .filter(|(_, s)| **s == 500)
        .map(|(e, _)| e)
        .collect();
    assert!(first.iter().all(|s| *s == 200 || *s == 500), "{first:?}");
    assert!(first[0] == 200, "the first events fit under the limit");
    assert!(!refused.is_empty(), "the capture hit its limit: {first:?}");

    // Space is back: every refused event is retried and is a first sighting.
    set_file_size_limit(server.id(), "unlimited");
    for e in &refused {
        let (status, json) = post(&addr, e);
        assert_eq!(status, 200, "{json}");
        assert!(json["events"][0]["duplicate"].is_null(), "{json}");
    }
    // A second retry of an accepted event is an exact duplicate, as it should be.
    let (status, json) = post(&addr, refused[0]);
    assert_eq!(status, 200);
    assert_eq!(json["events"][0]["duplicate"]["kind"], "exact", "{json}");

    let pid = server.id().to_string();
    Command::new("kill").args(["-INT", &pid]).status().unwrap();
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    let _ = server.wait();
    let stats: serde_json::Value = rest
        .lines()
        .find_map(|l| serde_json::from_str(l).ok())
        .expect("stats on stderr");
    let answered_200 = events.len() as u64 + 1;
    assert_eq!(stats["hub"]["events"], answered_200, "{stats}");
    assert_eq!(stats["hub"]["capture_lines"], answered_200, "{stats}");
    let lines = std::fs::read_to_string(&capture).unwrap();
    assert_eq!(lines.lines().count() as u64, answered_200);
    for l in lines.lines() {
        assert!(serde_json::from_str::<serde_json::Value>(l).is_ok(), "{l}");
    }
    let refused_count = stats["sources"][0]["refused"]["500"].as_u64();
    assert_eq!(refused_count, Some(refused.len() as u64), "{stats}");
}
