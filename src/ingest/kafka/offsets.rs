//! Which offsets of a partition may be committed: a message's offset is committed only once the
//! message has been through the engine (and the capture), so that a crash never skips an event.
//!
//! Messages are handed to the hub in offset order and come back acknowledged in any order:
//! counted, or refused (the capture could not keep them: not counted). The commit point is the
//! offset after the longest run of counted messages from the start; a refused message holds it
//! and is read again (the consumer rewinds to it) while the counted ones after it are skipped
//! when they come round again, so that nothing is counted twice by this process.

use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    InFlight,
    Counted,
    Refused,
}

/// What to do with a message just read.
#[derive(Debug, PartialEq, Eq)]
pub enum Take {
    /// Hand it to the hub.
    Dispatch,
    /// Already counted or on its way (read again after a rewind): skip it.
    Skip,
}

#[derive(Debug, Default)]
pub struct PartitionOffsets {
    /// Messages not yet below the commit point, by offset.
    open: BTreeMap<i64, State>,
    /// The next offset to commit (everything below it is counted); `None` before any message.
    commit: Option<i64>,
    /// The commit point last sent to the broker.
    committed: Option<i64>,
    /// The lowest refused offset, to read again from.
    rewind: Option<i64>,
}

impl PartitionOffsets {
    /// A message at `offset` was read.
    pub fn take(&mut self, offset: i64) -> Take {
        if self.commit.is_some_and(|c| offset < c) {
            return Take::Skip;
        }
        match self.open.get(&offset) {
            Some(State::InFlight | State::Counted) => Take::Skip,
            Some(State::Refused) | None => {
                self.open.insert(offset, State::InFlight);
                if self.rewind == Some(offset) {
                    self.rewind = self
                        .open
                        .iter()
                        .find(|(_, s)| **s == State::Refused)
                        .map(|(o, _)| *o);
                }
                Take::Dispatch
            }
        }
    }

    /// A message read but not handed over (older than a start by time, past a bounded run's
    /// end): it counts as done for the commit point.
    pub fn pass(&mut self, offset: i64) {
        if self.take(offset) == Take::Dispatch {
            self.ack(offset, true);
        }
    }

    /// The hub's verdict on a dispatched message.
    pub fn ack(&mut self, offset: i64, counted: bool) {
        if let Some(s) = self.open.get_mut(&offset) {
            if counted {
                *s = State::Counted;
            } else {
                *s = State::Refused;
                self.rewind = Some(self.rewind.map_or(offset, |r| r.min(offset)));
            }
        }
        while let Some(entry) = self.open.first_entry() {
            if *entry.get() != State::Counted {
                break;
            }
            let (o, _) = entry.remove_entry();
            self.commit = Some(o + 1);
        }
    }

    /// Where to read again from, if a message was refused.
    pub fn rewind(&self) -> Option<i64> {
        self.rewind
    }

    /// Messages handed over and not yet acknowledged.
    pub fn in_flight(&self) -> usize {
        self.open
            .values()
            .filter(|s| **s == State::InFlight)
            .count()
    }

    /// The offset to commit, when it moved since the last commit.
    pub fn to_commit(&self) -> Option<i64> {
        self.commit.filter(|c| self.committed != Some(*c))
    }

    /// The next offset that will be committed (everything before it was counted).
    pub fn commit_point(&self) -> Option<i64> {
        self.commit
    }

    pub fn committed(&mut self, offset: i64) {
        self.committed = Some(offset);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commits_only_the_counted_prefix() {
        let mut p = PartitionOffsets::default();
        for o in 10..15 {
            assert_eq!(p.take(o), Take::Dispatch);
        }
        assert_eq!(p.to_commit(), None);
        p.ack(11, true);
        p.ack(12, true);
        assert_eq!(p.to_commit(), None, "10 is still on its way");
        p.ack(10, true);
        assert_eq!(p.to_commit(), Some(13));
        p.committed(13);
        assert_eq!(p.to_commit(), None);
        assert_eq!(p.in_flight(), 2);
    }

    #[test]
    fn a_refused_message_holds_the_commit_and_is_read_again_alone() {
        let mut p = PartitionOffsets::default();
        for o in 0..6 {
            p.take(o);
        }
        p.ack(0, true);
        p.ack(2, false);
        p.ack(1, true);
        p.ack(3, true);
        p.ack(4, false);
        assert_eq!(p.to_commit(), Some(2));
        assert_eq!(p.rewind(), Some(2));
        // The consumer rewinds to 2: 2 and 4 go again, 3 (counted) and 5 (on its way) do not.
        let again: Vec<_> = (2..6).map(|o| (o, p.take(o))).collect();
        assert_eq!(
            again,
            [
                (2, Take::Dispatch),
                (3, Take::Skip),
                (4, Take::Dispatch),
                (5, Take::Skip)
            ]
        );
        assert_eq!(p.rewind(), None, "both refused ones are on their way again");
        for o in [2, 4, 5] {
            p.ack(o, true);
        }
        assert_eq!(p.to_commit(), Some(6));
        assert_eq!(p.take(1), Take::Skip, "below the commit point");
    }

    #[test]
    fn offsets_with_gaps_commit_past_them() {
        // Compaction and transaction markers leave offsets that are never read.
        let mut p = PartitionOffsets::default();
        for o in [3, 7, 8, 20] {
            p.take(o);
        }
        for o in [20, 8, 3, 7] {
            p.ack(o, true);
        }
        assert_eq!(p.to_commit(), Some(21));
        p.pass(21);
        assert_eq!(p.to_commit(), Some(22));
    }

    /// Every order of acknowledgements ends at the same commit point, and a model (the
    /// smallest offset not counted) agrees at every step.
    #[test]
    fn the_commit_point_is_the_first_uncounted_offset() {
        let mut rng = fastrand::Rng::with_seed(5);
        for _ in 0..500 {
            let mut p = PartitionOffsets::default();
            let n = rng.i64(1..40);
            let mut pending: Vec<i64> = (0..n).collect();
            for o in 0..n {
                p.take(o);
            }
            let mut counted = vec![false; n as usize];
            while !pending.is_empty() {
                let i = rng.usize(..pending.len());
                let o = pending[i];
                let ok = rng.f32() < 0.8;
                p.ack(o, ok);
                if ok {
                    counted[o as usize] = true;
                    pending.swap_remove(i);
                } else {
                    assert_eq!(p.take(o), Take::Dispatch, "a refused one goes again");
                }
                let first = counted.iter().position(|c| !c).map_or(n, |i| i as i64);
                assert_eq!(p.commit_point().unwrap_or(0), first);
            }
        }
    }
}
