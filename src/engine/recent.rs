//! A bounded window of recent raw records, so that a conflicting duplicate can be compared
//! with its first occurrence when the input cannot be read again (stdin, gzip, sockets).
//! One ring of bytes and an index: remembering a record is a copy, never an allocation.

use crate::engine::PayloadLookup;
use std::collections::VecDeque;

pub struct RecentPayloads {
    ring: Vec<u8>,
    /// Where the next record is written (a position in the endless stream of bytes).
    head: u64,
    /// (locator, stream position, length), oldest first; locators only grow.
    index: VecDeque<(u64, u64, usize)>,
}

impl RecentPayloads {
    /// Keeps the last `budget` bytes of records.
    pub fn new(budget: usize) -> RecentPayloads {
        RecentPayloads {
            ring: vec![0; budget.max(1)],
            head: 0,
            index: VecDeque::new(),
        }
    }

    fn capacity(&self) -> u64 {
        self.ring.len() as u64
    }

    /// Keeps a record; locators must increase from call to call. Records over a quarter of
    /// the window are not kept.
    pub fn remember(&mut self, locator: u64, raw: &[u8]) {
        if raw.len() as u64 > self.capacity() / 4
            || self.index.back().is_some_and(|(l, _, _)| *l >= locator)
        {
            return;
        }
        let start = self.head;
        let cap = self.capacity();
        let at = (start % cap) as usize;
        let first = raw.len().min(self.ring.len() - at);
        self.ring[at..at + first].copy_from_slice(&raw[..first]);
        self.ring[..raw.len() - first].copy_from_slice(&raw[first..]);
        self.head += raw.len() as u64;
        self.index.push_back((locator, start, raw.len()));
        while self
            .index
            .front()
            .is_some_and(|(_, pos, _)| *pos + cap < self.head)
        {
            self.index.pop_front();
        }
    }

    pub fn get(&self, locator: u64) -> Option<Vec<u8>> {
        let i = self
            .index
            .binary_search_by_key(&locator, |(l, _, _)| *l)
            .ok()?;
        let (_, pos, len) = self.index[i];
        let cap = self.capacity();
        let at = (pos % cap) as usize;
        let first = len.min(self.ring.len() - at);
        let mut out = Vec::with_capacity(len);
        out.extend_from_slice(&self.ring[at..at + first]);
        out.extend_from_slice(&self.ring[..len - first]);
        Some(out)
    }
}

impl PayloadLookup for RecentPayloads {
    fn payload(&mut self, locator: u64) -> Option<Vec<u8>> {
        self.get(locator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_bytes_and_wraps() {
        let mut r = RecentPayloads::new(12);
        for (i, rec) in [b"aaa", b"bbb", b"ccc", b"ddd"].iter().enumerate() {
            r.remember(i as u64 + 1, *rec);
        }
        assert_eq!(r.get(1).as_deref(), Some(&b"aaa"[..]));
        r.remember(5, b"eee");
        assert_eq!(r.get(1), None);
        assert_eq!(r.get(2).as_deref(), Some(&b"bbb"[..]));
        r.remember(6, b"fg");
        r.remember(7, b"hi");
        assert_eq!(r.get(7).as_deref(), Some(&b"hi"[..]));
        assert_eq!(r.get(5).as_deref(), Some(&b"eee"[..]));
        assert_eq!(r.payload(6), Some(b"fg".to_vec()));
        r.remember(8, &[0; 100]);
        assert_eq!(r.get(8), None);
        assert_eq!(r.get(99), None);
    }
}
