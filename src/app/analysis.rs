//! The analysis views' state — Funnel (with the per-data_set_id scoreboard), Problems and
//! Duplicates — and the orderings both the app and the drawing use, so that the row the user
//! moves to is the row drawn. Selections are kept by key, not by position: rows move as counts
//! change, the selection stays on its data set, finding group or duplicate key.

use crate::ecapi::codes::Code;
use crate::engine::aggregate::{Aggregates, DataSetStats, DuplicateKeyStats, FindingGroup};
use crate::output::pct as percent;
use std::cmp::Ordering;

/// Columns of the scoreboard, in the order `s` cycles through them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScoreColumn {
    DataSet,
    Events,
    Rate,
    Errors,
    Warnings,
    Duplicates,
    LastSeen,
    Coverage,
}

impl ScoreColumn {
    pub const ALL: [ScoreColumn; 8] = [
        ScoreColumn::DataSet,
        ScoreColumn::Events,
        ScoreColumn::Rate,
        ScoreColumn::Errors,
        ScoreColumn::Warnings,
        ScoreColumn::Duplicates,
        ScoreColumn::LastSeen,
        ScoreColumn::Coverage,
    ];

    pub fn title(self) -> &'static str {
        match self {
            ScoreColumn::DataSet => "data_set_id",
            ScoreColumn::Events => "events",
            ScoreColumn::Rate => "/s 1m",
            ScoreColumn::Errors => "error%",
            ScoreColumn::Warnings => "warn%",
            ScoreColumn::Duplicates => "dup%",
            ScoreColumn::LastSeen => "last seen",
            ScoreColumn::Coverage => "ids",
        }
    }
}

/// Orderings of the Problems view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProblemSort {
    Count,
    Severity,
    Recency,
}

/// Orderings of the Duplicates view.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DuplicateSort {
    Count,
    Recency,
    FirstSeen,
}

impl ProblemSort {
    pub fn name(self) -> &'static str {
        match self {
            ProblemSort::Count => "count",
            ProblemSort::Severity => "severity",
            ProblemSort::Recency => "last seen",
        }
    }
    fn next(self) -> Self {
        match self {
            ProblemSort::Count => ProblemSort::Severity,
            ProblemSort::Severity => ProblemSort::Recency,
            ProblemSort::Recency => ProblemSort::Count,
        }
    }
}

impl DuplicateSort {
    pub fn name(self) -> &'static str {
        match self {
            DuplicateSort::Count => "count",
            DuplicateSort::Recency => "last seen",
            DuplicateSort::FirstSeen => "first seen",
        }
    }
    fn next(self) -> Self {
        match self {
            DuplicateSort::Count => DuplicateSort::Recency,
            DuplicateSort::Recency => DuplicateSort::FirstSeen,
            DuplicateSort::FirstSeen => DuplicateSort::Count,
        }
    }
}

/// The Funnel view: all data sets together, or one chosen from the scoreboard.
#[derive(Clone, Debug, PartialEq)]
pub struct FunnelState {
    pub sort: ScoreColumn,
    pub descending: bool,
    /// The scoreboard row under the cursor.
    pub selected: Option<String>,
    /// The data set the funnel, lag and coverage show (`None`: all of them).
    pub chosen: Option<String>,
}

impl Default for FunnelState {
    fn default() -> Self {
        FunnelState {
            sort: ScoreColumn::Events,
            descending: true,
            selected: None,
            chosen: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ProblemsState {
    pub sort: ProblemSort,
    pub descending: bool,
    pub selected: Option<(Code, String)>,
}

impl Default for ProblemsState {
    fn default() -> Self {
        ProblemsState {
            sort: ProblemSort::Count,
            descending: true,
            selected: None,
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct DuplicatesState {
    pub sort: DuplicateSort,
    pub descending: bool,
    pub selected: Option<(String, String)>,
}

impl Default for DuplicatesState {
    fn default() -> Self {
        DuplicatesState {
            sort: DuplicateSort::Count,
            descending: true,
            selected: None,
        }
    }
}

impl FunnelState {
    pub fn cycle_sort(&mut self) {
        let i = ScoreColumn::ALL
            .iter()
            .position(|c| *c == self.sort)
            .unwrap_or(0);
        self.sort = ScoreColumn::ALL[(i + 1) % ScoreColumn::ALL.len()];
        self.descending = self.sort != ScoreColumn::DataSet;
    }
}

impl ProblemsState {
    pub fn cycle_sort(&mut self) {
        self.sort = self.sort.next();
        self.descending = true;
    }
}

impl DuplicatesState {
    pub fn cycle_sort(&mut self) {
        self.sort = self.sort.next();
        self.descending = true;
    }
}

/// The share of the data set's events that carry its most common identifier, in percent
/// (what the `ids` column shows and sorts by; the coverage panel has every identifier).
pub fn coverage_score(d: &DataSetStats) -> f64 {
    let best = d.coverage.iter().copied().max().unwrap_or(0);
    percent(best, d.events)
}

fn score_cmp(
    col: ScoreColumn,
    now_s: i64,
    left: (&String, &DataSetStats),
    right: (&String, &DataSetStats),
) -> Ordering {
    let (x, y) = (left.1, right.1);
    let f = |v: f64, w: f64| v.partial_cmp(&w).unwrap_or(Ordering::Equal);
    match col {
        ScoreColumn::DataSet => left.0.cmp(right.0),
        ScoreColumn::Events => x.events.cmp(&y.events),
        ScoreColumn::Rate => f(x.recent.rate(now_s, 60), y.recent.rate(now_s, 60)),
        ScoreColumn::Errors => f(percent(x.errors, x.events), percent(y.errors, y.events)),
        ScoreColumn::Warnings => f(percent(x.warnings, x.events), percent(y.warnings, y.events)),
        ScoreColumn::Duplicates => f(
            percent(x.duplicates, x.events),
            percent(y.duplicates, y.events),
        ),
        ScoreColumn::LastSeen => x.last_seen_ms.cmp(&y.last_seen_ms),
        ScoreColumn::Coverage => f(coverage_score(x), coverage_score(y)),
    }
}

/// The scoreboard's rows in the chosen order (ties by name).
pub fn scoreboard<'a>(
    agg: &'a Aggregates,
    s: &FunnelState,
    now_ms: i64,
) -> Vec<(&'a String, &'a DataSetStats)> {
    let now_s = now_ms.div_euclid(1000);
    let mut v: Vec<_> = agg.data_sets.iter().collect();
    v.sort_by(|a, b| {
        let o = score_cmp(s.sort, now_s, *a, *b);
        let o = if s.descending { o.reverse() } else { o };
        o.then_with(|| a.0.cmp(b.0))
    });
    v
}

/// The finding groups in the chosen order (ties by code and path).
pub fn problem_groups<'a>(agg: &'a Aggregates, s: &ProblemsState) -> Vec<&'a FindingGroup> {
    let mut v: Vec<_> = agg.groups.iter().collect();
    v.sort_by(|a, b| {
        let o = match s.sort {
            ProblemSort::Count => a.count.cmp(&b.count),
            // Info < warning < error: descending puts errors first.
            ProblemSort::Severity => a.severity.cmp(&b.severity).then(a.count.cmp(&b.count)),
            ProblemSort::Recency => a.last_seen_ms.cmp(&b.last_seen_ms),
        };
        let o = if s.descending { o.reverse() } else { o };
        o.then(a.code.cmp(&b.code))
            .then_with(|| a.path.cmp(&b.path))
    });
    v
}

/// The collided keys in the chosen order (ties by first line).
pub fn duplicate_keys<'a>(agg: &'a Aggregates, s: &DuplicatesState) -> Vec<&'a DuplicateKeyStats> {
    let mut v: Vec<_> = agg.duplicate_keys.values().collect();
    v.sort_by(|a, b| {
        let o = match s.sort {
            DuplicateSort::Count => a.duplicates.cmp(&b.duplicates),
            DuplicateSort::Recency => a.last_seen_ms.cmp(&b.last_seen_ms),
            DuplicateSort::FirstSeen => a.first_seen_ms.cmp(&b.first_seen_ms),
        };
        let o = if s.descending { o.reverse() } else { o };
        o.then(a.first_line.cmp(&b.first_line))
            .then_with(|| a.id.cmp(&b.id))
    });
    v
}

/// The position of `selected` in `keys` (0 when it is gone or unset).
pub fn position_of<'a, K: PartialEq + 'a>(
    keys: impl Iterator<Item = &'a K>,
    selected: Option<&K>,
) -> usize {
    let Some(sel) = selected else { return 0 };
    keys.enumerate()
        .find(|(_, k)| *k == sel)
        .map_or(0, |(i, _)| i)
}

/// Moves a cursor by `delta` rows (negative: up), clamped to `len`.
pub fn moved(pos: usize, len: usize, delta: isize) -> usize {
    if len == 0 {
        return 0;
    }
    pos.saturating_add_signed(delta).min(len - 1)
}
