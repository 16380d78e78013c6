//! `merge REPORT...`: one report from the `check --format json` reports of instances that each
//! read a share of one stream (the members of a Kafka consumer group, or files split by hand).
//!
//! Counts, statuses, funnels, coverage, lag, event types, findings by code, duplicates and
//! value sums are added; finding groups are added by (code, path) and duplicate keys by
//! (data_set_id, id); first-seen times take the earliest, last-seen the latest. What cannot be
//! added exactly is said in `merged`: value sums are floating-point sums (equal to one
//! instance's to rounding), and `events_per_second_last_minute` adds rates measured over
//! windows that need not coincide. Duplicate keys are exact when every key lives in one
//! report (a topic keyed by `data_set_id` + `id`): each report lists its top keys, and the
//! top of the union is then within the union of the tops.

use crate::ecapi::codes::RULES;
use crate::engine::aggregate::MAX_DATA_SETS;
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// Duplicate keys a report lists (as `check --format json` does).
pub const LISTED_KEYS: usize = 100;

/// Merges reports, in order (examples and the first input of a key come from the earliest
/// report that has them). Errors name the report and the member that cannot be merged.
pub fn merge(reports: &[(String, Value)]) -> Result<Value, String> {
    let mut out = Map::new();
    for (name, doc) in reports {
        let Value::Object(doc) = doc else {
            return Err(format!("{name}: not a `check --format json` report"));
        };
        if !doc.contains_key("funnel") || !doc.contains_key("events") {
            return Err(format!(
                "{name}: not a `check --format json` report (no events or funnel)"
            ));
        }
        for (key, value) in doc {
            let merged = match out.remove(key) {
                None => value.clone(),
                Some(old) => member(key, old, value).map_err(|e| format!("{name}: {key}: {e}"))?,
            };
            out.insert(key.clone(), merged);
        }
    }
    if let Some(Value::Array(v)) = out.get_mut("findings") {
        groups(v);
    }
    if let Some(Value::Array(v)) = out.get_mut("duplicate_keys") {
        keys(v);
    }
    trim_data_sets(&mut out);
    let merged: u64 = reports
        .iter()
        .map(|(_, d)| d["merged"]["reports"].as_u64().unwrap_or(1))
        .sum();
    out.insert(
        "merged".into(),
        serde_json::json!({
            "reports": merged,
            "approximate": ["value sums (floating point)", "events_per_second_last_minute"],
        }),
    );
    Ok(Value::Object(out))
}

/// Merges one top-level member.
fn member(key: &str, old: Value, new: &Value) -> Result<Value, String> {
    match key {
        "inputs" | "input_errors" | "notes" => concat(old, new),
        "elapsed_ms" => Ok(max(&old, new)),
        "findings" => union(old, new, &group_key, add_group),
        "duplicate_keys" => union(old, new, &dup_key, add_dup_key),
        "data_sets" => union(old, new, &data_set_key, add),
        "value_by_currency" => currencies(old, new),
        "filter" => filter(old, new),
        "merged" => Ok(old),
        _ => add(old, new),
    }
}

/// Adds two values of the same shape: numbers add, objects add member by member.
fn add(old: Value, new: &Value) -> Result<Value, String> {
    match (old, new) {
        (Value::Number(a), Value::Number(b)) => number(&a, b),
        (Value::Object(mut a), Value::Object(b)) => {
            for (k, v) in b {
                let merged = match a.remove(k) {
                    None => v.clone(),
                    Some(old) => match k.as_str() {
                        "first_seen_ms" => min(&old, v),
                        "last_seen_ms" => max(&old, v),
                        "data_set_id" | "code" | "severity" | "path" | "id" | "filter" => {
                            same(old, v)?
                        }
                        _ => add(old, v).map_err(|e| format!("{k}: {e}"))?,
                    },
                };
                a.insert(k.clone(), merged);
            }
            Ok(Value::Object(a))
        }
        (Value::Bool(a), Value::Bool(b)) => Ok(Value::Bool(a || *b)),
        (Value::Null, b) => Ok(b.clone()),
        (a, Value::Null) => Ok(a),
        (a, b) => Err(format!("cannot add {a} and {b}")),
    }
}

fn number(a: &serde_json::Number, b: &serde_json::Number) -> Result<Value, String> {
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return x
            .checked_add(y)
            .map(Value::from)
            .ok_or_else(|| "a count past 2^64".into());
    }
    let (x, y) = (
        a.as_f64().unwrap_or(f64::NAN),
        b.as_f64().unwrap_or(f64::NAN),
    );
    Ok(serde_json::Number::from_f64(x + y).map_or(Value::Null, Value::Number))
}

fn same(old: Value, new: &Value) -> Result<Value, String> {
    if &old == new {
        Ok(old)
    } else {
        Err(format!("{old} and {new} differ"))
    }
}

fn concat(old: Value, new: &Value) -> Result<Value, String> {
    match (old, new) {
        (Value::Array(mut a), Value::Array(b)) => {
            a.extend(b.iter().cloned());
            Ok(Value::Array(a))
        }
        (a, b) => Err(format!("expected lists, found {a} and {b}")),
    }
}

fn pick(old: &Value, new: &Value, want: Ordering) -> Value {
    match (old.as_i64(), new.as_i64()) {
        (Some(a), Some(b)) if b.cmp(&a) == want => new.clone(),
        (None, Some(_)) => new.clone(),
        _ => old.clone(),
    }
}

fn min(old: &Value, new: &Value) -> Value {
    pick(old, new, Ordering::Less)
}

fn max(old: &Value, new: &Value) -> Value {
    pick(old, new, Ordering::Greater)
}

/// `{"filter": F, "matched": N}`: the same filter in every report, matches added.
fn filter(old: Value, new: &Value) -> Result<Value, String> {
    if old.get("filter") != new.get("filter") {
        return Err("the reports were made with different filters".into());
    }
    add(old, new)
}

/// `value_by_currency`: `{CUR: {"sum": S, "events": N}}`, a sum that overflowed stays so.
fn currencies(old: Value, new: &Value) -> Result<Value, String> {
    let (Value::Object(mut a), Value::Object(b)) = (old, new) else {
        return Err("expected an object of currencies".into());
    };
    for (cur, v) in b {
        let merged = match a.remove(cur) {
            None => v.clone(),
            Some(old) => {
                let overflow = old.get("sum").is_some_and(Value::is_null)
                    || v.get("sum").is_some_and(Value::is_null);
                let mut m = add(old, v)?;
                if overflow {
                    m["sum"] = Value::Null;
                    m["overflow"] = Value::Bool(true);
                }
                m
            }
        };
        a.insert(cur.clone(), merged);
    }
    Ok(Value::Object(a))
}

/// Adds two lists of objects, matching entries by `key`.
fn union(
    old: Value,
    new: &Value,
    key: &dyn Fn(&Value) -> Option<String>,
    merge_one: impl Fn(Value, &Value) -> Result<Value, String>,
) -> Result<Value, String> {
    let (Value::Array(mut a), Value::Array(b)) = (old, new) else {
        return Err("expected a list".into());
    };
    let mut at: std::collections::HashMap<String, usize> = a
        .iter()
        .enumerate()
        .filter_map(|(i, v)| Some((key(v)?, i)))
        .collect();
    for v in b {
        let k = key(v).ok_or_else(|| format!("an entry without its key: {v}"))?;
        match at.get(&k) {
            Some(&i) => {
                let old = std::mem::take(&mut a[i]);
                a[i] = merge_one(old, v)?;
            }
            None => {
                at.insert(k, a.len());
                a.push(v.clone());
            }
        }
    }
    Ok(Value::Array(a))
}

fn text_of<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn group_key(v: &Value) -> Option<String> {
    Some(format!(
        "{}\u{0}{}",
        v.get("code")?.as_str()?,
        text_of(v, "path")
    ))
}

fn dup_key(v: &Value) -> Option<String> {
    let ds = v.get("data_set_id")?;
    let id = v.get("id")?;
    Some(format!("{ds}\u{0}{id}"))
}

fn data_set_key(v: &Value) -> Option<String> {
    Some(v.get("data_set_id")?.to_string())
}

fn count(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(0)
}

/// A finding group: counts add; the example is the earlier report's.
fn add_group(old: Value, new: &Value) -> Result<Value, String> {
    let mut m = old;
    let n = count(&m, "count")
        .checked_add(count(new, "count"))
        .ok_or("a count past 2^64")?;
    m["count"] = Value::from(n);
    Ok(m)
}

/// A duplicate key seen by two reports (a stream not keyed by `data_set_id` + `id`: the
/// copies across reports were not compared with each other).
fn add_dup_key(mut m: Value, new: &Value) -> Result<Value, String> {
    let earlier_first = new.get("first_seen_ms").and_then(Value::as_i64)
        < m.get("first_seen_ms").and_then(Value::as_i64);
    let reused =
        m["id_reused"].as_bool().unwrap_or(false) || new["id_reused"].as_bool().unwrap_or(false);
    m["id_reused"] = Value::Bool(reused);
    for k in ["duplicates", "exact", "conflict"] {
        let n = count(&m, k)
            .checked_add(count(new, k))
            .ok_or("a count past 2^64")?;
        m[k] = Value::from(n);
    }
    if earlier_first {
        for k in ["first_line", "first_input", "first_seen_ms"] {
            m[k] = new.get(k).cloned().unwrap_or(Value::Null);
        }
    }
    m["last_seen_ms"] = max(&m["last_seen_ms"], &new["last_seen_ms"]);
    if let (Some(Value::Array(a)), Some(Value::Array(b))) = (m.get_mut("inputs"), new.get("inputs"))
    {
        for input in b {
            if !a.contains(input) {
                a.push(input.clone());
            }
        }
    }
    Ok(m)
}

fn code_rank(v: &Value) -> usize {
    let name = text_of(v, "code");
    RULES
        .iter()
        .find(|r| r.name == name)
        .map_or(usize::MAX, |r| r.code as usize)
}

/// Finding groups in the order `check` lists them: count, then code, then path.
fn groups(v: &mut [Value]) {
    v.sort_by(|a, b| {
        count(b, "count")
            .cmp(&count(a, "count"))
            .then(code_rank(a).cmp(&code_rank(b)))
            .then(text_of(a, "path").cmp(text_of(b, "path")))
    });
}

/// Duplicate keys in `check`'s order, the first `LISTED_KEYS`.
fn keys(v: &mut Vec<Value>) {
    v.sort_by(|a, b| {
        count(b, "duplicates")
            .cmp(&count(a, "duplicates"))
            .then(text_of(a, "data_set_id").cmp(text_of(b, "data_set_id")))
            .then(text_of(a, "id").cmp(text_of(b, "id")))
    });
    v.truncate(LISTED_KEYS);
}

/// Data sets by events, then name, as `check` lists them; past `MAX_DATA_SETS` their events
/// count as overflow.
fn trim_data_sets(out: &mut Map<String, Value>) {
    let Some(Value::Array(v)) = out.get_mut("data_sets") else {
        return;
    };
    v.sort_by(|a, b| {
        count(b, "events")
            .cmp(&count(a, "events"))
            .then(text_of(a, "data_set_id").cmp(text_of(b, "data_set_id")))
    });
    let dropped: u64 = v
        .iter()
        .skip(MAX_DATA_SETS)
        .map(|d| count(d, "events"))
        .sum();
    v.truncate(MAX_DATA_SETS);
    if dropped > 0 {
        let old = out
            .get("data_sets_overflow")
            .and_then(Value::as_u64)
            .unwrap_or(0);
        out.insert(
            "data_sets_overflow".into(),
            Value::from(old.saturating_add(dropped)),
        );
    }
}

/// Whether the merged report fails `--fail-on` as `check` would have.
pub fn fails(doc: &Value, threshold: Option<crate::ecapi::codes::Severity>) -> bool {
    use crate::ecapi::codes::Severity;
    let Some(t) = threshold else { return false };
    let status = |k: &str| doc["status"].get(k).and_then(Value::as_u64).unwrap_or(0);
    let errors = status("error") + status("malformed");
    let warnings = status("warning");
    let info = || {
        doc["findings"].as_array().is_some_and(|g| {
            g.iter()
                .any(|g| text_of(g, "severity") == "info" && count(g, "count") > 0)
        })
    };
    match t {
        Severity::Error => errors > 0,
        Severity::Warning => errors + warnings > 0,
        Severity::Info => errors + warnings > 0 || info(),
    }
}
