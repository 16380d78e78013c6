//! Bad input never crashes anything: arbitrary bytes, truncation, invalid UTF-8, deep nesting,
//! huge lines and non-object values; verdicts do not depend on member order or arrival order.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use ecapi_scope::engine::lines::{Line, LineReader};
use ecapi_scope::engine::report::EventReport;
use ecapi_scope::engine::{Engine, EngineConfig, NoLookup, RecordMeta};
use ecapi_scope::gen::{generate, GenOptions};
use proptest::prelude::*;

const NOW: i64 = 1_795_784_000;

type Verdict = (String, Vec<(String, String)>, Option<String>);

/// Status, findings and duplicate kind of every event, for `input` split into lines.
fn judge(input: &[u8], max_line: usize) -> Vec<Verdict> {
    let mut engine = Engine::new(EngineConfig::default());
    let mut out = Vec::new();
    let mut sink = |r: &EventReport| {
        let mut f: Vec<_> = r
            .findings
            .iter()
            .map(|f| (f.code.name().to_owned(), f.path.to_string()))
            .collect();
        f.sort();
        out.push((
            r.status.name().to_owned(),
            f,
            r.duplicate.map(|d| d.kind.name().to_owned()),
        ));
    };
    let mut reader = LineReader::new(input, max_line);
    while let Some(line) = reader.next_line().unwrap() {
        let (Line::Record {
            line: n, offset, ..
        }
        | Line::TooLong {
            line: n, offset, ..
        }) = line;
        let meta = RecordMeta {
            line: n,
            source: 0,
            received_ms: NOW * 1000,
            locator: offset,
        };
        match line {
            Line::Record { text, .. } => engine.process(text, &meta, &mut NoLookup, &mut sink),
            Line::TooLong { len, .. } => {
                engine.process_too_long(len, max_line as u64, &meta, &mut sink);
            }
        }
    }
    out
}

fn one(input: &[u8]) -> Verdict {
    let mut v = judge(input, 16 << 20);
    assert_eq!(v.len(), 1, "{v:?}");
    v.remove(0)
}

fn sample(n: u64, seed: u64, faults: bool) -> Vec<String> {
    let opts = GenOptions {
        seed,
        count: n,
        now: NOW,
        invalid_rate: if faults { 0.3 } else { 0.0 },
        duplicate_rate: if faults { 0.2 } else { 0.0 },
        ..GenOptions::default()
    };
    let mut buf = Vec::new();
    generate(opts, &mut buf).unwrap();
    String::from_utf8(buf)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_truncation_of_an_event_is_malformed_not_a_panic() {
    let line = sample(1, 9, false).remove(0);
    for cut in 1..line.len() {
        if !line.is_char_boundary(cut) {
            continue;
        }
        let (status, findings, _) = one(&line.as_bytes()[..cut]);
        assert_eq!(status, "malformed", "cut at {cut}");
        assert_eq!(findings[0].0, "malformed_json");
    }
}

#[test]
fn invalid_utf8_is_malformed() {
    let (status, findings, _) = one(b"{\"data_set_id\":\"a\xff\xfeb\"}");
    assert_eq!(status, "malformed");
    assert_eq!(findings[0].0, "malformed_json");
    assert_eq!(one(b"\xff\xfe{}").0, "malformed");
    assert_eq!(one(b"{\"a\":\"\\ud800\"}").0, "malformed");
}

#[test]
fn ten_thousand_levels_of_nesting() {
    let deep = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let (status, findings, _) = one(deep.as_bytes());
    assert_eq!(status, "malformed");
    assert_eq!(findings[0].0, "nesting_too_deep");
    let deep_obj = format!("{}1{}", "{\"ext\":".repeat(10_000), "}".repeat(10_000));
    assert_eq!(one(deep_obj.as_bytes()).1[0].0, "nesting_too_deep");
}

#[test]
fn multi_megabyte_lines() {
    let big = "x".repeat(5 << 20);
    let line = format!(
        r#"{{"data_set_id":"d","id":"i","timestamp":{},"event_type":"page_view","source":"website","user_data":{{"click_id":"c"}},"properties":{{"search_term":"{big}"}}}}"#,
        NOW - 10
    );
    let (status, _, _) = one(line.as_bytes());
    assert_eq!(status, "ok");
    let with_bad = line.replace("\"search_term\"", "\"serch_term\"");
    let (_, findings, _) = one(with_bad.as_bytes());
    assert!(findings.iter().any(|f| f.0 == "unknown_field"));
    let v = judge(format!("{line}\n{line}\n").as_bytes(), 1 << 20);
    assert_eq!(v.len(), 2);
    assert!(v.iter().all(|(_, f, _)| f[0].0 == "line_too_long"));
}

#[test]
fn non_object_values() {
    for input in [
        "1",
        "-2.5",
        "\"text\"",
        "null",
        "true",
        "[1,\"a\",null]",
        "{\"events\":[[]]}",
    ] {
        for (status, findings, _) in judge(input.as_bytes(), 1024) {
            assert_eq!(status, "error", "{input}");
            assert_eq!(findings[0].0, "not_an_object", "{input}");
        }
    }
    assert_eq!(one(b"[]").1[0].0, "empty_batch");
}

#[test]
fn values_of_unknown_members_are_shown_as_json() {
    let line = r#"{"extra":{"a":[1,"x",null,{"b":true}],"c":-2.5}}"#;
    let mut engine = Engine::new(EngineConfig::default());
    let mut shown = Vec::new();
    let meta = RecordMeta {
        line: 1,
        source: 0,
        received_ms: NOW * 1000,
        locator: 0,
    };
    engine.process(
        line.as_bytes(),
        &meta,
        &mut NoLookup,
        &mut |r: &EventReport| {
            shown.extend(
                r.findings
                    .iter()
                    .filter(|f| f.code.name() == "unknown_field")
                    .map(|f| f.value.clone()),
            );
        },
    );
    assert_eq!(
        shown,
        vec![Some(r#"{"a":[1,"x",null,{"b":true}],"c":-2.5}"#.to_owned())]
    );
}

#[test]
fn hostile_member_names_are_escaped_in_paths() {
    let line = "{\"\\u001b[2J\":1,\"a.b\":2}";
    let (_, findings, _) = one(line.as_bytes());
    let paths: Vec<&str> = findings.iter().map(|f| f.1.as_str()).collect();
    assert!(paths.contains(&"$[\"\\u001b[2J\"]"), "{paths:?}");
    assert!(paths.contains(&"$[\"a.b\"]"), "{paths:?}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let out = judge(&bytes, 512);
        for (status, findings, _) in out {
            prop_assert!(["ok", "warning", "error", "malformed"].contains(&status.as_str()));
            if status == "malformed" {
                prop_assert!(!findings.is_empty());
            }
        }
    }

    #[test]
    fn json_shaped_noise_never_panics(s in "[\\[\\]{}\":,0-9a-z_ .eE+-]{0,300}") {
        let _ = judge(s.as_bytes(), 4096);
    }

}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn member_order_never_changes_a_verdict(seed in 0u64..1000, rot in 1usize..12) {
        for line in sample(5, seed, true) {
            let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(&line) else { continue };
            let mut pairs: Vec<_> = map.into_iter().collect();
            let r = rot % pairs.len().max(1);
            pairs.rotate_left(r);
            let body: Vec<String> = pairs.iter().map(|(k, v)| format!("{}:{v}", serde_json::to_string(k).unwrap())).collect();
            let reordered = format!("{{{}}}", body.join(","));
            prop_assert_eq!(judge(line.as_bytes(), 1 << 20), judge(reordered.as_bytes(), 1 << 20));
        }
    }

    #[test]
    fn duplicate_counts_do_not_depend_on_arrival_order(seed in 0u64..1000, shuffle_seed in any::<u64>()) {
        let lines = sample(60, seed, true);
        let mut shuffled = lines.clone();
        fastrand::Rng::with_seed(shuffle_seed).shuffle(&mut shuffled);
        let count = |ls: &[String]| {
            let v = judge(ls.join("\n").as_bytes(), 1 << 20);
            let exact = v.iter().filter(|x| x.2.as_deref() == Some("exact")).count();
            let conflict = v.iter().filter(|x| x.2.as_deref() == Some("conflict")).count();
            (exact, conflict)
        };
        prop_assert_eq!(count(&lines), count(&shuffled));
    }
}

#[test]
fn the_binary_exits_0_or_1_on_garbage() {
    let mut rng = fastrand::Rng::with_seed(7);
    let garbage: Vec<u8> = (0..200_000).map(|_| rng.u8(..)).collect();
    let out = assert_cmd::Command::cargo_bin("ecapi-scope")
        .unwrap()
        .args(["check", "--no-progress", "--format", "ndjson", "-"])
        .write_stdin(garbage)
        .output()
        .unwrap();
    assert!(matches!(out.status.code(), Some(0 | 1)), "{:?}", out.status);
    for line in String::from_utf8(out.stdout).unwrap().lines() {
        serde_json::from_str::<serde_json::Value>(line).unwrap();
    }
}

/// UTF-8 is checked once per record now (#11); a record that is not UTF-8 still gets the
/// parser's own message, with the column of the bad byte.
#[test]
fn invalid_utf8_keeps_the_parsers_message() {
    let mut engine = Engine::new(EngineConfig::default());
    let mut messages = Vec::new();
    let meta = RecordMeta::default();
    for raw in [
        &b"{\"data_set_id\":\"a\xff\"}"[..],
        b"{\"a\":1,\"b\":\"\xed\xa0\x80\"}",
    ] {
        engine.process(raw, &meta, &mut NoLookup, &mut |r| {
            messages.extend(r.findings.iter().map(|f| f.message.to_string()));
        });
    }
    assert_eq!(
        messages,
        [
            "invalid unicode code point at line 1 column 18",
            "invalid unicode code point at line 1 column 13"
        ]
    );
}
