//! Running aggregates over everything processed: totals, funnel, value per currency, findings
//! grouped by code and path, duplicates, match-key coverage, timestamp-to-arrival lag and a
//! scoreboard per data_set_id. Every map is capped, so hostile cardinality cannot grow memory
//! without bound; what did not fit is counted as overflow.

use super::dupkeys::{key_cut, DuplicateKeys};
use crate::ecapi::codes::{Code, RULES};
use crate::ecapi::event_type::COUNT as TYPE_COUNT;
use crate::engine::facts::MatchKey;
use crate::engine::rate::RateSeries;
use crate::engine::report::{DuplicateKind, EventReport, Status};
use crate::engine::stage::Stage;
use crate::fasthash::FastMap;

/// Caps on distinct keys kept.
pub const MAX_GROUPS: usize = 5_000;
pub const MAX_DATA_SETS: usize = 1_000;
pub const MAX_CURRENCIES: usize = 200;
pub const MAX_DUPLICATE_KEYS: usize = 10_000;
/// Longest key text kept (data_set_id, id); longer ones are cut.
pub const MAX_KEY_CHARS: usize = 200;

/// `s`, cut to `MAX_KEY_CHARS` characters.
pub fn key_text(s: &str) -> String {
    match s.char_indices().nth(MAX_KEY_CHARS) {
        Some((cut, _)) => format!("{}…", &s[..cut]),
        None => s.to_owned(),
    }
}

/// One collided `(data_set_id, id)` key.
#[derive(Clone, Debug, Default)]
pub struct DuplicateKeyStats {
    pub data_set_id: String,
    pub id: String,
    /// Occurrences after the first.
    pub duplicates: u64,
    pub exact: u64,
    pub conflict: u64,
    pub id_reused: bool,
    pub first_line: u64,
    pub first_source: u16,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    /// Sources the duplicates came from (at most 8 listed).
    pub sources: Vec<u16>,
}

/// Upper bounds (seconds, exclusive) of the lag histogram's buckets; the first bucket holds
/// events from the future, the last everything older than the last bound.
pub const LAG_BOUNDS: [i64; 9] = [0, 10, 60, 300, 1_800, 7_200, 43_200, 172_800, 604_800];
pub const LAG_LABELS: [&str; 10] = [
    "future", "<10s", "10s-1m", "1-5m", "5-30m", "30m-2h", "2-12h", "12-48h", "2-7d", ">7d",
];

#[derive(Clone, Debug, Default)]
pub struct StageStats {
    pub events: u64,
    pub errors: u64,
    pub warnings: u64,
    pub duplicates: u64,
    pub value: FastMap<String, f64>,
}

impl StageStats {
    fn count(&mut self, r: &EventReport) {
        self.events += 1;
        match r.status {
            Status::Error | Status::Malformed => self.errors += 1,
            Status::Warning => self.warnings += 1,
            Status::Ok => {}
        }
        if r.duplicate.is_some() {
            self.duplicates += 1;
        }
    }

    fn add_value(&mut self, currency: &str, v: f64) {
        if let Some(sum) = self.value.get_mut(currency) {
            *sum += v;
        } else if self.value.len() < MAX_CURRENCIES {
            self.value.insert(currency.to_owned(), v);
        }
    }
}

/// The lag bucket of an event: its `timestamp` against its arrival.
fn lag_bucket(r: &EventReport) -> Option<usize> {
    let lag = r.received_ms.div_euclid(1000) - r.timestamp?;
    Some(
        LAG_BOUNDS
            .iter()
            .position(|b| lag < *b)
            .unwrap_or(LAG_BOUNDS.len()),
    )
}

/// The currency and value an event adds to the value sums (a duplicate adds nothing).
fn counted_value<'a>(r: &EventReport<'a>) -> Option<(&'a str, f64)> {
    match (r.value, r.currency) {
        (Some(v), Some(cur)) if r.duplicate.is_none() && crate::ecapi::lists::is_currency(cur) => {
            Some((cur, v))
        }
        _ => None,
    }
}

#[derive(Clone, Debug)]
pub struct FindingGroup {
    pub code: Code,
    /// The severity in force for the code.
    pub severity: crate::ecapi::codes::Severity,
    /// The path with array indices folded to `[]`.
    pub path: String,
    pub count: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub example_value: Option<String>,
    pub example_line: u64,
    /// Occurrences per second over the last minute, by receive time (the sparkline).
    pub recent: RateSeries<60>,
}

#[derive(Clone, Debug, Default)]
pub struct DataSetStats {
    pub events: u64,
    pub errors: u64,
    pub warnings: u64,
    pub duplicates: u64,
    pub first_seen_ms: i64,
    pub last_seen_ms: i64,
    pub coverage: [u64; 9],
    /// The data set's own funnel: upper, mid, lower, custom, unknown.
    pub by_stage: [StageStats; 5],
    /// The data set's own lag histogram (buckets as `LAG_LABELS`).
    pub lag: [u64; 10],
    /// Events per second over the last minute.
    pub recent: RateSeries<60>,
}

impl DataSetStats {
    /// Value per currency over every stage.
    pub fn value_by_currency(&self) -> FastMap<String, f64> {
        let mut out = FastMap::default();
        for st in &self.by_stage {
            for (c, v) in &st.value {
                *out.entry(c.clone()).or_insert(0.0) += v;
            }
        }
        out
    }
}

#[derive(Clone, Debug, Default)]
pub struct DuplicateStats {
    pub exact: u64,
    pub conflict: u64,
    pub id_reused: u64,
    pub without_id: u64,
    pub other_space: u64,
}

#[derive(Clone, Debug)]
pub struct Aggregates {
    pub records: u64,
    pub events: u64,
    pub by_status: [u64; 4],
    /// Upper, mid, lower, custom, and unknown (no valid event_type).
    pub by_stage: [StageStats; 5],
    pub by_type: [u64; TYPE_COUNT],
    pub by_code: Vec<u64>,
    pub groups: Vec<FindingGroup>,
    group_index: FastMap<(Code, String), usize>,
    /// The folded path of the finding being counted: a buffer reused, not one per finding.
    scratch: String,
    pub groups_overflow: u64,
    pub value_by_currency: FastMap<String, (f64, u64)>,
    pub duplicates: DuplicateStats,
    pub coverage: [u64; 9],
    pub lag: [u64; 10],
    pub data_sets: FastMap<String, DataSetStats>,
    pub data_sets_overflow: u64,
    pub duplicate_keys: DuplicateKeys,
    pub duplicate_keys_overflow: u64,
    pub first_ms: Option<i64>,
    pub last_ms: i64,
    /// Events per second over the last five minutes, by receive time.
    pub rate: RateSeries<300>,
    /// Events per source (by source number).
    pub by_source: Vec<u64>,
}

impl Default for Aggregates {
    fn default() -> Self {
        Aggregates {
            records: 0,
            events: 0,
            by_status: [0; 4],
            by_stage: Default::default(),
            by_type: [0; TYPE_COUNT],
            by_code: vec![0; RULES.len()],
            groups: Vec::new(),
            group_index: FastMap::default(),
            scratch: String::new(),
            groups_overflow: 0,
            value_by_currency: FastMap::default(),
            duplicates: DuplicateStats::default(),
            coverage: [0; 9],
            lag: [0; 10],
            data_sets: FastMap::default(),
            data_sets_overflow: 0,
            duplicate_keys: DuplicateKeys::default(),
            duplicate_keys_overflow: 0,
            first_ms: None,
            last_ms: 0,
            rate: RateSeries::default(),
            by_source: Vec::new(),
        }
    }
}

/// `$.properties.items[3].price` → `$.properties.items[].price`.
pub fn fold_indices(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    fold_indices_into(path, &mut out);
    out
}

/// [`fold_indices`], appended to `out`.
pub fn fold_indices_into(path: &str, out: &mut String) {
    let mut in_index = false;
    for c in path.chars() {
        match c {
            '[' => {
                in_index = true;
                out.push('[');
            }
            ']' if in_index => {
                in_index = false;
                out.push(']');
            }
            d if in_index && d.is_ascii_digit() => {}
            other => {
                in_index = false;
                out.push(other);
            }
        }
    }
}

impl Aggregates {
    /// Counts one event (or one record without events) into every aggregate.
    pub fn add(&mut self, r: &EventReport, match_keys: u16) {
        self.events += 1;
        self.rate.add(r.received_ms.div_euclid(1000));
        let src = r.source as usize;
        if self.by_source.len() <= src {
            self.by_source.resize(src + 1, 0);
        }
        self.by_source[src] += 1;
        self.first_ms.get_or_insert(r.received_ms);
        self.last_ms = self.last_ms.max(r.received_ms);
        self.by_status[r.status as usize] += 1;
        let dup = r.duplicate.map(|d| d.kind);
        let stage_slot = r.stage.map_or(4, |s| s as usize);
        self.by_stage[stage_slot].count(r);
        if let Some(t) = r.kind {
            self.by_type[t.index()] += 1;
        }
        if let Some((cur, v)) = counted_value(r) {
            self.add_value(stage_slot, cur, v);
        }
        for f in r.findings {
            self.add_finding(f, r);
        }
        match dup {
            Some(DuplicateKind::Exact) => self.duplicates.exact += 1,
            Some(DuplicateKind::Conflict) => self.duplicates.conflict += 1,
            None => {}
        }
        if let Some(d) = r.duplicate {
            self.add_duplicate_key(r, d);
        }
        for (i, key) in MatchKey::ALL.iter().enumerate() {
            if match_keys & key.bit() != 0 {
                self.coverage[i] += 1;
            }
        }
        if let Some(bucket) = lag_bucket(r) {
            self.lag[bucket] += 1;
        }
        if let Some(ds) = r.data_set_id {
            self.add_data_set(ds, r, stage_slot, match_keys);
        }
    }

    fn add_value(&mut self, stage_slot: usize, currency: &str, v: f64) {
        if let Some(sum) = self.value_by_currency.get_mut(currency) {
            sum.0 += v;
            sum.1 += 1;
        } else if self.value_by_currency.len() < MAX_CURRENCIES {
            self.value_by_currency.insert(currency.to_owned(), (v, 1));
        }
        self.by_stage[stage_slot].add_value(currency, v);
    }

    fn add_finding(&mut self, f: &crate::engine::report::Finding, r: &EventReport) {
        self.by_code[f.code as usize] += 1;
        match f.code {
            Code::IdReused => self.duplicates.id_reused += 1,
            Code::IdMissing => self.duplicates.without_id += 1,
            Code::IdInOtherDataSet => self.duplicates.other_space += 1,
            _ => {}
        }
        let mut key = (f.code, std::mem::take(&mut self.scratch));
        key.1.clear();
        fold_indices_into(&f.path, &mut key.1);
        if let Some(&i) = self.group_index.get(&key) {
            let g = &mut self.groups[i];
            g.count += 1;
            g.last_seen_ms = g.last_seen_ms.max(r.received_ms);
            g.recent.add(r.received_ms.div_euclid(1000));
            self.scratch = key.1;
        } else if self.groups.len() < MAX_GROUPS {
            self.group_index.insert(key.clone(), self.groups.len());
            let mut recent = RateSeries::default();
            recent.add(r.received_ms.div_euclid(1000));
            self.groups.push(FindingGroup {
                code: f.code,
                severity: f.severity,
                path: key.1,
                count: 1,
                first_seen_ms: r.received_ms,
                last_seen_ms: r.received_ms,
                example_value: f.value.clone(),
                example_line: r.line,
                recent,
            });
        } else {
            self.groups_overflow += 1;
        }
    }

    fn add_duplicate_key(&mut self, r: &EventReport, d: &crate::engine::report::Duplicate) {
        let (Some(ds), Some(id)) = (r.data_set_id, r.id) else {
            return;
        };
        let (ds, id) = (key_cut(ds), key_cut(id));
        let made = || DuplicateKeyStats {
            data_set_id: ds.clone().into_owned(),
            id: id.clone().into_owned(),
            first_line: d.first_line,
            first_source: d.first_source,
            first_seen_ms: r.received_ms,
            ..DuplicateKeyStats::default()
        };
        let Some(stats) = self
            .duplicate_keys
            .get_or_insert(&ds, &id, MAX_DUPLICATE_KEYS, made)
        else {
            self.duplicate_keys_overflow += 1;
            return;
        };
        stats.duplicates += 1;
        match d.kind {
            DuplicateKind::Exact => stats.exact += 1,
            DuplicateKind::Conflict => stats.conflict += 1,
        }
        stats.id_reused |= r.findings.iter().any(|f| f.code == Code::IdReused);
        stats.last_seen_ms = stats.last_seen_ms.max(r.received_ms);
        if !stats.sources.contains(&r.source) && stats.sources.len() < 8 {
            stats.sources.push(r.source);
        }
    }

    /// Collided keys, most duplicated first, then by data_set_id and id: an order of the keys
    /// themselves, so that reports of instances that each saw a share of the keys merge into
    /// the report of one that saw them all (`merge`).
    pub fn top_duplicate_keys(&self) -> Vec<&DuplicateKeyStats> {
        let mut v: Vec<_> = self.duplicate_keys.values().collect();
        v.sort_by(|a, b| {
            b.duplicates
                .cmp(&a.duplicates)
                .then_with(|| a.data_set_id.cmp(&b.data_set_id))
                .then_with(|| a.id.cmp(&b.id))
        });
        v
    }

    fn add_data_set(&mut self, ds: &str, r: &EventReport, stage_slot: usize, match_keys: u16) {
        let stats = if let Some(s) = self.data_sets.get_mut(ds) {
            s
        } else if self.data_sets.len() < MAX_DATA_SETS {
            self.data_sets
                .entry(key_text(ds))
                .or_insert_with(|| DataSetStats {
                    first_seen_ms: r.received_ms,
                    ..DataSetStats::default()
                })
        } else {
            self.data_sets_overflow += 1;
            return;
        };
        stats.events += 1;
        stats.recent.add(r.received_ms.div_euclid(1000));
        stats.last_seen_ms = stats.last_seen_ms.max(r.received_ms);
        match r.status {
            Status::Error | Status::Malformed => stats.errors += 1,
            Status::Warning => stats.warnings += 1,
            Status::Ok => {}
        }
        if r.duplicate.is_some() {
            stats.duplicates += 1;
        }
        stats.by_stage[stage_slot].count(r);
        if let Some((cur, v)) = counted_value(r) {
            stats.by_stage[stage_slot].add_value(cur, v);
        }
        if let Some(bucket) = lag_bucket(r) {
            stats.lag[bucket] += 1;
        }
        for (i, key) in MatchKey::ALL.iter().enumerate() {
            if match_keys & key.bit() != 0 {
                stats.coverage[i] += 1;
            }
        }
    }

    /// Finding groups, most frequent first.
    pub fn top_groups(&self) -> Vec<&FindingGroup> {
        let mut v: Vec<_> = self.groups.iter().collect();
        v.sort_by(|a, b| {
            b.count
                .cmp(&a.count)
                .then(a.code.cmp(&b.code))
                .then(a.path.cmp(&b.path))
        });
        v
    }

    pub fn stage_count(&self, stage: Stage) -> u64 {
        self.by_stage[stage as usize].events
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_array_indices() {
        assert_eq!(
            fold_indices("$.properties.items[12].price"),
            "$.properties.items[].price"
        );
        assert_eq!(fold_indices("$[\"a[1]\"]"), "$[\"a[]\"]");
        assert_eq!(fold_indices("$"), "$");
    }
}
