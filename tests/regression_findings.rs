//! Regressions of findings, named after the bug.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

#[path = "common/endpoint.rs"]
mod endpoint;
use endpoint::listening_address;

use assert_cmd::Command;
use serde_json::Value;

fn findings(event: &str) -> Vec<(String, String)> {
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args(["check", "-", "--now", "1796150000", "--format", "ndjson"])
        .write_stdin(event.to_owned() + "\n")
        .output()
        .unwrap();
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["code"].as_str().unwrap().to_owned(),
                f["path"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn event(extra: &str) -> String {
    format!(
        r#"{{"data_set_id":"d","id":"1","timestamp":1796149990,"event_type":"page_view","source":"app"{extra}}}"#
    )
}

fn dups(extra: &str) -> Vec<String> {
    findings(&event(extra))
        .into_iter()
        .filter(|(c, _)| c == "duplicate_key")
        .map(|(_, p)| p)
        .collect()
}

#[test]
fn duplicate_unknown_properties_and_ext_members_get_no_duplicate_key() {
    assert_eq!(dups(r#","a":0,"a":1"#), ["$.a"]);
    assert_eq!(dups(r#","properties":{"q":1,"q":2}"#), ["$.properties.q"]);
    assert_eq!(dups(r#","ext":{"k":1,"k":2}"#), ["$.ext.k"]);
    assert_eq!(
        dups(r#","ext":{"n":{"z":[{"y":1},{"y":1,"y":2}]}}"#),
        ["$.ext.n.z[1].y"]
    );
    assert_eq!(dups(r#","odd":{"b":1,"b":2}"#), ["$.odd.b"]);
    // Distinct names, and the same name in sibling objects, are not duplicates.
    assert!(dups(r#","ext":{"k":1,"j":{"k":2},"l":[{"k":1},{"k":2}]}"#).is_empty());
    // A repeated unknown member is one unknown_field, plus its duplicate_key.
    let f = findings(&event(r#","a":0,"a":1"#));
    assert_eq!(
        f.iter().filter(|(c, _)| c == "unknown_field").count(),
        1,
        "{f:?}"
    );
}

#[test]
fn the_http_reply_carries_raw_c1_bytes_and_another_shape() {
    let mut server = std::process::Command::new(assert_cmd::cargo::cargo_bin("ecapi-scope"))
        .args(["watch", "--format", "none", "http-listen://127.0.0.1:0/"])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(server.stderr.take().unwrap());
    let addr = listening_address(&mut stderr);
    let post = |body: &str| {
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        write!(
            s,
            "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut answer = Vec::new();
        s.read_to_end(&mut answer).unwrap();
        answer
    };
    let ev = r#"{"data_set_id":"d","id":"x\u009b31m","timestamp":1796149990,"event_type":"page_view","source":"app"}"#;
    let first = post(ev);
    let again = post(ev);
    let _ = server.kill();
    let _ = server.wait();
    let text = String::from_utf8(again).unwrap();
    assert!(
        !text.contains('\u{9b}'),
        "a raw C1 byte in the reply: {text:?}"
    );
    let body: Value = serde_json::from_str(text.split("\r\n\r\n").nth(1).unwrap()).unwrap();
    let event = &body["events"][0];
    assert_eq!(event["id"], "x\u{9b}31m", "escaped, the same text");
    assert_eq!(
        event["duplicate"]["kind"], "exact",
        "the ndjson shape: {event}"
    );
    assert_eq!(event["duplicate"]["first_line"], 1);
    for f in event["findings"].as_array().unwrap() {
        assert!(
            f.get("hint").is_none_or(|h| !h.is_null()),
            "no null hint: {f}"
        );
        assert!(f["spec"].is_string());
    }
    assert!(String::from_utf8(first)
        .unwrap()
        .starts_with("HTTP/1.1 200"));
}

#[test]
fn a_line_with_a_million_unknown_members_makes_one_huge_record() {
    let members: Vec<String> = (0..200_000).map(|i| format!("\"m{i}\":{i}")).collect();
    let event = event(&format!(",{}", members.join(",")));
    let out = Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args(["check", "-", "--now", "1796150000", "--format", "ndjson"])
        .write_stdin(event + "\n")
        .output()
        .unwrap();
    assert!(
        out.stdout.len() < 200_000,
        "the record is {} bytes",
        out.stdout.len()
    );
    let r: Value = serde_json::from_slice(&out.stdout).unwrap();
    let f = r["findings"].as_array().unwrap();
    assert!(f.len() <= 102, "{} findings", f.len());
    let over = f.iter().find(|f| f["code"] == "too_many_findings").unwrap();
    assert!(over["message"]
        .as_str()
        .unwrap()
        .contains("more findings were not listed"));
}
