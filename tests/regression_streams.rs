//! Regressions of inputs that are not regular files: pipes, FIFOs and gzip on standard input.
//! Each test is named after the bug.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use assert_cmd::Command;
use std::io::{BufRead, BufReader, Write};
use std::process::Stdio;
use std::time::{Duration, Instant};

const SAMPLE: &str = include_str!("../examples/sample.ndjson");

fn summary(args: &[&str], stdin: Vec<u8>) -> String {
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args(["check", "--fail-on", "never", "--now", "1796150000"])
        .args(args)
        .write_stdin(stdin)
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text.lines().nth(1).unwrap_or_default().to_owned()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(data).unwrap();
    enc.finish().unwrap()
}

#[test]
fn pipes_and_fifos_lose_their_first_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sample.ndjson");
    std::fs::write(&file, SAMPLE).unwrap();
    let expected = summary(&[file.to_str().unwrap()], Vec::new());
    assert!(expected.contains("malformed 2"), "{expected}");
    assert_eq!(
        summary(&["/dev/stdin"], SAMPLE.into()),
        expected,
        "/dev/stdin"
    );
    assert_eq!(summary(&["-"], SAMPLE.into()), expected, "-");
}

#[test]
fn gzip_on_standard_input_is_detected_by_its_magic_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("sample.ndjson");
    std::fs::write(&file, SAMPLE).unwrap();
    let expected = summary(&[file.to_str().unwrap()], Vec::new());
    assert_eq!(
        summary(&["-"], gzip(SAMPLE.as_bytes())),
        expected,
        "gzip on -"
    );
    assert_eq!(
        summary(&["/dev/stdin"], gzip(SAMPLE.as_bytes())),
        expected,
        "gzip on a pipe"
    );
}

#[test]
fn a_fifo_given_to_watch_loses_bytes_and_blocks_later_writers() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("events.fifo");
    assert!(std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args(["watch", "-q"])
        .arg(&fifo)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                return;
            }
        }
    });
    // Two writers one after the other; opening for writing waits for the reader (a hang here
    // is caught by the deadline below).
    let path = fifo.clone();
    std::thread::spawn(move || {
        for part in [SAMPLE, "{\"x\":1}\n{\"y\":2}\n"] {
            let mut w = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
            w.write_all(part.as_bytes()).unwrap();
        }
    });
    let want = SAMPLE.lines().filter(|l| !l.trim().is_empty()).count() + 2;
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut got = Vec::new();
    while got.len() < want {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => got.push(line),
            Err(e) => panic!("only {} of {want} records came: {e}", got.len()),
        }
    }
    let first: serde_json::Value = serde_json::from_str(&got[0]).unwrap();
    assert_eq!(first["line"], 1);
    assert_ne!(
        first["status"], "malformed",
        "the first record is whole: {first}"
    );
    let pid = child.id().to_string();
    std::process::Command::new("kill")
        .args(["-INT", &pid])
        .status()
        .unwrap();
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success(), "{status}");
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "watch did not stop on INT"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
