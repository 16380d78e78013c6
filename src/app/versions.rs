//! The two versions of a collided key, for the Duplicates view: the first occurrence and the
//! latest duplicate as the window holds them, their pretty JSON, the paths where they differ
//! (the engine's comparison) and a line diff of the two texts. When the first version has left
//! the window, what is known of it (line, source, time) is kept instead.

use super::row::Row;
use crate::engine::aggregate::DuplicateKeyStats;
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// One line of the diff: which side has it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DiffLine {
    Same(String),
    First(String),
    Latest(String),
}

/// What is known of a version that is not in the window any more.
#[derive(Clone, Debug, PartialEq)]
pub struct Gone {
    pub line: u64,
    pub source: u16,
    pub seen_ms: i64,
}

#[derive(Clone, Debug)]
pub struct Versions {
    pub data_set_id: String,
    pub id: String,
    pub first: Result<Row, Gone>,
    pub latest: Option<Row>,
    /// Differing paths, as findings name them (empty for exact duplicates).
    pub paths: Vec<String>,
    pub diff: Vec<DiffLine>,
    /// Side by side (`false`: a unified diff).
    pub side_by_side: bool,
    pub scroll: usize,
}

/// The event's JSON, pretty (members in sorted order, so both sides line up).
fn pretty(row: &Row) -> Option<(Value, String)> {
    let v: Value = serde_json::from_slice(&row.raw).ok()?;
    let text = serde_json::to_string_pretty(&v).ok()?;
    Some((v, text))
}

fn diff_lines(a: &str, b: &str) -> Vec<DiffLine> {
    TextDiff::from_lines(a, b)
        .iter_all_changes()
        .map(|c| {
            let text = c.value().trim_end_matches('\n').to_owned();
            match c.tag() {
                ChangeTag::Equal => DiffLine::Same(text),
                ChangeTag::Delete => DiffLine::First(text),
                ChangeTag::Insert => DiffLine::Latest(text),
            }
        })
        .collect()
}

impl Versions {
    /// Finds the key's versions among `rows` (the window, oldest first).
    pub fn find(key: &DuplicateKeyStats, rows: &[&Row]) -> Versions {
        let same_key = |r: &&Row| {
            r.data_set_id
                .as_deref()
                .is_some_and(|d| crate::engine::aggregate::key_text(d) == key.data_set_id)
                && r.id
                    .as_deref()
                    .is_some_and(|i| crate::engine::aggregate::key_text(i) == key.id)
        };
        let latest = rows
            .iter()
            .rev()
            .copied()
            .filter(same_key)
            .find(|r| r.duplicate.is_some())
            .cloned();
        let first = match latest.as_ref().and_then(|l| l.duplicate.as_ref()) {
            Some(d) => rows.iter().find(|r| r.is_first_of(d)).map(|r| (*r).clone()),
            None => rows
                .iter()
                .copied()
                .filter(same_key)
                .find(|r| r.duplicate.is_none())
                .cloned(),
        };
        let first = first.ok_or(Gone {
            line: key.first_line,
            source: key.first_source,
            seen_ms: key.first_seen_ms,
        });
        let mut v = Versions {
            data_set_id: key.data_set_id.clone(),
            id: key.id.clone(),
            first,
            latest,
            paths: Vec::new(),
            diff: Vec::new(),
            side_by_side: true,
            scroll: 0,
        };
        v.compare();
        // Open on the first difference, with a little context above it.
        v.scroll = v
            .diff
            .iter()
            .position(|l| !matches!(l, DiffLine::Same(_)))
            .map_or(0, |i| i.saturating_sub(3));
        v
    }

    fn compare(&mut self) {
        let a = self.first.as_ref().ok().and_then(pretty);
        let b = self.latest.as_ref().and_then(pretty);
        match (a, b) {
            (Some((va, ta)), Some((vb, tb))) => {
                self.paths = crate::engine::diff::differing_paths(&va, &vb);
                self.diff = diff_lines(&ta, &tb);
            }
            (None, Some((_, t))) if self.first.is_err() => {
                // The engine compared them when the duplicate arrived: its verdict has the paths.
                if let Some(d) = self.latest.as_ref().and_then(|l| l.duplicate.as_ref()) {
                    if d.paths_known {
                        self.paths.clone_from(&d.paths);
                    }
                }
                self.diff = t.lines().map(|l| DiffLine::Latest(l.to_owned())).collect();
            }
            (Some((_, t)), None) => {
                self.diff = t.lines().map(|l| DiffLine::First(l.to_owned())).collect();
            }
            (None, Some((_, t))) => {
                self.diff = t.lines().map(|l| DiffLine::Latest(l.to_owned())).collect();
            }
            (None, None) => {}
        }
    }

    /// Whether the two versions have the same content.
    pub fn identical(&self) -> bool {
        !self.diff.is_empty() && self.diff.iter().all(|l| matches!(l, DiffLine::Same(_)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_paired_and_tagged() {
        let d = diff_lines(
            "{\n  \"a\": 1,\n  \"b\": 2\n}",
            "{\n  \"a\": 1,\n  \"b\": 3\n}",
        );
        assert!(d.contains(&DiffLine::First("  \"b\": 2".into())));
        assert!(d.contains(&DiffLine::Latest("  \"b\": 3".into())));
        assert_eq!(d[0], DiffLine::Same("{".into()));
    }
}
