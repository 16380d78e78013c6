//! Where the records of each input (a file of `check`, a source of `watch`) first came from.
//! A record read back from a capture names its original source; an input's other records are
//! its own. A duplicate's first occurrence is known by input and line, and its `first_source`
//! must name the same thing as a record's `source` does: the original source for a captured
//! one, not the capture file.

use crate::engine::report::Duplicate;

/// One input's runs of consecutive records with the same origin, by first line.
#[derive(Default)]
struct Runs(Vec<(u64, Option<u32>)>);

#[derive(Default)]
pub struct Origins {
    /// Per input; `None` is the input itself.
    inputs: Vec<Runs>,
    /// Original sources seen in captures, each once.
    names: Vec<String>,
}

impl Origins {
    /// Notes that line `line` of input `n` came from `label` (`None`: from the input itself).
    /// Lines of one input come in increasing order.
    pub fn note(&mut self, n: usize, line: u64, label: Option<&str>) {
        if self.inputs.len() <= n {
            self.inputs.resize_with(n + 1, Runs::default);
        }
        let runs = &mut self.inputs[n].0;
        if runs.last().is_some_and(|r| r.0 > line) {
            // Out of order (a live source numbers records as they come, and commits them as
            // they are ready): such a source's records are its own, and stay in its run.
            return;
        }
        let same = match (runs.last().map(|r| r.1), label) {
            (Some(None), None) => true,
            (Some(Some(i)), Some(l)) => self.names.get(i as usize).is_some_and(|s| s == l),
            _ => false,
        };
        if same {
            return;
        }
        let id = label.map(|l| match self.names.iter().position(|s| s == l) {
            Some(i) => i as u32,
            None => {
                self.names.push(l.to_owned());
                (self.names.len() - 1) as u32
            }
        });
        runs.push((line, id));
    }

    /// A duplicate's `first_source`: where its first occurrence came from, the input's own
    /// label (`labels`) unless that was read back from a capture.
    pub fn first_source<'a>(&'a self, d: &Duplicate, labels: &'a [String]) -> Option<&'a str> {
        let n = d.first_source as usize;
        self.of(n, d.first_line)
            .or_else(|| labels.get(n).map(String::as_str))
    }

    /// The original source of line `line` of input `n`, when it was read back from a capture.
    pub fn of(&self, n: usize, line: u64) -> Option<&str> {
        let runs = &self.inputs.get(n)?.0;
        let at = runs.partition_point(|r| r.0 <= line).checked_sub(1)?;
        let id = runs[at].1?;
        self.names.get(id as usize).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::Origins;

    #[test]
    fn a_line_is_named_by_the_run_it_falls_in() {
        let mut o = Origins::default();
        o.note(0, 1, Some("tcp-listen://a"));
        o.note(0, 2, Some("tcp-listen://a"));
        o.note(0, 3, None);
        o.note(0, 5, Some("http-listen://b"));
        o.note(1, 1, Some("tcp-listen://a"));
        assert_eq!(o.of(0, 1), Some("tcp-listen://a"));
        assert_eq!(o.of(0, 2), Some("tcp-listen://a"));
        assert_eq!(o.of(0, 3), None);
        assert_eq!(o.of(0, 4), None);
        assert_eq!(o.of(0, 9), Some("http-listen://b"));
        assert_eq!(o.of(1, 1), Some("tcp-listen://a"));
        assert_eq!(o.of(2, 1), None);
        assert_eq!(o.inputs[0].0.len(), 3, "a run is noted once");
        assert_eq!(o.names.len(), 2, "a source is kept once");
    }
}
