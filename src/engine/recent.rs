//! A bounded store of recent raw records, so that a conflicting duplicate can be compared
//! with its first occurrence when the input cannot be read again (stdin, gzip, sockets).

use crate::engine::PayloadLookup;
use std::collections::BTreeMap;

pub struct RecentPayloads {
    records: BTreeMap<u64, Vec<u8>>,
    bytes: usize,
    budget: usize,
}

impl RecentPayloads {
    /// Keeps at most `budget` bytes; the oldest (smallest locator) go first.
    pub fn new(budget: usize) -> RecentPayloads {
        RecentPayloads {
            records: BTreeMap::new(),
            bytes: 0,
            budget,
        }
    }

    pub fn remember(&mut self, locator: u64, raw: &[u8]) {
        if raw.len() > self.budget / 4 {
            return;
        }
        self.bytes += raw.len();
        if let Some(old) = self.records.insert(locator, raw.to_vec()) {
            self.bytes -= old.len();
        }
        while self.bytes > self.budget {
            let Some((_, old)) = self.records.pop_first() else {
                break;
            };
            self.bytes -= old.len();
        }
    }

    pub fn get(&self, locator: u64) -> Option<&[u8]> {
        self.records.get(&locator).map(Vec::as_slice)
    }
}

impl PayloadLookup for RecentPayloads {
    fn payload(&mut self, locator: u64) -> Option<Vec<u8>> {
        self.get(locator).map(<[u8]>::to_vec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn evicts_the_oldest_past_the_budget() {
        let mut r = RecentPayloads::new(12);
        for (i, rec) in [b"aaa", b"bbb", b"ccc", b"ddd"].iter().enumerate() {
            r.remember(i as u64 + 1, *rec);
        }
        assert_eq!(r.get(1), Some(&b"aaa"[..]));
        r.remember(5, b"eee");
        assert_eq!(r.get(1), None);
        assert_eq!(r.get(2), Some(&b"bbb"[..]));
        assert_eq!(r.payload(5), Some(b"eee".to_vec()));
        r.remember(6, &[0; 100]);
        assert_eq!(r.get(6), None);
    }
}
