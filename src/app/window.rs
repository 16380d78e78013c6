//! The in-memory window of recent events and the subset the filter lets through. Both are
//! ordered by `seq`, so positions are found by binary search and live inserts never move the
//! selection; the oldest events leave when the window is full, and are counted.

use super::row::Row;
use crate::filter::Filter;
use std::collections::VecDeque;

pub struct Window {
    rows: VecDeque<Row>,
    keep: usize,
    /// Events that left the window.
    pub evicted: u64,
    /// Seqs of the rows that match the filter (all rows without one).
    visible: VecDeque<u64>,
    filter: Option<Filter>,
}

impl Window {
    pub fn new(keep: usize) -> Window {
        Window {
            rows: VecDeque::new(),
            keep: keep.max(1),
            evicted: 0,
            visible: VecDeque::new(),
            filter: None,
        }
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn filter(&self) -> Option<&Filter> {
        self.filter.as_ref()
    }

    pub fn push(&mut self, row: Row) {
        if self.rows.back().is_some_and(|r| r.seq >= row.seq) {
            return;
        }
        if self
            .filter
            .as_ref()
            .is_none_or(|f| f.matches(&row.subject()))
        {
            self.visible.push_back(row.seq);
        }
        self.rows.push_back(row);
        while self.rows.len() > self.keep {
            if let Some(old) = self.rows.pop_front() {
                self.evicted += 1;
                if self.visible.front() == Some(&old.seq) {
                    self.visible.pop_front();
                }
            }
        }
    }

    /// Applies a filter (or none) to every row in the window.
    pub fn set_filter(&mut self, filter: Option<Filter>) {
        self.filter = filter.filter(|f| !f.is_empty());
        self.visible = match &self.filter {
            None => self.rows.iter().map(|r| r.seq).collect(),
            Some(f) => self
                .rows
                .iter()
                .filter(|r| f.matches(&r.subject()))
                .map(|r| r.seq)
                .collect(),
        };
    }

    pub fn get(&self, seq: u64) -> Option<&Row> {
        let i = self.rows.binary_search_by_key(&seq, |r| r.seq).ok()?;
        self.rows.get(i)
    }

    /// Rows the view shows: those the filter lets through.
    pub fn visible_len(&self) -> usize {
        self.visible.len()
    }

    /// The seq at a position of the visible list.
    pub fn visible_at(&self, pos: usize) -> Option<u64> {
        self.visible.get(pos).copied()
    }

    /// The position of `seq` in the visible list, or where it would be.
    pub fn position(&self, seq: u64) -> Result<usize, usize> {
        self.visible.binary_search(&seq)
    }

    /// Visible rows from position `from`, at most `n`.
    pub fn visible_rows(&self, from: usize, n: usize) -> impl Iterator<Item = &Row> + '_ {
        self.visible
            .range(from.min(self.visible.len())..)
            .take(n)
            .filter_map(|s| self.get(*s))
    }

    /// The first visible row after (`forward`) or before `pos` that satisfies `pred`.
    pub fn find_from(
        &self,
        pos: usize,
        forward: bool,
        limit: usize,
        pred: impl Fn(&Row) -> bool,
    ) -> Option<u64> {
        let hit = |p: usize| {
            self.visible_at(p)
                .filter(|s| self.get(*s).is_some_and(&pred))
        };
        if forward {
            (pos + 1..limit).find_map(hit)
        } else {
            (0..pos.min(limit)).rev().find_map(hit)
        }
    }

    pub fn rows(&self) -> impl Iterator<Item = &Row> + '_ {
        self.rows.iter()
    }
}
