//! Regressions of the listener limits: idle, slow and unfinished clients held the endpoint
//! and the socket listeners indefinitely, and enough of them locked every client out.
//! Named after the bug. Deadlines here are hang detectors, not timing assumptions.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

#[path = "common/endpoint.rs"]
mod endpoint;
use endpoint::listening_address;

use std::fmt::Write as _;
use std::io::{BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(20);

struct Server(Child, String);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// `watch` on an endpoint, through `prefix` (for instance `prlimit --nofile=…`).
fn endpoint(prefix: &[&str], args: &[&str]) -> Server {
    let bin = assert_cmd::cargo::cargo_bin("ecapi-scope");
    let mut cmd = match prefix.split_first() {
        Some((first, rest)) => {
            let mut c = Command::new(first);
            c.args(rest).arg(bin);
            c
        }
        None => Command::new(bin),
    };
    let mut child = cmd
        .args(["watch", "--format", "none"])
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let addr = listening_address(&mut stderr);
    // Keep draining stderr so the endpoint never blocks on it.
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    Server(child, addr)
}

const EVENT: &str = r#"{"data_set_id":"ds","id":"limits-1","event_type":"purchase","timestamp":1764547200,"action_source":"website","user_data":{"em":["a@example.com"]}}"#;

/// One normal POST; its status, or a failure message.
fn normal_post(addr: &str) -> Result<u16, String> {
    let mut s = TcpStream::connect(addr).map_err(|e| e.to_string())?;
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{EVENT}",
        EVENT.len()
    );
    s.write_all(req.as_bytes()).map_err(|e| e.to_string())?;
    let mut answer = String::new();
    s.read_to_string(&mut answer).map_err(|e| e.to_string())?;
    answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .ok_or_else(|| format!("no status in {answer:?}"))
}

/// Whether the peer closed `s` before the deadline (EOF or reset).
fn closed_by_peer(mut s: &TcpStream, until: Instant) -> bool {
    let left = until.saturating_duration_since(Instant::now());
    s.set_read_timeout(Some(left.max(Duration::from_millis(1))))
        .unwrap();
    let mut b = [0u8; 256];
    loop {
        match s.read(&mut b) {
            Ok(0) => return true,
            Ok(_) => {}
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => return false,
            Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return false,
            Err(_) => return true,
        }
    }
}

fn idle_connections(addr: &str, n: usize) -> Vec<TcpStream> {
    (0..n).map(|_| TcpStream::connect(addr).unwrap()).collect()
}

/// Slowloris: each connection sends a request head one byte every 0.4 s, forever. The thread
/// returns how many were closed by the endpoint before `until`.
fn slowloris(addr: &str, n: usize, until: Instant) -> std::thread::JoinHandle<usize> {
    let mut conns: Vec<Option<TcpStream>> = (0..n)
        .map(|_| Some(TcpStream::connect(addr).unwrap()))
        .collect();
    std::thread::spawn(move || {
        let head = b"POST / HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
        let mut i = 0;
        let mut closed = 0;
        while Instant::now() < until && closed < n {
            for c in &mut conns {
                let Some(s) = c else { continue };
                let byte = head[i.min(head.len() - 1)];
                if s.write_all(&[byte]).is_err() {
                    *c = None;
                    closed += 1;
                }
            }
            i += 1;
            // The attack's own pace (1 byte / 0.4 s), not a wait for a condition.
            std::thread::sleep(Duration::from_millis(400));
        }
        closed
    })
}

#[test]
fn idle_and_slowloris_connections_hold_the_endpoint() {
    let server = endpoint(
        &[],
        &[
            "--idle-timeout",
            "2s",
            "--header-timeout",
            "3s",
            "http-listen://127.0.0.1:0/",
        ],
    );
    let addr = server.1.clone();
    let idle = idle_connections(&addr, 2000);
    let until = Instant::now() + DEADLINE;
    let slow = slowloris(&addr, 100, until);
    // A normal client is answered, promptly, despite 2,100 connections held open.
    let started = Instant::now();
    assert_eq!(normal_post(&addr), Ok(200));
    assert!(started.elapsed() < DEADLINE);
    // Every idle connection is closed (at the cap to make room, or after the idle timeout),
    // and every slowloris one after the header timeout.
    let still_open = idle.iter().filter(|s| !closed_by_peer(s, until)).count();
    assert_eq!(still_open, 0, "idle connections left open");
    assert_eq!(slow.join().unwrap(), 100, "slowloris connections left open");
    assert_eq!(normal_post(&addr), Ok(200));
}

#[test]
fn idle_connections_lock_every_client_out_under_a_low_fd_limit() {
    let server = endpoint(
        &["prlimit", "--nofile=1024:1024"],
        &["http-listen://127.0.0.1:0/"],
    );
    let addr = server.1.clone();
    // More idle connections than the endpoint has file descriptors.
    let _idle = idle_connections(&addr, 1100);
    assert_eq!(normal_post(&addr), Ok(200));
}

#[test]
fn never_finished_chunked_bodies_are_cut_off() {
    let server = endpoint(&[], &["--body-timeout", "2s", "http-listen://127.0.0.1:0/"]);
    let addr = server.1.clone();
    let mut open: Vec<TcpStream> = (0..200)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(
                b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n[{\"a\"\r\n",
            )
            .unwrap();
            s
        })
        .collect();
    assert_eq!(normal_post(&addr), Ok(200));
    let until = Instant::now() + DEADLINE;
    for s in &mut open {
        s.set_read_timeout(Some(DEADLINE)).unwrap();
        let mut answer = String::new();
        let _ = s.read_to_string(&mut answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
        assert!(Instant::now() < until);
    }
}

#[test]
fn unfinished_lines_on_a_socket_listener_are_bounded() {
    // Four clients each start a 1 MiB line that never ends; the budget holds three.
    let budget = (3 * 1024 * 1024 + 512 * 1024).to_string();
    let server = endpoint(
        &[],
        &[
            "--inflight-bytes",
            &budget,
            "--body-timeout",
            "1s",
            "--max-line-bytes",
            "2000000",
            "tcp-listen://127.0.0.1:0",
        ],
    );
    let addr = server.1.clone();
    let chunk = vec![b'x'; 1024 * 1024];
    // Each client waits a few seconds for the endpoint to close it; the one that could not
    // get budget is closed after the body timeout, the others are not.
    let until = Instant::now() + Duration::from_secs(6);
    let clients: Vec<_> = (0..4)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.set_write_timeout(Some(DEADLINE)).unwrap();
            let chunk = chunk.clone();
            std::thread::spawn(move || {
                let _ = s.write_all(&chunk);
                closed_by_peer(&s, until)
            })
        })
        .collect();
    let cut = clients
        .into_iter()
        .map(|c| c.join().unwrap_or(false))
        .filter(|closed| *closed)
        .count();
    assert!(
        (1..4).contains(&cut),
        "{cut} of 4 clients closed: one over the budget must be"
    );
}

/// Sends `body` as a POST, in chunked encoding, `piece` bytes at a time; the status.
fn chunked_post(addr: &str, body: &[u8], piece: usize) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    s.set_write_timeout(Some(DEADLINE)).unwrap();
    let head =
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n";
    if s.write_all(head.as_bytes()).is_err() {
        return 0;
    }
    for part in body.chunks(piece) {
        let mut chunk = format!("{:x}\r\n", part.len()).into_bytes();
        chunk.extend_from_slice(part);
        chunk.extend_from_slice(b"\r\n");
        if s.write_all(&chunk).is_err() {
            break;
        }
    }
    let _ = s.write_all(b"0\r\n\r\n");
    let mut answer = String::new();
    let _ = s.read_to_string(&mut answer);
    answer
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0)
}

/// An array of `n` copies of the test event, as a body.
fn events_body(n: usize) -> Vec<u8> {
    let mut body = b"[".to_vec();
    for i in 0..n {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(EVENT.replace("limits-1", &format!("big-{i}")).as_bytes());
    }
    body.push(b']');
    body
}

#[test]
fn interleaved_large_bodies_deadlock_the_budget() {
    // Twelve bodies of ~900 KiB sent at once through a budget of two: each takes its turn.
    let server = endpoint(
        &[],
        &[
            "--inflight-bytes",
            "2097152",
            "--body-timeout",
            "15s",
            "http-listen://127.0.0.1:0/",
        ],
    );
    let addr = server.1.clone();
    let body = std::sync::Arc::new(events_body(6100));
    assert!(body.len() > 800_000 && body.len() < 1_000_000);
    let senders: Vec<_> = (0..12)
        .map(|_| {
            let (addr, body) = (addr.clone(), std::sync::Arc::clone(&body));
            std::thread::spawn(move || chunked_post(&addr, &body, 16 * 1024))
        })
        .collect();
    let statuses: Vec<u16> = senders.into_iter().map(|s| s.join().unwrap()).collect();
    assert!(!statuses.contains(&408), "{statuses:?}");
    let served = statuses.iter().filter(|s| **s == 200).count();
    assert!(served >= 6, "most bodies are served in turn: {statuses:?}");
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
}

#[test]
fn a_small_body_of_empty_events_makes_a_huge_reply() {
    let server = endpoint(&[], &["http-listen://127.0.0.1:0/"]);
    let addr = server.1.clone();
    // 1 MiB of `{}`: 349,524 events, each with findings.
    let n = (1024 * 1024 - 2) / 3;
    let body = format!("[{}]", vec!["{}"; n].join(","));
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let req = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).unwrap();
    let mut answer = Vec::new();
    s.read_to_end(&mut answer).unwrap();
    assert!(
        answer.len() < 8 * 1024 * 1024,
        "the reply is bounded: {} bytes for a 1 MiB body",
        answer.len()
    );
    let text = String::from_utf8(answer).unwrap();
    let json: serde_json::Value =
        serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    assert_eq!(json["received"], n as u64);
    assert_eq!(json["events"].as_array().unwrap().len(), 1000);
    assert_eq!(json["events_omitted"], n as u64 - 1000);
    let by_status: u64 = json["by_status"]
        .as_object()
        .unwrap()
        .values()
        .map(|v| v.as_u64().unwrap())
        .sum();
    assert_eq!(by_status, n as u64);
}

#[test]
fn a_slow_reader_loses_its_answer() {
    let server = endpoint(&[], &["--idle-timeout", "1s", "http-listen://127.0.0.1:0/"]);
    let addr: std::net::SocketAddr = server.1.parse().unwrap();
    // A client with a small receive buffer, reading slowly: the answer takes seconds.
    let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    socket.connect(&addr.into()).unwrap();
    let mut s: TcpStream = socket.into();
    // A thousand events of ten unknown members each: an answer of about 2 MB, more than the
    // socket buffers hold.
    let mut members = String::from("{");
    for i in 0..10 {
        write!(members, "\"unknown_{i}\":{i},").unwrap();
    }
    let event = EVENT.replacen('{', &members, 1);
    let mut body = b"[".to_vec();
    for i in 0..1000 {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(event.replace("limits-1", &format!("slow-{i}")).as_bytes());
    }
    body.push(b']');
    let head = format!(
        "POST / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(&body).unwrap();
    s.set_read_timeout(Some(DEADLINE)).unwrap();
    let mut answer = Vec::new();
    let mut buf = [0u8; 2048];
    let started = Instant::now();
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => answer.extend_from_slice(&buf[..n]),
        }
        // The reader's own slowness (2 KiB per 2 ms), not a wait for a condition.
        std::thread::sleep(Duration::from_millis(2));
    }
    let text = String::from_utf8_lossy(&answer);
    let (head, json) = text.split_once("\r\n\r\n").unwrap();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length: "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        started.elapsed() > Duration::from_secs(1),
        "the answer took longer than the idle timeout to read"
    );
    assert_eq!(json.len(), length, "the whole answer arrived");
}
