//! Rewriting an event's top-level `id` and `timestamp` in its own text: every other byte stays
//! as the sender wrote it (member order, spacing, number forms), so that a replay is the
//! partner's payload and not a re-serialization of it.

use serde_json::value::RawValue;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;

/// What to change.
#[derive(Clone, Copy, Debug, Default)]
pub struct Edit<'a> {
    /// A new id (inserted when the event has none).
    pub id: Option<&'a str>,
    /// Seconds added to an integer `timestamp` (milliseconds ×1000 for 13-digit times).
    pub shift_secs: i64,
}

/// Where each top-level member's value sits in an object's text.
fn members(text: &str) -> Option<BTreeMap<Cow<'_, str>, Range<usize>>> {
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let map: BTreeMap<Cow<'_, str>, &RawValue> = serde_json::from_str(text).ok()?;
    let base = text.as_ptr() as usize;
    map.into_iter()
        .map(|(k, v)| {
            let start = (v.get().as_ptr() as usize).checked_sub(base)?;
            Some((k, start..start + v.get().len()))
        })
        .collect()
}

/// The event's integer `timestamp`, when it has one.
pub fn timestamp_of(text: &[u8]) -> Option<i64> {
    let text = std::str::from_utf8(text).ok()?;
    let at = members(text)?.get("timestamp")?.clone();
    text.get(at)?.parse().ok()
}

/// The rewritten text, and the id the event had (`None` when it had no string id).
/// Text that is not a JSON object is left as it is.
pub fn rewrite(raw: &[u8], edit: &Edit) -> (Vec<u8>, Option<String>) {
    let Ok(text) = std::str::from_utf8(raw) else {
        return (raw.to_vec(), None);
    };
    let Some(map) = members(text) else {
        return (raw.to_vec(), None);
    };
    let old_id = map
        .get("id")
        .and_then(|r| serde_json::from_str::<String>(&text[r.clone()]).ok());
    // Replacements, applied from the end so earlier ranges stay valid.
    let mut changes: Vec<(Range<usize>, String)> = Vec::new();
    if let Some(ts) = map.get("timestamp").filter(|_| edit.shift_secs != 0) {
        if let Ok(t) = text[ts.clone()].parse::<i64>() {
            let unit = if t.abs() >= 100_000_000_000 { 1000 } else { 1 };
            let shifted = t.saturating_add(edit.shift_secs.saturating_mul(unit));
            changes.push((ts.clone(), shifted.to_string()));
        }
    }
    if let Some(id) = edit.id {
        let quoted = crate::jsontext::quote(id);
        match map.get("id") {
            Some(r) => changes.push((r.clone(), quoted)),
            None => {
                let open = text.find('{').unwrap_or(0) + 1;
                let sep = if map.is_empty() { "" } else { "," };
                changes.push((open..open, format!("\"id\":{quoted}{sep}")));
            }
        }
    }
    changes.sort_by_key(|(r, _)| std::cmp::Reverse(r.start));
    let mut out = text.to_owned();
    for (range, with) in changes {
        out.replace_range(range, &with);
    }
    (out.into_bytes(), old_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, edit: &Edit) -> String {
        String::from_utf8(rewrite(text.as_bytes(), edit).0).unwrap()
    }

    #[test]
    fn only_the_members_named_change() {
        let e = r#"{ "timestamp" : 1746558464, "id":"a\u0041", "value":1.50, "user":{"id":"u"} }"#;
        let edit = Edit {
            id: Some("new"),
            shift_secs: 100,
        };
        assert_eq!(
            run(e, &edit),
            r#"{ "timestamp" : 1746558564, "id":"new", "value":1.50, "user":{"id":"u"} }"#
        );
        assert_eq!(rewrite(e.as_bytes(), &edit).1.as_deref(), Some("aA"));
        assert_eq!(run(e, &Edit::default()), e);
    }

    #[test]
    fn an_id_is_added_where_missing_and_milliseconds_shift_in_milliseconds() {
        let edit = Edit {
            id: Some("n"),
            shift_secs: 2,
        };
        assert_eq!(
            run(r#"{"timestamp":1746558464000}"#, &edit),
            r#"{"id":"n","timestamp":1746558466000}"#
        );
        assert_eq!(run("{}", &edit), r#"{"id":"n"}"#);
        assert_eq!(run(" [1,2]", &edit), " [1,2]");
        assert_eq!(run("{not json", &edit), "{not json");
        assert_eq!(
            run(r#"{"timestamp":"1746558464"}"#, &edit),
            r#"{"id":"n","timestamp":"1746558464"}"#
        );
    }

    #[test]
    fn reads_integer_timestamps_only() {
        assert_eq!(timestamp_of(br#"{"timestamp":12}"#), Some(12));
        assert_eq!(timestamp_of(br#"{"timestamp":"12"}"#), None);
        assert_eq!(timestamp_of(b"[]"), None);
    }
}
