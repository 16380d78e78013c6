//! A deliberately simple HTTP/1.1 receiver on loopback for replay tests: it records every
//! request (arrival time, headers, body) and answers each as the script says.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Instant;

/// One request as it arrived (each test file reads the parts it needs).
#[allow(dead_code)]
#[derive(Clone, Debug)]
pub struct Seen {
    pub at: Instant,
    pub head: String,
    pub body: String,
}

/// An answer: status, extra header lines, body.
pub type Answer = (u16, Vec<String>, String);

pub struct Scripted {
    pub addr: String,
    pub seen: Arc<Mutex<Vec<Seen>>>,
}

impl Scripted {
    /// Starts a receiver answering request `n` (0-based) with `script(n, &seen)`.
    pub fn start(script: impl Fn(usize, &Seen) -> Answer + Send + Sync + 'static) -> Scripted {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap().to_string();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(script);
        let s = Arc::clone(&seen);
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (s, script) = (Arc::clone(&s), Arc::clone(&script));
                std::thread::spawn(move || serve(stream, &s, &*script));
            }
        });
        Scripted { addr, seen }
    }

    pub fn url(&self) -> String {
        format!("http://{}/events", self.addr)
    }

    pub fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

fn serve(stream: TcpStream, seen: &Mutex<Vec<Seen>>, script: &dyn Fn(usize, &Seen) -> Answer) {
    let mut out = stream.try_clone().unwrap();
    let mut r = BufReader::new(stream);
    loop {
        let mut head = String::new();
        loop {
            let mut line = String::new();
            match r.read_line(&mut line) {
                Ok(0) | Err(_) => return,
                Ok(_) => {}
            }
            if line == "\r\n" {
                break;
            }
            head.push_str(&line);
        }
        let len = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        let mut body = vec![0; len];
        if r.read_exact(&mut body).is_err() {
            return;
        }
        let one = Seen {
            at: Instant::now(),
            head,
            body: String::from_utf8_lossy(&body).into_owned(),
        };
        let n = {
            let mut all = seen.lock().unwrap();
            all.push(one.clone());
            all.len() - 1
        };
        let (status, headers, text) = script(n, &one);
        let mut answer = format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", text.len());
        for h in headers {
            answer.push_str(&h);
            answer.push_str("\r\n");
        }
        answer.push_str("\r\n");
        answer.push_str(&text);
        if out.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}
