//! The detail of one event: its pretty JSON (formatted and highlighted off the UI thread, then
//! cached by seq), where each finding sits in it, and the scroll position.

use super::row::Row;
use crate::output::pretty::{Line, Token};
use std::collections::VecDeque;
use std::ops::Range;
use std::sync::Arc;

/// A formatted, highlighted event.
#[derive(Debug, Default)]
pub struct Doc {
    pub lines: Vec<Line>,
    /// Per line, the highlighted ranges of its text.
    pub styles: Vec<Vec<(Token, Range<usize>)>>,
}

impl Doc {
    /// The line each finding belongs on: its own path, else the nearest ancestor that is there
    /// (a missing member is reported where it belongs, so its parent's line).
    pub fn line_of(&self, path: &str) -> Option<usize> {
        let mut p = path;
        loop {
            if let Some(i) = self.lines.iter().position(|l| l.path == p) {
                return Some(i);
            }
            let cut = p.rfind(['.', '['])?;
            p = &p[..cut];
            if p.is_empty() {
                return None;
            }
        }
    }
}

pub struct Detail {
    pub row: Row,
    pub scroll: usize,
    pub doc: Option<Arc<Doc>>,
    /// The finding picked with n/N, highlighted in the list and scrolled to in the JSON.
    pub finding: Option<usize>,
}

impl Detail {
    /// Picks the next (or previous) finding and scrolls the JSON to its line.
    pub fn step_finding(&mut self, forward: bool) {
        let n = self.row.findings.len();
        if n == 0 {
            return;
        }
        let next = match (self.finding, forward) {
            (None, true) => 0,
            (None, false) => n - 1,
            (Some(i), true) => (i + 1).min(n - 1),
            (Some(i), false) => i.saturating_sub(1),
        };
        self.finding = Some(next);
        if let Some(line) = self
            .doc
            .as_ref()
            .and_then(|d| d.line_of(&self.row.findings[next].path))
        {
            self.scroll = line.saturating_sub(3);
        }
    }
}

/// Recently formatted events.
#[derive(Default)]
pub struct DocCache {
    docs: VecDeque<(u64, Arc<Doc>)>,
}

const CACHED: usize = 32;

impl DocCache {
    pub fn get(&self, seq: u64) -> Option<Arc<Doc>> {
        self.docs
            .iter()
            .find(|(s, _)| *s == seq)
            .map(|(_, d)| Arc::clone(d))
    }

    pub fn put(&mut self, seq: u64, doc: Arc<Doc>) {
        self.docs.retain(|(s, _)| *s != seq);
        self.docs.push_back((seq, doc));
        while self.docs.len() > CACHED {
            self.docs.pop_front();
        }
    }
}
