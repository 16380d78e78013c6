//! `--format json`: one document with the summary, findings by code and path, duplicates,
//! the funnel, coverage, lag and the per-data_set_id scoreboard.

use crate::ecapi::codes::RULES;
use crate::engine::aggregate::{StageStats, LAG_LABELS};
use crate::engine::facts::MatchKey;
use crate::engine::stage::Stage;
use crate::output::Summary;
use serde_json::{json, Map, Value};

/// Stage name → events, errors, warnings, duplicates and value per currency.
fn funnel(by_stage: &[StageStats; 5]) -> Map<String, Value> {
    Stage::ALL
        .iter()
        .map(|s| s.name())
        .chain(["unknown"])
        .zip(by_stage)
        .map(|(name, st)| {
            let v = json!({"events": st.events, "errors": st.errors, "warnings": st.warnings,
                           "duplicates": st.duplicates, "value": st.value});
            (name.to_owned(), v)
        })
        .collect()
}

fn coverage(counts: &[u64; 9]) -> Map<String, Value> {
    MatchKey::ALL
        .iter()
        .zip(counts)
        .map(|(k, n)| (k.name().to_owned(), json!(n)))
        .collect()
}

fn lag(counts: &[u64; 10]) -> Map<String, Value> {
    LAG_LABELS
        .iter()
        .zip(counts)
        .map(|(l, n)| ((*l).to_owned(), json!(n)))
        .collect()
}

pub fn document(s: &Summary) -> Value {
    let a = s.agg;
    let groups: Vec<Value> = a
        .top_groups()
        .into_iter()
        .map(|g| {
            json!({
                "code": g.code.name(),
                "severity": g.severity.name(),
                "path": g.path,
                "count": g.count,
                "example_value": g.example_value.as_deref().and_then(|v| serde_json::from_str::<Value>(v).ok()),
                "example_line": g.example_line,
            })
        })
        .collect();
    let by_code: Map<String, Value> = RULES
        .iter()
        .filter(|r| a.by_code[r.code as usize] > 0)
        .map(|r| (r.name.to_owned(), json!(a.by_code[r.code as usize])))
        .collect();
    let overall_funnel = funnel(&a.by_stage);
    let overall_coverage = coverage(&a.coverage);
    let overall_lag = lag(&a.lag);
    let mut data_sets: Vec<(&String, _)> = a.data_sets.iter().collect();
    data_sets.sort_by(|x, y| y.1.events.cmp(&x.1.events).then(x.0.cmp(y.0)));
    let data_sets: Vec<Value> = data_sets
        .into_iter()
        .map(|(name, d)| {
            json!({"data_set_id": name, "events": d.events, "errors": d.errors,
                   "warnings": d.warnings, "duplicates": d.duplicates,
                   "first_seen_ms": d.first_seen_ms, "last_seen_ms": d.last_seen_ms,
                   "events_per_second_last_minute": d.recent.rate(a.last_ms.div_euclid(1000), 60),
                   "coverage": coverage(&d.coverage), "funnel": funnel(&d.by_stage),
                   "lag": lag(&d.lag)})
        })
        .collect();
    let values: Map<String, Value> = a
        .value_by_currency
        .iter()
        .map(|(c, (sum, n))| {
            let v = if sum.is_finite() {
                json!({"sum": sum, "events": n})
            } else {
                json!({"sum": null, "events": n, "overflow": true})
            };
            (c.clone(), v)
        })
        .collect();
    let mut doc = json!({
        "inputs": s.inputs,
        "input_errors": s.errors,
        "records": a.records,
        "events": a.events,
        "bytes": s.bytes,
        "elapsed_ms": s.elapsed.as_millis() as u64,
        "status": {"ok": a.by_status[0], "warning": a.by_status[1], "error": a.by_status[2], "malformed": a.by_status[3]},
        "findings_by_code": by_code,
        "findings": groups,
        "findings_groups_overflow": a.groups_overflow,
        "duplicates": {"exact": a.duplicates.exact, "conflict": a.duplicates.conflict,
                       "id_reused": a.duplicates.id_reused, "without_id": a.duplicates.without_id,
                       "id_in_other_data_set": a.duplicates.other_space, "keys": s.dedup_keys},
        "duplicate_keys": a.top_duplicate_keys().into_iter().take(crate::merge::LISTED_KEYS).map(|k| json!({
            "data_set_id": k.data_set_id, "id": k.id, "duplicates": k.duplicates,
            "exact": k.exact, "conflict": k.conflict, "id_reused": k.id_reused,
            "first_line": k.first_line,
            "first_input": s.inputs.get(k.first_source as usize),
            "first_seen_ms": k.first_seen_ms, "last_seen_ms": k.last_seen_ms,
            "inputs": k.sources.iter().filter_map(|i| s.inputs.get(*i as usize)).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "duplicate_keys_overflow": a.duplicate_keys_overflow,
        "funnel": overall_funnel,
        "value_by_currency": values,
        "event_types": crate::ecapi::event_type::EventType::all()
            .filter(|t| a.by_type[t.index()] > 0)
            .map(|t| (t.name().to_owned(), json!(a.by_type[t.index()])))
            .collect::<Map<String, Value>>(),
        "match_key_coverage": overall_coverage,
        "lag": overall_lag,
        "data_sets": data_sets,
        "data_sets_overflow": a.data_sets_overflow,
        "events_by_source": s.inputs.iter().enumerate()
            .map(|(i, name)| (name.clone(), json!(a.by_source.get(i).copied().unwrap_or(0))))
            .collect::<Map<String, Value>>(),
    });
    if let Some(map) = doc.as_object_mut() {
        if let Some((filter, matched)) = s.filter {
            map.insert(
                "filter".into(),
                json!({"filter": filter, "matched": matched}),
            );
        }
        if !s.notes.is_empty() {
            map.insert("notes".into(), json!(s.notes));
        }
    }
    doc
}
