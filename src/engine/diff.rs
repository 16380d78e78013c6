//! The paths at which two events differ, for conflicting duplicates. Runs only on conflicts, so
//! it may parse into `serde_json::Value` trees; comparison is canonical (null = absent,
//! numbers by value).

use crate::engine::canon;
use crate::engine::path::push_member;
use serde_json::Value;
use std::fmt::Write as _;

/// At most this many differing paths are listed.
pub const MAX_PATHS: usize = 20;

/// The event at `index` of a record (the record itself when `index` is `None`).
pub fn event_of(raw: &[u8], index: Option<u32>, batch_key: &str) -> Option<Value> {
    let record: Value = serde_json::from_slice(raw).ok()?;
    match index {
        None => Some(record),
        Some(i) => {
            let list = match record {
                Value::Array(list) => list,
                Value::Object(mut map) => match map.remove(batch_key) {
                    Some(Value::Array(list)) => list,
                    _ => return None,
                },
                _ => return None,
            };
            list.into_iter().nth(i as usize)
        }
    }
}

/// Paths (as in findings) where `a` and `b` differ.
pub fn differing_paths(a: &Value, b: &Value) -> Vec<String> {
    let mut out = Vec::new();
    walk(a, b, &mut String::from("$"), &mut out);
    out
}

fn walk(a: &Value, b: &Value, path: &mut String, out: &mut Vec<String>) {
    if out.len() >= MAX_PATHS || canon::value(a) == canon::value(b) {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            let mut keys: Vec<&String> = x.keys().chain(y.keys()).collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                let va = x.get(k).unwrap_or(&Value::Null);
                let vb = y.get(k).unwrap_or(&Value::Null);
                let len = path.len();
                push_member(path, k);
                walk(va, vb, path, out);
                path.truncate(len);
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (va, vb)) in x.iter().zip(y).enumerate() {
                let len = path.len();
                let _ = write!(path, "[{i}]");
                walk(va, vb, path, out);
                path.truncate(len);
            }
        }
        _ => out.push(path.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_leaf_paths() {
        let a = json!({"value": 10, "user_data": {"email_address": ["a", "b"]}, "x": null});
        let b = json!({"value": 12.5, "user_data": {"email_address": ["a", "c"]}});
        assert_eq!(
            differing_paths(&a, &b),
            vec!["$.user_data.email_address[1]", "$.value"]
        );
        assert!(differing_paths(&json!({"a": 1}), &json!({"a": 1.0})).is_empty());
        assert_eq!(differing_paths(&json!([1]), &json!([1, 2])), vec!["$"]);
    }

    #[test]
    fn picks_events_out_of_batches() {
        let raw = br#"{"events":[{"id":"a"},{"id":"b"}]}"#;
        assert_eq!(event_of(raw, Some(1), "events"), Some(json!({"id": "b"})));
        assert_eq!(
            event_of(br#"[{"id":"a"}]"#, Some(0), "events"),
            Some(json!({"id": "a"}))
        );
        assert_eq!(event_of(b"not json", None, "events"), None);
    }
}
