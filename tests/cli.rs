//! The real binary: exit codes, output formats, inputs (files, gzip, stdin), `hash` against the
//! spec's vectors, and no false positives on clean generated traffic.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use assert_cmd::Command;
use serde_json::Value;
use std::io::Write;

const NOW: &str = "1795784000";

fn bin() -> Command {
    Command::cargo_bin("ecapi-scope").unwrap()
}

fn gen(args: &[&str]) -> Vec<u8> {
    let out = bin()
        .args(["gen", "--now", NOW])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

fn check_stdin(input: &[u8], args: &[&str]) -> std::process::Output {
    bin()
        .args(["check", "--now", NOW, "--no-progress"])
        .args(args)
        .arg("-")
        .write_stdin(input.to_vec())
        .output()
        .unwrap()
}

fn records(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn clean_traffic_has_no_error_and_no_warning() {
    let input = gen(&["-n", "100000", "--seed", "11"]);
    let out = check_stdin(&input, &["--format", "json", "--fail-on", "warning"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["events"], 100_000);
    assert_eq!(doc["status"]["warning"], 0, "{}", doc["findings"]);
    assert_eq!(doc["status"]["error"], 0, "{}", doc["findings"]);
    assert_eq!(doc["status"]["malformed"], 0);
    assert_eq!(out.status.code(), Some(0));
}

#[test]
fn batches_and_envelopes_are_split_into_events() {
    let input = gen(&["-n", "100", "--batch-size", "10", "--seed", "3"]);
    let out = check_stdin(&input, &["--format", "ndjson"]);
    let recs = records(&out.stdout);
    assert_eq!(recs.len(), 100);
    assert!(recs.iter().all(|r| r["status"] == "ok"), "{recs:?}");
    assert_eq!(recs[0]["index"], 0);
    assert_eq!(recs[9]["index"], 9);
    assert_eq!(recs[10]["line"], 2);
}

#[test]
fn injected_faults_are_all_found() {
    let args = [
        "-n",
        "5000",
        "--seed",
        "5",
        "--invalid-rate",
        "0.3",
        "--duplicate-rate",
        "0.1",
        "--malformed-rate",
        "0.02",
    ];
    let input = gen(&args);
    let stats = bin()
        .args(["gen", "--now", NOW])
        .args(args)
        .args(["--stats", "-o", "/dev/null"])
        .output()
        .unwrap();
    let stats: Value = serde_json::from_slice(&stats.stderr).unwrap();
    let out = check_stdin(&input, &["--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["status"]["malformed"], stats["malformed"]);
    assert_eq!(doc["duplicates"]["exact"], stats["exact_duplicates"]);
    assert_eq!(
        doc["duplicates"]["conflict"],
        stats["conflicting_duplicates"]
    );
    for (fault, n) in stats["by_fault"].as_object().unwrap() {
        let found = doc["findings_by_code"][fault].as_u64().unwrap_or(0);
        assert!(
            found >= n.as_u64().unwrap(),
            "{fault}: injected {n}, found {found}"
        );
    }
}

#[test]
fn ndjson_contract_shape() {
    let line = br#"{"data_set_id":"ds1","id":"e9","timestamp":1795783900,"event_type":"purchase","value":12.5,"source":"website","user_data":{"click_id":"c1"}}"#;
    let out = check_stdin(line, &["--format", "ndjson"]);
    assert_eq!(out.status.code(), Some(1));
    let r = &records(&out.stdout)[0];
    assert_eq!(r["line"], 1);
    assert_eq!(r["index"], Value::Null);
    assert_eq!(r["status"], "error");
    assert_eq!(r["event_type"], "purchase");
    assert_eq!(r["stage"], "lower");
    assert_eq!(r["data_set_id"], "ds1");
    assert_eq!(r["id"], "e9");
    assert_eq!(r["duplicate"], Value::Null);
    let f = &r["findings"][0];
    assert_eq!(f["severity"], "error");
    assert_eq!(f["code"], "currency_missing");
    assert_eq!(f["path"], "$.currency_code");
    assert_eq!(f["value"], Value::Null);
    assert!(f["message"].as_str().unwrap().contains("12.5"));
}

#[test]
fn duplicates_name_their_first_occurrence_and_differing_paths() {
    let a = r#"{"data_set_id":"d","id":"x","timestamp":1795783900,"event_type":"page_view","source":"website","user_data":{"click_id":"c"},"properties":{"page_url":"https://a.example/"}}"#;
    let b = r#"{"properties":{"page_url":"https://a.example/"},"user_data":{"click_id":"c"},"source":"website","event_type":"page_view","timestamp":1795783900.0,"id":"x","data_set_id":"d"}"#;
    let c = r#"{"data_set_id":"d","id":"x","timestamp":1795783900,"event_type":"page_view","source":"website","user_data":{"click_id":"c"},"properties":{"page_url":"https://b.example/"}}"#;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("dups.ndjson");
    std::fs::write(&path, format!("{a}\n{b}\n{c}\n")).unwrap();
    let out = bin()
        .args(["check", "--now", NOW, "--format", "ndjson"])
        .arg(&path)
        .output()
        .unwrap();
    let recs = records(&out.stdout);
    assert_eq!(recs[1]["duplicate"]["kind"], "exact");
    assert_eq!(recs[1]["duplicate"]["first_line"], 1);
    assert_eq!(recs[2]["duplicate"]["kind"], "conflict");
    assert_eq!(
        recs[2]["duplicate"]["paths"],
        serde_json::json!(["$.properties.page_url"])
    );
    // Standard input cannot seek: the paths come from the window of recent records.
    let out = check_stdin(format!("{a}\n{c}\n").as_bytes(), &["--format", "ndjson"]);
    assert_eq!(
        records(&out.stdout)[1]["duplicate"]["paths"],
        serde_json::json!(["$.properties.page_url"])
    );
}

#[test]
fn gzip_files_and_several_inputs() {
    let dir = tempfile::tempdir().unwrap();
    let plain = dir.path().join("a.ndjson");
    let gz = dir.path().join("b.ndjson.gz");
    std::fs::write(&plain, gen(&["-n", "50", "--seed", "1"])).unwrap();
    let mut enc = flate2::write::GzEncoder::new(
        std::fs::File::create(&gz).unwrap(),
        flate2::Compression::default(),
    );
    enc.write_all(&gen(&["-n", "70", "--seed", "2"])).unwrap();
    enc.finish().unwrap();
    let out = bin()
        .args(["check", "--now", NOW, "--format", "json"])
        .arg(&plain)
        .arg(&gz)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["events"], 120);
}

#[test]
fn exit_codes() {
    let clean = gen(&["-n", "10"]);
    assert_eq!(check_stdin(&clean, &[]).status.code(), Some(0));
    let warn = br#"{"data_set_id":"d","id":"x","timestamp":1795783900,"event_type":"page_view","source":"website","user_data":{"click_id":""}}"#;
    assert_eq!(check_stdin(warn, &[]).status.code(), Some(0));
    assert_eq!(
        check_stdin(warn, &["--fail-on", "warning"]).status.code(),
        Some(1)
    );
    assert_eq!(check_stdin(b"not json\n", &[]).status.code(), Some(1));
    assert_eq!(
        check_stdin(b"not json\n", &["--fail-on", "never"])
            .status
            .code(),
        Some(0)
    );
    let missing = bin()
        .args(["check", "/nonexistent/file.ndjson"])
        .output()
        .unwrap();
    assert_eq!(missing.status.code(), Some(2));
    assert_eq!(
        bin()
            .args(["check", "--format", "yaml", "-"])
            .output()
            .unwrap()
            .status
            .code(),
        Some(2)
    );
    assert_eq!(
        bin().arg("frobnicate").output().unwrap().status.code(),
        Some(2)
    );
}

#[test]
fn junit_report_is_xml_with_failures() {
    let input = b"{\"data_set_id\":\"d\",\"id\":\"<x>\",\"timestamp\":1795783900,\"event_type\":\"page_view\",\"source\":\"website\",\"user_data\":{\"click_id\":\"c\"}}\nnot json\n";
    let out = check_stdin(input, &["--format", "junit"]);
    let xml = String::from_utf8(out.stdout).unwrap();
    assert!(xml.starts_with("<?xml"));
    assert!(xml.contains("tests=\"2\" failures=\"1\""), "{xml}");
    assert!(xml.contains("&lt;x&gt;"));
    assert!(xml.contains("malformed_json"));
}

#[test]
fn text_summary_escapes_payload_text() {
    let evil = "{\"data_set_id\":\"\\u001b[2J\\u001b]0;pwned\\u0007\",\"id\":\"x\",\"timestamp\":1795783900,\"event_type\":\"\\u009b31m\",\"source\":\"website\",\"user_data\":{\"click_id\":\"c\"}}\n";
    let out = check_stdin(evil.as_bytes(), &[]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "{text}");
    assert!(!text.contains('\u{9b}'));
    assert!(!text.contains('\u{7}'));
    assert!(text.contains("\\u{1b}[2J"), "{text}");
}

#[test]
fn hash_reproduces_the_spec_vectors() {
    let tsv = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../shared/spec/normalization_vectors.tsv"
    ))
    .or_else(|_| {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/normalization_vectors.tsv"
        ))
    })
    .unwrap();
    let mut n = 0;
    for row in tsv.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = row.split('\t').collect();
        let (field, raw, normalized, sha) = (cols[0], cols[1].trim_matches('|'), cols[2], cols[3]);
        let out = bin()
            .args(["hash", "-v", "--field", field, "--", raw])
            .output()
            .unwrap();
        let line = String::from_utf8(out.stdout).unwrap();
        assert_eq!(
            line.trim_end(),
            format!("{sha}\t{}", serde_json::to_string(normalized).unwrap()),
            "{field}"
        );
        n += 1;
    }
    assert_eq!(n, 6);
}

#[test]
fn rules_command_matches_docs() {
    let out = bin().arg("rules").output().unwrap();
    let docs =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/docs/RULES.md")).unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), docs);
}

#[test]
fn config_file_changes_stages_and_bad_config_names_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let good = dir.path().join("good.toml");
    std::fs::write(&good, "[stages]\npage_view = \"mid\"\n").unwrap();
    let out = bin()
        .arg("--config")
        .arg(&good)
        .arg("stages")
        .output()
        .unwrap();
    assert!(String::from_utf8(out.stdout).unwrap().lines().any(|l| l
        .split_whitespace()
        .take(2)
        .collect::<Vec<_>>()
        == ["page_view", "mid"]
        && l.contains("(set in")));
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[stages]\npage_view = \"top\"\n").unwrap();
    let out = bin()
        .arg("--config")
        .arg(&bad)
        .arg("stages")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("bad.toml") && err.contains("stages.page_view"),
        "{err}"
    );
}

/// `-j 2` reads on a thread of its own, in batches of records: inputs of every shape give
/// the same reports as on one thread (lines cut by read boundaries, CR-LF, a BOM, blank
/// lines, lines over the limit, capture lines, whose records are decoded, gzip, a file given
/// twice).
#[test]
fn one_job_and_two_jobs_agree_on_inputs_of_every_shape() {
    let dir = tempfile::tempdir().unwrap();
    let events = gen(&["-n", "6000", "--seed", "21", "--duplicate-rate", "0.2"]);
    let lines: Vec<&[u8]> = events
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    let mut shaped = b"\xef\xbb\xbf".to_vec();
    for (i, line) in lines.iter().enumerate() {
        match i % 7 {
            0 => shaped.extend_from_slice(b"\n \t\n"),
            1 => shaped.extend(std::iter::repeat_n(b'x', 5000 + i)),
            2 => {
                shaped.extend_from_slice(
                    b"{\"_capture\":1,\"received\":1795783000000,\"source\":\"tcp-listen://x\",\"json\":",
                );
                shaped.extend_from_slice(line);
                shaped.push(b'}');
            }
            _ => {}
        }
        if i % 7 != 2 {
            shaped.extend_from_slice(line);
        }
        shaped.extend_from_slice(if i % 2 == 0 { b"\r\n" } else { b"\n" });
    }
    let half = lines.len() / 2;
    let plain = dir.path().join("shaped.ndjson");
    std::fs::write(&plain, &shaped).unwrap();
    let gz = dir.path().join("second.ndjson.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    enc.write_all(&lines[half..].join(&b"\r\n"[..])).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let run = |jobs: &str| {
        bin()
            .args(["check", "--now", NOW, "--no-progress", "--format", "ndjson"])
            .args(["--max-line-bytes", "4000", "-j", jobs])
            .arg(&plain)
            .arg(&gz)
            .arg(&plain)
            .output()
            .unwrap()
    };
    let (one, two) = (run("1"), run("2"));
    let recs = records(&one.stdout);
    assert!(recs.len() > 12_000, "{}", recs.len());
    let too_long = |r: &Value| r["findings"][0]["code"] == "line_too_long";
    assert!(recs.iter().any(too_long), "no line over the limit");
    assert!(
        one.stdout == two.stdout,
        "ndjson differs between -j 1 and -j 2"
    );
}

#[test]
fn one_job_and_two_jobs_give_identical_reports() {
    let input = gen(&[
        "-n",
        "20000",
        "--seed",
        "8",
        "--invalid-rate",
        "0.2",
        "--duplicate-rate",
        "0.1",
        "--malformed-rate",
        "0.01",
        "--batch-size",
        "3",
    ]);
    let one = check_stdin(&input, &["--format", "ndjson", "-j", "1"]);
    let two = check_stdin(&input, &["--format", "ndjson", "-j", "2"]);
    // Every event is reported (malformed lines add one record each), every value is JSON.
    assert!(records(&one.stdout).len() >= 20_000);
    assert!(
        one.stdout == two.stdout,
        "ndjson differs between -j 1 and -j 2"
    );
    assert_eq!(one.status.code(), two.status.code());
}
