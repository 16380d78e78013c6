//! The headless commands as people expect them: `watch --format text`, reports that list every
//! input, summaries that show values, configuration errors with line and key, validated
//! arguments, `hash` warnings, `rules CODE`, completions and the man page.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use assert_cmd::Command;
use std::path::Path;

fn bin() -> Command {
    let mut c = Command::cargo_bin("ecapi-scope").unwrap();
    c.env_remove("ECAPI_SCOPE_CONFIG").env_remove("NO_COLOR");
    c
}

struct Ran {
    code: i32,
    out: String,
    err: String,
}

fn run(args: &[&str]) -> Ran {
    let o = bin().args(args).output().unwrap();
    Ran {
        code: o.status.code().unwrap_or(-1),
        out: String::from_utf8_lossy(&o.stdout).into_owned(),
        err: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn file(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.to_str().unwrap().to_owned()
}

fn events(t: i64) -> String {
    [
        format!(r#"{{"data_set_id":"acme","id":"o-1","timestamp":{t},"event_type":"purchase","value":5,"currency_code":"USD","source":"website","user_data":{{"email_address":["b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"]}}}}"#),
        format!(r#"{{"data_set_id":"acme","id":"o-2\u001b[2J","timestamp":{t},"event_type":"purchase","value":5,"source":"website"}}"#),
        format!(r#"{{"data_set_id":"acme","id":"o-1","timestamp":{t},"event_type":"purchase","value":5,"currency_code":"USD","source":"website","user_data":{{"email_address":["b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"]}}}}"#),
    ]
    .join("\n")
        + "\n"
}

#[test]
fn watch_text_is_one_readable_line_per_event_with_news_in_line() {
    let dir = tempfile::tempdir().unwrap();
    let f = file(dir.path(), "e.ndjson", &events(now()));
    let r = run(&["watch", "--format", "text", "--no-follow", &f]);
    assert_eq!(r.code, 0, "{}", r.err);
    let lines: Vec<&str> = r.out.lines().filter(|l| !l.contains(" ── ")).collect();
    assert_eq!(lines.len(), 3, "{}", r.out);
    assert!(
        lines[0].contains("acme") && lines[0].contains("purchase") && lines[0].contains("✓ ok")
    );
    assert!(
        lines[1].contains("✗ error") && lines[1].contains("currency_missing $.currency_code"),
        "{}",
        lines[1]
    );
    assert!(lines[2].contains("dup:exact") && lines[2].contains("duplicate_exact $.id"));
    assert!(
        !r.out.contains('\u{1b}'),
        "no colour off a terminal, escapes neutralised"
    );
    assert!(lines[1].contains("\\u{1b}[2J"), "{}", lines[1]);
    assert!(
        r.out.contains(" ── ended"),
        "the source's state is a line of its own: {}",
        r.out
    );
    // Not a terminal and no --format: NDJSON, as before.
    let r = run(&["watch", "--no-follow", "-q", &f]);
    assert!(r
        .out
        .lines()
        .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()));
}

#[test]
fn watch_text_says_refused_requests_in_line() {
    use std::io::{BufRead, BufReader, Read, Write};
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args([
            "watch",
            "--format",
            "text",
            "http-listen://127.0.0.1:0/events",
        ])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let addr = loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "watch ended");
        if let Some(a) = line.split("listening on ").nth(1) {
            break a.trim().to_owned();
        }
    };
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    s.write_all(
        b"POST /wrong HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}",
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 404"), "{answer}");
    let said = loop {
        let mut line = String::new();
        assert!(out.read_line(&mut line).unwrap() > 0, "watch ended");
        if line.contains("404") {
            break line;
        }
    };
    assert!(said.contains("answered 404 to POST /wrong"), "{said}");
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn every_report_format_lists_an_unreadable_input() {
    let dir = tempfile::tempdir().unwrap();
    let f = file(dir.path(), "good.ndjson", &events(now()));
    let r = run(&["check", "--format", "junit", "/nonexistent", &f]);
    assert_eq!(r.code, 2);
    assert!(r.out.contains(r#"errors="1""#), "{}", r.out);
    assert!(
        r.out.contains(r#"<testsuite name="/nonexistent""#),
        "{}",
        r.out
    );
    assert!(
        r.out.contains("<error message=\"/nonexistent: "),
        "{}",
        r.out
    );
    let r = run(&["check", "--format", "json", "/nonexistent", &f]);
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert!(v["input_errors"][0]
        .as_str()
        .unwrap()
        .starts_with("/nonexistent: "));
    let r = run(&["check", "/nonexistent", &f]);
    assert!(r.out.contains("unreadable  /nonexistent: "), "{}", r.out);
}

#[test]
fn the_text_summary_shows_values_not_placeholders() {
    let dir = tempfile::tempdir().unwrap();
    let at = now();
    let plain = file(dir.path(), "e.ndjson", &events(at));
    let text = run(&["check", &plain]).out;
    let dup = text
        .lines()
        .find(|l| l.contains("duplicate_exact"))
        .unwrap();
    assert!(!dup.contains("(missing)") && dup.contains("n/a"), "{dup}");
    assert!(text.contains("mid 0 (n/a: previous 0)"), "{text}");
    let one = |id: &str| {
        format!(
            r#"{{"data_set_id":"d","id":"{id}","timestamp":{at},"event_type":"purchase","value":1.7e308,"currency_code":"USD","source":"website"}}"#
        )
    };
    let huge = file(
        dir.path(),
        "huge.ndjson",
        &format!("{}\n{}\n", one("a"), one("b")),
    );
    let text = run(&["check", &huge]).out;
    assert!(text.contains("USD overflow"), "{text}");
    assert!(!text.split_whitespace().any(|w| w == "inf"), "{text}");
    let json = run(&["check", "--format", "json", &huge]).out;
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["value_by_currency"]["USD"]["overflow"], true);
}

#[test]
fn configuration_errors_name_the_line_and_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let c = file(
        dir.path(),
        "c.toml",
        "theme = \"dark\"\nmax_line_bytes = -5\n",
    );
    let r = run(&["--config", &c, "stages"]);
    assert_eq!(r.code, 2);
    assert!(
        r.err.contains("line 2, column 18: key `max_line_bytes`")
            && r.err.contains("expected a positive integer"),
        "{}",
        r.err
    );
    let c = file(dir.path(), "d.toml", "\n[stages]\npurchase = \"bottom\"\n");
    let r = run(&["--config", &c, "stages"]);
    assert!(
        r.err.contains("d.toml, line 3: key `stages.purchase`"),
        "{}",
        r.err
    );
    let r = run(&["--config", "/no/such.toml", "stages"]);
    assert_eq!(r.err.matches("No such file").count(), 1, "{}", r.err);
    let r = bin()
        .env("ECAPI_SCOPE_CONFIG", "")
        .arg("stages")
        .output()
        .unwrap();
    assert!(r.status.success(), "an empty variable is no config");
    let c = file(
        dir.path(),
        "s.toml",
        "[stages]\nsign_up = \"lower\"\n[stages.custom]\nquote_requested = \"mid\"\n",
    );
    let r = run(&["--config", &c, "stages"]);
    assert!(r
        .out
        .lines()
        .any(|l| l.starts_with("sign_up") && l.contains("(set in")));
    assert!(r
        .out
        .lines()
        .any(|l| l.starts_with("custom:quote_requested") && l.contains("mid")));
    assert!(r
        .out
        .lines()
        .any(|l| l.starts_with("purchase") && !l.contains("set in")));
}

#[test]
fn arguments_are_validated() {
    let dir = tempfile::tempdir().unwrap();
    let f = file(dir.path(), "e.ndjson", &events(now()));
    assert_eq!(run(&["check", "-j", "0", &f]).code, 2);
    let many = run(&["check", "-j", "64", &f]);
    assert!(
        many.err.contains("more threads than this machine"),
        "{}",
        many.err
    );
    assert_eq!(
        run(&["watch", "--rate-limit", "0", "http-listen://127.0.0.1:0"]).code,
        2
    );
    let o = bin()
        .env("EMPTY_TOKEN", "")
        .args([
            "watch",
            "--token-env",
            "EMPTY_TOKEN",
            "http-listen://127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is empty"));
}

#[test]
fn rules_code_shows_one_rule() {
    let r = run(&["rules", "timestamp_stale"]);
    assert_eq!(r.code, 0);
    assert!(
        r.out.starts_with("timestamp_stale\n") && r.out.contains("severity"),
        "{}",
        r.out
    );
    let r = run(&["rules", "timestamp_stale", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&r.out).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 1);
    let r = run(&["rules", "timestamp_stal"]);
    assert_eq!(r.code, 2);
    assert!(
        r.err.contains("timestamp_stale"),
        "a did-you-mean: {}",
        r.err
    );
}

#[test]
fn hash_warns_where_check_would_flag() {
    let r = run(&["hash", "--field", "phone_numbers", "555-1234"]);
    assert!(r.err.contains("no country code"), "{}", r.err);
    assert_eq!(r.out.lines().count(), 1, "the hash is still printed");
    let r = run(&["hash", "--field", "email_address", ""]);
    assert!(r.err.contains("empty once normalized"), "{}", r.err);
    let r = run(&["hash", "--field", "email_address", "test@example.com"]);
    assert!(r.err.contains("placeholder"), "{}", r.err);
    let r = run(&["hash", "--field", "email_address", "jane.doe@acme.io"]);
    assert!(r.err.is_empty(), "{}", r.err);
    // The same seed and --now: the same bytes.
    let a = run(&["gen", "-n", "50", "--seed", "3", "--now", "1796150000"]).out;
    let b = run(&["gen", "-n", "50", "--seed", "3", "--now", "1796150000"]).out;
    assert_eq!(a, b);
}

#[test]
fn completions_and_the_man_page_name_every_command() {
    let commands = [
        "check", "watch", "gen", "hash", "rules", "stages", "serve", "replay",
    ];
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let r = run(&["completions", shell]);
        assert_eq!(r.code, 0);
        for c in commands {
            assert!(r.out.contains(c), "{shell} completions lack {c}");
        }
    }
    let man = run(&["man"]).out;
    assert!(man.starts_with(".ie") || man.contains(".TH"), "roff");
    for c in commands {
        assert!(
            man.contains(&format!("ecapi\\-scope\\-{c}")),
            "the man page lacks {c}"
        );
    }
    let help = run(&["--help"]).out;
    for c in commands {
        assert!(help.contains(&format!("  {c} ")), "--help lacks {c}");
    }
    let r = bin().write_stdin("").output().unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    for c in commands {
        assert!(err.contains(c), "the no-terminal message lacks {c}: {err}");
    }
}
