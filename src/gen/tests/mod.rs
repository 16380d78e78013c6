//! Properties of the generated stream: determinism, coverage, cleanliness, counts and rates.

mod rules;
mod user_rules;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Instant;

use serde_json::Value;

use super::{event_types, generate, Fault, GenOptions, GenStats, Generator};

const NOW: i64 = 1_746_558_464;

fn opts(seed: u64, count: u64) -> GenOptions {
    GenOptions {
        seed,
        count,
        now: NOW,
        ..GenOptions::default()
    }
}

fn run(opts: GenOptions) -> (Vec<u8>, GenStats) {
    let mut out = Vec::new();
    let stats = generate(opts, &mut out).unwrap();
    (out, stats)
}

fn lines(bytes: &[u8]) -> Vec<&str> {
    let text = std::str::from_utf8(bytes).unwrap();
    assert!(text.ends_with('\n'));
    text[..text.len() - 1].split('\n').collect()
}

/// The events a parsed line carries: an object, a bare array, or an `{"events": [...]}`.
fn events_of(line: Value) -> Vec<Value> {
    match line {
        Value::Array(events) => events,
        Value::Object(mut o) if o.len() == 1 && o.get("events").is_some_and(Value::is_array) => {
            match o.remove("events") {
                Some(Value::Array(events)) => events,
                _ => unreachable!(),
            }
        }
        other => vec![other],
    }
}

fn all_events(bytes: &[u8]) -> Vec<Value> {
    lines(bytes)
        .into_iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .flat_map(events_of)
        .collect()
}

fn types() -> Vec<&'static str> {
    event_types().collect()
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_does_not() {
    let noisy = |seed| GenOptions {
        invalid_rate: 0.1,
        duplicate_rate: 0.1,
        conflict_share: 0.5,
        malformed_rate: 0.05,
        batch_size: 3,
        ..opts(seed, 2_000)
    };
    let (a, _) = run(noisy(7));
    let (b, _) = run(noisy(7));
    let (c, _) = run(noisy(8));
    assert_eq!(a, b);
    assert_ne!(a, c);
}

#[test]
fn every_event_type_appears_within_5000_events() {
    for seed in [1, 2, 3] {
        let (out, _) = run(opts(seed, 5_000));
        let seen: BTreeSet<String> = all_events(&out)
            .iter()
            .map(|e| e["event_type"].as_str().unwrap().to_owned())
            .collect();
        let missing: Vec<_> = types().into_iter().filter(|t| !seen.contains(*t)).collect();
        assert!(missing.is_empty(), "seed {seed}: missing {missing:?}");
    }
    assert_eq!(types().len(), 45);
}

#[test]
fn clean_events_pass_every_rule() {
    let types = types();
    let (out, stats) = run(GenOptions {
        batch_size: 4,
        ..opts(11, 20_000)
    });
    let events = all_events(&out);
    assert_eq!(events.len() as u64, stats.events);
    let mut bad = Vec::new();
    for e in &events {
        let p = rules::problems(e, NOW, &types);
        if !p.is_empty() && bad.len() < 5 {
            bad.push(format!("{p:?} in {e}"));
        }
    }
    assert!(bad.is_empty(), "{}", bad.join("\n"));
}

#[test]
fn every_line_parses_when_nothing_is_malformed() {
    let (out, stats) = run(GenOptions {
        invalid_rate: 0.3,
        duplicate_rate: 0.2,
        conflict_share: 0.5,
        batch_size: 3,
        ..opts(5, 3_000)
    });
    for line in lines(&out) {
        serde_json::from_str::<Value>(line).unwrap();
    }
    assert_eq!(stats.malformed, 0);
}

#[test]
fn stats_match_what_was_written() {
    let types = types();
    let (out, stats) = run(GenOptions {
        invalid_rate: 0.15,
        duplicate_rate: 0.15,
        conflict_share: 0.4,
        malformed_rate: 0.05,
        batch_size: 5,
        ..opts(21, 6_000)
    });
    let lines = lines(&out);
    assert_eq!(lines.len() as u64, stats.lines);
    let parsed: Vec<Value> = lines
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert_eq!((lines.len() - parsed.len()) as u64, stats.malformed);
    let events: Vec<Value> = parsed.into_iter().flat_map(events_of).collect();
    assert_eq!(events.len() as u64, stats.events);
    assert_eq!(stats.events, 6_000);

    let invalid = events
        .iter()
        .filter(|e| !rules::problems(e, NOW, &types).is_empty())
        .count();
    assert_eq!(invalid as u64, stats.invalid);
    assert_eq!(stats.by_fault.values().sum::<u64>(), stats.invalid);

    let (mut exact, mut conflicting) = (0, 0);
    let mut first: HashMap<(String, String), &Value> = HashMap::new();
    for e in &events {
        let key = (e["data_set_id"].to_string(), e["id"].to_string());
        match first.get(&key) {
            Some(original) if *original == e => exact += 1,
            Some(original) => {
                assert_eq!(original["event_type"], e["event_type"]);
                conflicting += 1;
            }
            None => {
                first.insert(key, e);
            }
        }
    }
    assert_eq!(exact, stats.exact_duplicates);
    assert_eq!(conflicting, stats.conflicting_duplicates);
}

#[test]
fn exact_duplicates_reorder_top_level_keys() {
    let (out, stats) = run(GenOptions {
        duplicate_rate: 0.3,
        ..opts(3, 2_000)
    });
    assert!(stats.exact_duplicates > 400);
    let mut first: HashMap<String, (&str, Value)> = HashMap::new();
    let mut compared = 0;
    for line in lines(&out) {
        let v: Value = serde_json::from_str(line).unwrap();
        let key = format!("{}/{}", v["data_set_id"], v["id"]);
        if let Some((raw, original)) = first.get(&key) {
            assert_eq!(*original, v);
            assert_ne!(*raw, line, "a re-send must not be byte-identical");
            compared += 1;
        } else {
            first.insert(key, (line, v));
        }
    }
    assert_eq!(compared, stats.exact_duplicates);
}

#[test]
fn batches_have_the_requested_size_and_alternate() {
    let (out, stats) = run(GenOptions {
        batch_size: 7,
        ..opts(4, 100)
    });
    let lines = lines(&out);
    assert_eq!(lines.len(), 15);
    assert_eq!(stats.lines, 15);
    for (i, line) in lines.iter().enumerate() {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v.is_array(), i % 2 == 0, "line {i}");
        assert_eq!(events_of(v).len(), if i == 14 { 2 } else { 7 });
    }
    let (out, _) = run(GenOptions {
        batch_size: 2,
        batch_key: "data".into(),
        ..opts(4, 4)
    });
    assert!(self::lines(&out)[1].starts_with("{\"data\":["));
}

#[test]
fn rates_are_roughly_as_asked() {
    let (_, s) = run(GenOptions {
        invalid_rate: 0.1,
        duplicate_rate: 0.2,
        conflict_share: 0.25,
        malformed_rate: 0.05,
        ..opts(9, 20_000)
    });
    let share = |n: u64, of: u64| n as f64 / of as f64;
    let dups = s.exact_duplicates + s.conflicting_duplicates;
    assert!((0.08..0.12).contains(&share(s.invalid, s.events)), "{s:?}");
    assert!((0.17..0.23).contains(&share(dups, s.events)), "{s:?}");
    assert!(
        (0.2..0.3).contains(&share(s.conflicting_duplicates, dups)),
        "{s:?}"
    );
    assert!((0.04..0.06).contains(&share(s.malformed, s.lines)), "{s:?}");
    let names: BTreeSet<_> = s.by_fault.keys().copied().collect();
    let all: BTreeSet<_> = Fault::ALL.iter().map(|f| f.name()).collect();
    assert_eq!(names, all);
}

#[test]
fn every_fault_breaks_a_rule() {
    let types = types();
    let mut g = Generator::new(opts(13, 0));
    let mut misses: BTreeMap<&str, usize> = BTreeMap::new();
    for fault in Fault::ALL {
        assert_eq!(Fault::parse(fault.name()), Some(fault));
        for _ in 0..200 {
            let mut out = Vec::new();
            assert!(g.write_event(None, Some(fault), &mut out));
            let v: Value = serde_json::from_slice(&out).unwrap();
            if rules::problems(&v, NOW, &types).is_empty() {
                *misses.entry(fault.name()).or_default() += 1;
            }
        }
    }
    assert!(
        misses.is_empty(),
        "faults that left a clean event: {misses:?}"
    );
    assert_eq!(g.stats().events, 0);
}

#[test]
fn write_event_honours_the_type() {
    let mut g = Generator::new(opts(2, 0));
    let mut out = Vec::new();
    assert!(!g.write_event(Some("Purchase"), None, &mut out));
    assert!(out.is_empty());
    for t in types() {
        out.clear();
        assert!(g.write_event(Some(t), None, &mut out));
        let v: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(v["event_type"], t);
    }
}

#[test]
fn malformed_lines_never_parse_and_do_not_count_as_events() {
    let (out, s) = run(GenOptions {
        malformed_rate: 0.4,
        ..opts(6, 500)
    });
    let bad = lines(&out)
        .iter()
        .filter(|l| serde_json::from_str::<Value>(l).is_err())
        .count();
    assert_eq!(bad as u64, s.malformed);
    assert_eq!(s.lines, s.events + s.malformed);
    assert!(s.malformed > 200);
    let (_, s) = run(GenOptions {
        malformed_rate: 1.0,
        ..opts(6, 50)
    });
    assert_eq!(s.events, 50);
}

#[test]
fn zero_events_write_nothing() {
    let (out, s) = run(opts(1, 0));
    assert!(out.is_empty());
    assert_eq!(s.lines, 0);
}

/// `cargo test --profile test-opt --lib gen::tests::throughput -- --ignored --nocapture`
#[test]
#[ignore = "timing, run in release mode"]
fn throughput() {
    let start = Instant::now();
    let opts = GenOptions {
        invalid_rate: 0.05,
        duplicate_rate: 0.05,
        ..opts(1, 1_000_000)
    };
    let s = generate(opts, std::io::sink()).unwrap();
    let secs = start.elapsed().as_secs_f64();
    eprintln!("{} events in {secs:.2} s", s.events);
    assert!(secs < 20.0, "far slower than expected");
}
