//! Regressions of exit statuses that said success when something failed. Named after the bug.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use assert_cmd::Command;
use std::io::{BufRead, BufReader};
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
    assert!(err.contains(&format!("tcp-listen://{addr} failed")), "{err}");
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
    assert!(String::from_utf8(out.stderr).unwrap().contains("3 of 3 requests went wrong"));

    let mut server = std::process::Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args(["watch", "--format", "none", "http-listen://127.0.0.1:0/events"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(server.stderr.take().unwrap());
    let listening = loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "the endpoint did not start");
        if let Some(a) = line.trim().split("listening on ").nth(1) {
            break a.to_owned();
        }
    };
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args(["gen", "-n", "4", "--to", &format!("http://{listening}/elsewhere")])
        .output()
        .unwrap();
    let _ = server.kill();
    let _ = server.wait();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("4 answered 404"), "{err}");
}
