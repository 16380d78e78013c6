//! The real binary in a pseudo-terminal, its screen read back with vt100: events appear, the
//! embedded endpoint answers a real POST, payload escapes leave the screen and the title alone,
//! and the terminal is restored on `q` and on TERM. Waits are on conditions, with a deadline
//! that only detects hangs.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

#[path = "common/endpoint.rs"]
mod endpoint;
#[path = "common/serve.rs"]
mod serve;

use portable_pty::{native_pty_system, Child, CommandBuilder, MasterPty, PtySize};
use std::fmt::Write as _;
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const DEADLINE: Duration = Duration::from_secs(30);

/// Records what the program asked the terminal to set as its title or icon name.
#[derive(Default)]
struct Titles(Vec<Vec<u8>>);

impl vt100::Callbacks for Titles {
    fn set_window_title(&mut self, _: &mut vt100::Screen, title: &[u8]) {
        self.0.push(title.to_vec());
    }

    fn set_window_icon_name(&mut self, _: &mut vt100::Screen, name: &[u8]) {
        self.0.push(name.to_vec());
    }
}

type Screen = vt100::Parser<Titles>;

struct Tui {
    screen: Arc<Mutex<Screen>>,
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    master: Box<dyn MasterPty + Send>,
}

impl Tui {
    fn start(args: &[&str]) -> Tui {
        Tui::start_with_env(args, &[])
    }

    fn start_with_env(args: &[&str], env: &[(&str, &str)]) -> Tui {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: 40,
                cols: 140,
                pixel_width: 0,
                pixel_height: 0,
            })
            .unwrap();
        let mut cmd = CommandBuilder::new(env!("CARGO_BIN_EXE_ecapi-scope"));
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("ECAPI_SCOPE_CONFIG");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).unwrap();
        drop(pty.slave);
        let mut reader = pty.master.try_clone_reader().unwrap();
        let writer = pty.master.take_writer().unwrap();
        let screen = Arc::new(Mutex::new(vt100::Parser::new_with_callbacks(
            40,
            140,
            0,
            Titles::default(),
        )));
        let s = Arc::clone(&screen);
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = reader.read(&mut buf) {
                if n == 0 {
                    break;
                }
                s.lock().unwrap().process(&buf[..n]);
            }
        });
        Tui {
            screen,
            child,
            writer,
            master: pty.master,
        }
    }

    fn text(&self) -> String {
        self.screen.lock().unwrap().screen().contents()
    }

    fn wait_for(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let text = self.text();
            if pred(&text) {
                return text;
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}; screen:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn send(&mut self, keys: &str) {
        self.writer.write_all(keys.as_bytes()).unwrap();
        self.writer.flush().unwrap();
    }

    fn wait_exit(&mut self) -> u32 {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.exit_code();
            }
            assert!(start.elapsed() < DEADLINE, "the program did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn alternate(&self) -> bool {
        self.screen.lock().unwrap().screen().alternate_screen()
    }

    /// Waits until the reader has seen the program leave the alternate screen.
    fn wait_restored(&self) {
        let start = Instant::now();
        while self.alternate() {
            assert!(start.elapsed() < DEADLINE, "the terminal was not restored");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

#[test]
fn a_file_source_shows_totals_and_a_known_problem() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("events.ndjson");
    let t = now();
    let lines = [
        format!(
            r#"{{"data_set_id":"ds1","id":"a1","timestamp":{t},"event_type":"purchase","value":5,"currency_code":"USD","source":"website"}}"#
        ),
        format!(
            r#"{{"data_set_id":"ds1","id":"a2","timestamp":{t},"event_type":"purchase","value":5,"source":"website"}}"#
        ),
        "not json".to_owned(),
    ];
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    let mut tui = Tui::start(&[path.to_str().unwrap()]);
    tui.wait_for("totals", |s| {
        s.contains("events 3") && s.contains("malformed 1")
    });
    // The second event lacks its currency: open it and read the finding.
    tui.send("g");
    tui.send("j");
    tui.send("\r");
    tui.wait_for("the finding", |s| {
        s.contains("currency_missing") && s.contains("$.currency_code")
    });
    // Esc then q at once would read as alt+q: wait for the table first.
    tui.send("\x1b");
    tui.wait_for("the table", |s| {
        s.contains("event_type") && !s.contains("finding(s)")
    });
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
    tui.wait_restored();
}

#[test]
fn the_embedded_endpoint_shows_a_real_post() {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut tui = Tui::start(&["--listen", &listen]);
    tui.wait_for("the curl line", |s| s.contains("curl -sS"));
    let body = format!(
        r#"{{"data_set_id":"pty-test","id":"post-1","timestamp":{},"event_type":"sign_up","source":"website"}}"#,
        now()
    );
    let client = std::net::TcpStream::connect(&listen);
    let mut stream = client.unwrap();
    write!(
        stream,
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    tui.wait_for("the event", |s| {
        s.contains("pty-test") && s.contains("post-1")
    });
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn escapes_in_payloads_leave_screen_and_title_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("evil.ndjson");
    let evil = format!(
        "{}\n{}\n",
        format_args!(
            r#"{{"data_set_id":"ds\u001b]0;pwned\u0007","id":"x\u001b[2J\u009b31m","timestamp":{},"event_type":"purchase","\u001b]2;title\u0007k":1,"value":1,"currency_code":"USD"}}"#,
            now()
        ),
        "{\"raw\":\"\u{1b}]0;pwned-raw\u{7}\u{1b}[2J\"}"
    );
    std::fs::write(&path, evil).unwrap();
    let mut tui = Tui::start(&[path.to_str().unwrap()]);
    tui.wait_for("the events", |s| s.contains("events 2"));
    tui.send("g");
    tui.send("\r");
    let text = tui.wait_for("the detail", |s| {
        s.contains("unknown_member") || s.contains("finding")
    });
    assert!(
        text.contains("\\u{1b}"),
        "escapes are shown as text:\n{text}"
    );
    let titles = tui.screen.lock().unwrap().callbacks().0.clone();
    assert!(titles.is_empty(), "the title was set: {titles:?}");
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn term_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.ndjson");
    std::fs::write(&path, "{}\n").unwrap();
    let mut tui = Tui::start(&[path.to_str().unwrap()]);
    tui.wait_for("the UI", |s| s.contains("events 1"));
    assert!(tui.alternate());
    let pid = tui.child.process_id().unwrap();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(tui.wait_exit(), 0);
    tui.wait_restored();
}

#[test]
fn a_tiny_terminal_says_so_and_resizing_recovers() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("e.ndjson");
    std::fs::write(&path, "{}\n").unwrap();
    let mut tui = Tui::start(&[path.to_str().unwrap()]);
    tui.wait_for("the UI", |s| s.contains("events 1"));
    tui.master
        .resize(PtySize {
            rows: 10,
            cols: 40,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    tui.screen.lock().unwrap().screen_mut().set_size(10, 40);
    tui.wait_for("too small", |s| s.contains("too small"));
    tui.master
        .resize(PtySize {
            rows: 40,
            cols: 140,
            pixel_width: 0,
            pixel_height: 0,
        })
        .unwrap();
    tui.screen.lock().unwrap().screen_mut().set_size(40, 140);
    tui.wait_for("the UI again", |s| s.contains("events 1"));
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

/// The analysis views on a file, against `check --format json` on the same file: the Problems
/// view shows a known code with its exact count, the Funnel view the exact stage counts, and the
/// Duplicates view a known colliding key whose diff names the differing path.
#[test]
fn the_analysis_views_show_what_check_reports() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("traffic.ndjson");
    let bin = env!("CARGO_BIN_EXE_ecapi-scope");
    let generated = std::process::Command::new(bin)
        .args(["gen", "-n", "2000", "--seed", "11", "--invalid-rate", "0.1"])
        .args(["--duplicate-rate", "0.03", "--malformed-rate", "0.01"])
        .output()
        .unwrap();
    let mut text = String::from_utf8(generated.stdout).unwrap();
    // A key sent five times, the last with another value: the most duplicated key.
    let t = now();
    for value in [5, 5, 5, 5, 7] {
        writeln!(
            text,
            "{{\"data_set_id\":\"pty-ds\",\"id\":\"pty-dup-1\",\"timestamp\":{t},\"event_type\":\"purchase\",\"value\":{value},\"currency_code\":\"USD\",\"source\":\"website\"}}"
        )
        .unwrap();
    }
    std::fs::write(&path, &text).unwrap();
    let out = std::process::Command::new(bin)
        .args(["check", "--format", "json", "--fail-on", "never"])
        .arg(&path)
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let events = report["events"].as_u64().unwrap();

    let mut tui = Tui::start(&[path.to_str().unwrap()]);
    let count = ecapi_scope::output::thousands;
    tui.wait_for("every event", |s| {
        s.contains(&format!("events {}", count(events)))
    });

    tui.send("3");
    let malformed = report["findings_by_code"]["malformed_json"]
        .as_u64()
        .unwrap();
    tui.wait_for("the malformed group with its count", |s| {
        s.lines().any(|l| {
            l.contains(" malformed_json ") && l.contains(&format!(" {} ", count(malformed)))
        })
    });

    tui.send("2");
    let screen = tui.wait_for("the funnel", |s| s.contains("Funnel · all data sets"));
    for stage in ["upper", "mid", "lower", "custom"] {
        let n = report["funnel"][stage]["events"].as_u64().unwrap();
        let line = screen
            .lines()
            .find(|l| l.starts_with(stage))
            .unwrap_or_else(|| panic!("{stage} on screen:\n{screen}"));
        assert!(
            line.contains(&format!(" {} ", count(n))),
            "{stage} {n}: {line}"
        );
    }

    tui.send("4");
    tui.wait_for("the colliding key first", |s| {
        s.lines()
            .any(|l| l.contains("pty-dup-1") && l.contains(" 4 ") && l.contains("conflict"))
    });
    tui.send("g");
    tui.send("\r");
    tui.wait_for("the diff naming the path", |s| {
        s.contains("pty-dup-1") && s.contains("differing paths: $.value")
    });
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
}

#[test]
fn an_event_edited_in_editor_is_validated_replayed_and_its_answer_listed() {
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("served.ndjson");
    let serve = serve::Serve::start(&["--capture", capture.to_str().unwrap()]);
    let t = now();
    let event = format!(
        r#"{{"data_set_id":"acme-web","id":"ord-7","timestamp":{t},"event_type":"purchase","value":12.5,"currency_code":"USD","source":"website","user_data":{{"email_address":["b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"]}}}}"#
    );
    let path = dir.path().join("e.ndjson");
    std::fs::write(&path, format!("{event}\n")).unwrap();
    // The editor: a script that changes the value and says it ran.
    let editor = dir.path().join("edit.sh");
    let ran = dir.path().join("ran");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\nsed -i 's/\"value\": 12.5/\"value\": 99.5/' \"$1\"\ntouch {}\n",
            ran.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&editor, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let to = format!("http://{}/", serve.addr);
    let mut tui = Tui::start_with_env(
        &[path.to_str().unwrap(), "--no-follow", "--replay-to", &to],
        &[("EDITOR", editor.to_str().unwrap()), ("VISUAL", "")],
    );
    tui.wait_for("the event", |s| s.contains("ord-7"));
    tui.send("R");
    tui.wait_for("the edited event's verdict", |s| {
        s.contains("The edited event is ✓ ok")
    });
    assert!(ran.exists(), "the editor ran");
    assert!(
        tui.alternate(),
        "the terminal was taken back after the editor"
    );
    tui.send("\r");
    tui.send("5");
    let s = tui.wait_for("the send's answer", |s| {
        s.contains("(edited)") && s.contains("accepted")
    });
    assert!(s.contains("200"), "{s}");
    tui.send("q");
    assert_eq!(tui.wait_exit(), 0);
    let (lines, stats) = serve.stop();
    assert_eq!(stats["hub"]["events"], 1, "serve took the one event");
    assert_eq!(lines[0]["accepted"], 1);
    let captured = std::fs::read_to_string(&capture).unwrap();
    assert!(
        captured.contains("99.5"),
        "the edited payload went: {captured}"
    );
}
