//! The `kafka://` source against a real broker on loopback (tansu): produce keyed, consume,
//! a consumer group split between two `watch` instances and merged back into the report of one
//! reader, rebalance, resume from committed offsets, start by time, bounded runs, and a broker
//! stopped and restarted under a running consumer.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

#[path = "common/broker.rs"]
mod broker;
#[path = "common/report.rs"]
mod report;

use broker::{wait_for, Broker};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

fn bin() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ecapi-scope"));
    c.env_remove("ECAPI_SCOPE_CONFIG");
    c
}

fn now() -> String {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        .to_string()
}

/// `gen` arguments of one traffic mix.
fn mix(n: u64, seed: u64, now: &str) -> Vec<String> {
    [
        "gen",
        "-n",
        &n.to_string(),
        "--seed",
        &seed.to_string(),
        "--now",
        now,
        "--duplicate-rate",
        "0.03",
        "--invalid-rate",
        "0.1",
        "--malformed-rate",
        "0.005",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect()
}

/// Produces the mix; returns how many records (lines) it was, counted from the same mix
/// written to a file (duplicates and malformed records add lines).
fn produce(broker: &Broker, topic: &str, n: u64, seed: u64, now: &str) -> usize {
    let out = bin()
        .args(mix(n, seed, now))
        .args(["--to", &format!("kafka://{}/{topic}", broker.addr())])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "gen: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = tempfile::tempdir().unwrap();
    lines(&gen_file(dir.path(), n, seed, now))
}

fn gen_file(dir: &Path, n: u64, seed: u64, now: &str) -> PathBuf {
    let path = dir.join(format!("gen-{seed}-{n}.ndjson"));
    let out = bin()
        .args(mix(n, seed, now))
        .arg("-o")
        .arg(&path)
        .output()
        .unwrap();
    assert!(out.status.success());
    path
}

fn lines(path: &Path) -> usize {
    std::fs::read_to_string(path).unwrap().lines().count()
}

fn check(args: &[&str]) -> Value {
    report::check_report(args)
}

/// The records of `check --format ndjson ARGS…`.
fn check_ndjson(args: &[&str]) -> Vec<Value> {
    let out = bin()
        .args(["check", "--format", "ndjson", "--fail-on", "never"])
        .args(args)
        .output()
        .unwrap();
    report::records(&out.stdout)
}

/// The counts two reports of the same events must agree on.
fn counts(r: &Value) -> Value {
    serde_json::json!({
        "events": r["events"], "records": r["records"], "status": r["status"],
        "findings_by_code": r["findings_by_code"], "duplicates": r["duplicates"],
        "event_types": r["event_types"], "match_key_coverage": r["match_key_coverage"],
        "funnel_events": Value::Object(r["funnel"].as_object().unwrap().iter()
            .map(|(k, v)| (k.clone(), serde_json::json!([v["events"], v["errors"], v["duplicates"]])))
            .collect()),
    })
}

/// A running `watch`: its ndjson records and its standard error, read as they come.
struct Watcher {
    child: Child,
    records: Arc<Mutex<Vec<Value>>>,
    errors: Arc<Mutex<Vec<String>>>,
}

impl Watcher {
    fn start(source: &str, extra: &[&str]) -> Watcher {
        let mut child = bin()
            .args([
                "watch",
                "--format",
                "ndjson",
                "--slow-output",
                "block",
                source,
            ])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let records = Arc::new(Mutex::new(Vec::new()));
        let errors = Arc::new(Mutex::new(Vec::new()));
        let (r, e) = (Arc::clone(&records), Arc::clone(&errors));
        let out = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                r.lock().unwrap().push(serde_json::from_str(&line).unwrap());
            }
        });
        let err = child.stderr.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(err).lines().map_while(Result::ok) {
                e.lock().unwrap().push(line);
            }
        });
        Watcher {
            child,
            records,
            errors,
        }
    }

    fn seen(&self) -> usize {
        self.records.lock().unwrap().len()
    }

    /// The partitions of its last assignment, once it has one.
    fn assigned(&self) -> Option<String> {
        let e = self.errors.lock().unwrap();
        e.iter()
            .rev()
            .find(|l| l.contains(": assigned ") || l.contains(": rebalancing"))
            .and_then(|l| l.split(": assigned ").nth(1).map(str::to_owned))
    }

    fn said(&self, what: &str) -> bool {
        self.errors.lock().unwrap().iter().any(|l| l.contains(what))
    }

    /// Stops it as Ctrl-C does and waits for it to exit.
    fn stop(mut self) -> Vec<Value> {
        let pid = self.child.id().to_string();
        let _ = Command::new("kill").args(["-INT", &pid]).status();
        let status = self.child.wait().unwrap();
        let errors = self.errors.lock().unwrap().join("\n");
        // watch exits 1 when a source failed.
        assert!(status.success(), "{status:?}: {errors}");
        std::mem::take(&mut *self.records.lock().unwrap())
    }
}

/// (partition, offset) of every record, and the events by key.
fn places(records: &[Value]) -> BTreeSet<(i64, i64)> {
    records
        .iter()
        .filter(|r| r["index"].is_null() || r["index"] == 0)
        .map(|r| {
            let k = &r["kafka"];
            (
                k["partition"].as_i64().unwrap(),
                k["offset"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn duplicates(records: &[Value]) -> usize {
    records.iter().filter(|r| !r["duplicate"].is_null()).count()
}

#[test]
fn keyed_production_and_a_bounded_check_see_every_event_once() {
    let broker = Broker::start();
    broker.create_topic("events", 4);
    let dir = tempfile::tempdir().unwrap();
    let t = now();
    let produced = produce(&broker, "events", 3000, 11, &t);
    let file = gen_file(dir.path(), 3000, 11, &t);
    let source = format!("kafka://{}/events", broker.addr());
    let from_topic = check(&[&source]);
    let from_file = check(&["--now", &t, file.to_str().unwrap()]);
    assert_eq!(counts(&from_topic), counts(&from_file));
    assert!(from_file["duplicates"]["exact"].as_u64().unwrap() > 30);

    // Per event: where it was; every copy of a key in one partition.
    let records = check_ndjson(&[&source]);
    assert_eq!(places(&records).len(), produced, "every message once");
    // Regression (check_kafka_label_shows_until_end): the records name the input as given.
    assert!(
        records.iter().all(|r| r["source"] == source.as_str()),
        "{}",
        records[0]["source"]
    );
    let mut partition_of: HashMap<(String, String), i64> = HashMap::new();
    // Records with both dedup fields as strings are keyed; the rest go to any partition.
    for r in records.iter().filter(|r| r["kafka"]["key"].is_string()) {
        let key = (r["data_set_id"].to_string(), r["id"].to_string());
        let p = r["kafka"]["partition"].as_i64().unwrap();
        assert_eq!(*partition_of.entry(key.clone()).or_insert(p), p, "{key:?}");
        assert!(r["kafka"]["key"]
            .as_str()
            .unwrap()
            .contains(r["id"].as_str().unwrap()));
        assert!(r["kafka"]["timestamp"].as_i64().unwrap() > 0);
    }
    let used: BTreeSet<i64> = partition_of.values().copied().collect();
    assert_eq!(used.len(), 4, "keys spread over the partitions");

    // --filter: the same matches as the file's check; ndjson lists only those.
    let filter = ["--filter", "status:error"];
    let topic_json = check(&[filter[0], filter[1], &source]);
    let file_json = check(&[filter[0], filter[1], "--now", &t, file.to_str().unwrap()]);
    let matched = file_json["filter"]["matched"].as_u64().unwrap();
    assert!(matched > 0, "{}", file_json["filter"]);
    assert_eq!(topic_json["filter"], file_json["filter"]);
    let lines = check_ndjson(&[filter[0], filter[1], &source]);
    assert_eq!(lines.len() as u64, matched);
    assert!(lines.iter().all(|r| r["status"] == "error"));
}

#[test]
fn two_watchers_in_a_group_split_the_topic_and_merge_into_one_report() {
    let broker = Broker::start();
    broker.create_topic("split", 4);
    let dir = tempfile::tempdir().unwrap();
    let group = format!("g-split-{}", std::process::id());
    let source = format!("kafka://{}/split?group={group}", broker.addr());
    let report = |name: &str| dir.path().join(name);
    let (ra, rb) = (report("a.json"), report("b.json"));
    let a = Watcher::start(&source, &["--report", ra.to_str().unwrap()]);
    wait_for("the first member's assignment", || a.assigned().is_some());
    let b = Watcher::start(&source, &["--report", rb.to_str().unwrap()]);
    wait_for("the group to split the partitions", || {
        a.assigned().as_deref() == Some("split[0,1]")
            && b.assigned().as_deref() == Some("split[2,3]")
            || a.assigned().as_deref() == Some("split[2,3]")
                && b.assigned().as_deref() == Some("split[0,1]")
    });
    // The bar is 100,000 events: ECAPI_SCOPE_SPLIT_EVENTS=100000 runs it at that size.
    let n = std::env::var("ECAPI_SCOPE_SPLIT_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let t = now();
    let produced = produce(&broker, "split", n, 21, &t);
    wait_for("both members to see every event", || {
        a.seen() + b.seen() >= produced
    });
    let (ea, eb) = (a.stop(), b.stop());
    let (pa, pb) = (places(&ea), places(&eb));
    assert!(!pa.is_empty() && !pb.is_empty());
    assert!(pa.is_disjoint(&pb), "no message reached both");
    assert_eq!(
        pa.len() + pb.len(),
        produced,
        "their union is what was produced"
    );
    let file = gen_file(dir.path(), n, 21, &t);
    let whole_file = check(&["--now", &t, file.to_str().unwrap()]);
    assert_eq!(
        (duplicates(&ea) + duplicates(&eb)) as u64,
        whole_file["duplicates"]["exact"].as_u64().unwrap()
            + whole_file["duplicates"]["conflict"].as_u64().unwrap(),
        "the members' duplicates add up to the re-sends"
    );
    let merged = bin()
        .args(["merge", "--fail-on", "never"])
        .arg(&ra)
        .arg(&rb)
        .output()
        .unwrap();
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let merged: Value = serde_json::from_slice(&merged.stdout).unwrap();
    let one = check(&[&format!("kafka://{}/split?from=earliest", broker.addr())]);
    assert_eq!(
        counts(&merged),
        counts(&one),
        "merge of the members = one reader of all"
    );
    let keys = |r: &Value| -> Vec<(Value, Value, Value)> {
        r["duplicate_keys"]
            .as_array()
            .unwrap()
            .iter()
            .map(|k| {
                (
                    k["data_set_id"].clone(),
                    k["id"].clone(),
                    k["duplicates"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(keys(&merged), keys(&one));
    assert_eq!(
        merged["findings"].as_array().unwrap().len(),
        one["findings"].as_array().unwrap().len()
    );

    // What the group committed is where a new member resumes: only what came after.
    let more = produce(&broker, "split", 500, 22, &t);
    let resumed = check(&[&source]);
    assert_eq!(
        resumed["records"], more,
        "resumed from the committed offsets"
    );
}

#[test]
fn a_member_leaving_hands_its_partitions_over_without_loss_or_repeat() {
    let broker = Broker::start();
    broker.create_topic("handover", 4);
    let group = format!("g-handover-{}", std::process::id());
    let source = format!("kafka://{}/handover?group={group}", broker.addr());
    let a = Watcher::start(&source, &[]);
    wait_for("an assignment", || a.assigned().is_some());
    let b = Watcher::start(&source, &[]);
    wait_for("a split", || {
        a.assigned().is_some_and(|p| p.len() < 15) && b.assigned().is_some_and(|p| p.len() < 15)
    });
    let t = now();
    let first = produce(&broker, "handover", 4000, 31, &t);
    wait_for("the first batch", || a.seen() + b.seen() >= first);
    let eb = b.stop();
    wait_for("the survivor to take every partition", || {
        a.assigned().as_deref() == Some("handover[0,1,2,3]")
    });
    let second = produce(&broker, "handover", 2000, 32, &t);
    wait_for("the second batch", || a.seen() + eb.len() >= first + second);
    let ea = a.stop();
    let (pa, pb) = (places(&ea), places(&eb));
    assert!(pa.is_disjoint(&pb));
    assert_eq!(pa.len() + pb.len(), first + second);
}

#[test]
fn a_start_by_time_reads_only_what_came_after() {
    let broker = Broker::start();
    broker.create_topic("bytime", 2);
    let t = now();
    let before = produce(&broker, "bytime", 300, 41, &t);
    // The next whole second, then what comes after it.
    let start_ms = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64
        / 1000
        + 1)
        * 1000;
    wait_for("the start to pass", || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
            > start_ms
    });
    let after = produce(&broker, "bytime", 200, 42, &t);
    let start = ecapi_scope::engine::time::format_utc(start_ms / 1000);
    let r = check(&[&format!("kafka://{}/bytime?from={start}", broker.addr())]);
    assert_eq!(r["records"], after, "{start}");
    let all = check(&[&format!("kafka://{}/bytime?from=earliest", broker.addr())]);
    assert_eq!(all["records"], before + after);
    let latest = check(&[&format!("kafka://{}/bytime?from=latest", broker.addr())]);
    assert_eq!(latest["records"], 0);
}

#[test]
fn a_broker_restart_under_a_consumer_loses_and_repeats_nothing() {
    let mut broker = Broker::start();
    broker.create_topic("restart", 2);
    let dir = tempfile::tempdir().unwrap();
    let capture = dir.path().join("cap.ndjson");
    let group = format!("g-restart-{}", std::process::id());
    let source = format!("kafka://{}/restart?group={group}", broker.addr());
    let w = Watcher::start(&source, &["--capture", capture.to_str().unwrap()]);
    wait_for("an assignment", || w.assigned().is_some());
    let t = now();
    let first = produce(&broker, "restart", 1000, 51, &t);
    wait_for("the first batch", || w.seen() >= first);
    broker.stop();
    wait_for("the consumer to say the broker is gone", || {
        w.said("reconnecting")
    });
    broker.restart();
    let second = produce(&broker, "restart", 1000, 52, &t);
    let all = first + second;
    wait_for("the second batch after the restart", || w.seen() >= all);
    let records = w.stop();
    assert_eq!(places(&records).len(), all, "every message once");
    assert_eq!(records.len(), all);
    // The capture has every record with where it was.
    let text = std::fs::read_to_string(&capture).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), all);
    let captured: BTreeMap<(i64, i64), usize> = lines
        .iter()
        .map(|l| {
            (
                (
                    l["kafka"]["partition"].as_i64().unwrap(),
                    l["kafka"]["offset"].as_i64().unwrap(),
                ),
                1,
            )
        })
        .collect();
    assert_eq!(captured.len(), all);
}
