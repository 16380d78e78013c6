//! `merge REPORT...`: the reports of instances that each read a share of one stream, split by
//! key as a topic keyed by `data_set_id` + `id` is, merge into the report of one instance that
//! read it all.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

#[path = "common/report.rs"]
mod report;

use assert_cmd::Command;
use serde_json::Value;
use std::path::Path;

const NOW: &str = "1767225600";

fn bin() -> Command {
    let mut c = Command::cargo_bin("ecapi-scope").unwrap();
    c.env_remove("ECAPI_SCOPE_CONFIG");
    c
}

fn check_json(files: &[&Path]) -> Value {
    let mut args: Vec<&std::ffi::OsStr> = vec!["--now".as_ref(), NOW.as_ref()];
    args.extend(files.iter().map(|f| f.as_os_str()));
    report::check_report(args)
}

/// The shard a line goes to: by data_set_id + id, as a keyed producer partitions.
fn shard(line: &str, shards: u64) -> u64 {
    let v: Option<Value> = serde_json::from_str(line).ok();
    let key = v.as_ref().map_or_else(
        || line.to_owned(),
        |v| format!("{}\u{0}{}", v["data_set_id"], v["id"]),
    );
    xxhash_rust::xxh3::xxh3_64(key.as_bytes()) % shards
}

/// What must be equal between the merged report and the whole one: everything but the
/// inputs' names, times, examples and where things were first seen.
fn project(mut v: Value) -> Value {
    let m = v.as_object_mut().unwrap();
    for k in [
        "inputs",
        "input_errors",
        "elapsed_ms",
        "events_by_source",
        "merged",
    ] {
        m.remove(k);
    }
    strip(&mut m["findings"], &["example_value", "example_line"]);
    strip(
        &mut m["duplicate_keys"],
        &[
            "first_line",
            "first_input",
            "inputs",
            "first_seen_ms",
            "last_seen_ms",
        ],
    );
    strip(
        &mut m["data_sets"],
        &[
            "first_seen_ms",
            "last_seen_ms",
            "events_per_second_last_minute",
        ],
    );
    v
}

/// Removes `fields` from every object of the list `list`.
fn strip(list: &mut Value, fields: &[&str]) {
    for item in list.as_array_mut().unwrap() {
        let item = item.as_object_mut().unwrap();
        for f in fields {
            item.remove(*f);
        }
    }
}

/// Equal, numbers that are not counts to a relative 1e-9 (value sums add in another order).
fn assert_same(a: &Value, b: &Value, at: &str) {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let kx: Vec<_> = x.keys().collect();
            let ky: Vec<_> = y.keys().collect();
            assert_eq!(kx, ky, "members of {at}");
            for (k, v) in x {
                assert_same(v, &y[k], &format!("{at}.{k}"));
            }
        }
        (Value::Array(x), Value::Array(y)) => {
            assert_eq!(x.len(), y.len(), "length of {at}");
            for (i, (v, w)) in x.iter().zip(y).enumerate() {
                assert_same(v, w, &format!("{at}[{i}]"));
            }
        }
        (Value::Number(x), Value::Number(y)) if x.as_u64().is_none() || y.as_u64().is_none() => {
            let (x, y) = (x.as_f64().unwrap(), y.as_f64().unwrap());
            assert!(
                (x - y).abs() <= 1e-9 * x.abs().max(y.abs()),
                "{at}: {x} vs {y}"
            );
        }
        _ => assert_eq!(a, b, "{at}"),
    }
}

#[test]
fn merged_shards_equal_the_whole() {
    let dir = tempfile::tempdir().unwrap();
    let whole = dir.path().join("all.ndjson");
    let gen = bin()
        .args(["gen", "-n", "30000", "--seed", "7", "--now", NOW])
        .args(["--duplicate-rate", "0.03", "--invalid-rate", "0.1"])
        .args(["--malformed-rate", "0.01", "-o"])
        .arg(&whole)
        .output()
        .unwrap();
    assert!(gen.status.success());
    let text = std::fs::read_to_string(&whole).unwrap();
    let mut parts = [String::new(), String::new(), String::new()];
    for line in text.lines() {
        let p = &mut parts[shard(line, 3) as usize];
        p.push_str(line);
        p.push('\n');
    }
    let paths: Vec<_> = (0..3)
        .map(|i| dir.path().join(format!("part{i}.json")))
        .collect();
    for (i, part) in parts.iter().enumerate() {
        assert!(!part.is_empty());
        let input = dir.path().join(format!("part{i}.ndjson"));
        std::fs::write(&input, part).unwrap();
        let report = check_json(&[&input]);
        std::fs::write(&paths[i], serde_json::to_vec(&report).unwrap()).unwrap();
    }
    let one = check_json(&[&whole]);
    assert!(
        one["duplicates"]["exact"].as_u64().unwrap() > 100,
        "the input has duplicates"
    );
    assert!(
        one["duplicate_keys"].as_array().unwrap().len() == 100,
        "more duplicate keys than a report lists, so the top of the union is tested"
    );
    let out = bin().arg("merge").args(&paths).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the traffic has errors: exit 1 like check"
    );
    let merged: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(merged["merged"]["reports"], 3);
    assert_eq!(merged["inputs"].as_array().unwrap().len(), 3);
    assert_same(&project(merged), &project(one), "$");
}

#[test]
fn merging_a_merged_report_adds_up_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let mut reports = Vec::new();
    for seed in ["1", "2", "3"] {
        let input = dir.path().join(format!("{seed}.ndjson"));
        let gen = bin()
            .args(["gen", "-n", "2000", "--seed", seed, "--now", NOW])
            .args(["--invalid-rate", "0.2", "-o"])
            .arg(&input)
            .output()
            .unwrap();
        assert!(gen.status.success());
        let path = dir.path().join(format!("{seed}.json"));
        std::fs::write(&path, serde_json::to_vec(&check_json(&[&input])).unwrap()).unwrap();
        reports.push(path);
    }
    let merge = |paths: &[&Path]| -> Value {
        let mut args: Vec<&std::ffi::OsStr> =
            vec!["merge".as_ref(), "--fail-on".as_ref(), "never".as_ref()];
        args.extend(paths.iter().map(|p| p.as_os_str()));
        report::json_of(args)
    };
    let first_two = dir.path().join("12.json");
    let m12 = merge(&[&reports[0], &reports[1]]);
    std::fs::write(&first_two, serde_json::to_vec(&m12).unwrap()).unwrap();
    let nested = merge(&[&first_two, &reports[2]]);
    let flat = merge(&[&reports[0], &reports[1], &reports[2]]);
    assert_eq!(nested["merged"]["reports"], 3);
    assert_same(&nested, &flat, "$");
    assert_eq!(flat["events"], 6000);
}

#[test]
fn merge_refuses_what_is_not_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("e.ndjson");
    std::fs::write(&input, "{\"data_set_id\":\"x\"}\n").unwrap();
    let report = dir.path().join("r.json");
    std::fs::write(&report, serde_json::to_vec(&check_json(&[&input])).unwrap()).unwrap();
    for (bad, says) in [
        ("[1,2]", "not a `check --format json` report"),
        ("{\"events\": 3}", "no events or funnel"),
        ("{not json", "not JSON"),
    ] {
        let path = dir.path().join("bad.json");
        std::fs::write(&path, bad).unwrap();
        let o = bin().arg("merge").arg(&report).arg(&path).output().unwrap();
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{bad}: {err}");
        assert!(
            err.contains(says) && err.contains("bad.json"),
            "{bad}: {err}"
        );
        assert!(o.stdout.is_empty(), "nothing printed for a refused merge");
    }
    let filtered = |f: &str| -> String {
        let r = report::check_report([
            std::ffi::OsStr::new("--filter"),
            f.as_ref(),
            input.as_os_str(),
        ]);
        let p = dir.path().join(format!("{}.json", f.len()));
        std::fs::write(&p, serde_json::to_vec(&r).unwrap()).unwrap();
        p.display().to_string()
    };
    let (a, b) = (filtered("status:error"), filtered("status:ok"));
    let o = bin().args(["merge", &a, &b]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("different filters"));
}

#[test]
fn regression_reports_made_with_the_same_filter_merge() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("e.ndjson");
    std::fs::write(&input, "{\"data_set_id\":\"x\"}\n").unwrap();
    let r = report::check_report([
        std::ffi::OsStr::new("--filter"),
        "status:error".as_ref(),
        input.as_os_str(),
    ]);
    let report = dir.path().join("f.json");
    std::fs::write(&report, serde_json::to_vec(&r).unwrap()).unwrap();
    let merged = report::json_of([
        std::ffi::OsStr::new("merge"),
        "--fail-on".as_ref(),
        "never".as_ref(),
        report.as_os_str(),
        report.as_os_str(),
    ]);
    assert_eq!(merged["filter"]["filter"], "status:error");
    assert_eq!(merged["filter"]["matched"], 2);
}
