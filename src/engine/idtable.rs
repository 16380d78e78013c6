//! One shard of the dedup index: ids (seeded 128-bit hashes) to values, insert and look up
//! only. At a million ids the index is far larger than any cache, so what an event costs is
//! the memory it touches: a general hash table touches its control bytes and then, elsewhere,
//! the entry. Here a 64-byte line holds four keys and where their values are, and values are
//! kept apart in insertion order (appended where the last one was written): an id costs the
//! line its search starts on, and seldom the next.
//!
//! A key is kept as its low 96 bits: two of a million seeded hashes share them with a
//! probability under 10^-17. (The top bits choose the shard: see `shards`.) A table holds
//! fewer than 2^32 - 1 ids, over 300 GB of them.

/// Four keys, and the index of each one's value (`EMPTY` for a free slot).
#[derive(Clone, Copy)]
#[repr(align(64))]
struct Bucket {
    keys: [[u32; 3]; 4],
    values: [u32; 4],
}

const EMPTY: u32 = u32::MAX;
const FREE: Bucket = Bucket {
    keys: [[0; 3]; 4],
    values: [EMPTY; 4],
};

/// Values are kept in chunks of this many, so that growing moves none but the first chunk's.
const CHUNK: usize = 4096;

/// At most this share of the slots is used (in sixteenths): beyond, a search goes through more
/// lines (for an id not there, two on average when 11/16 are used, against four at 13/16).
const LOAD_16THS: usize = 11;

pub struct IdTable<V> {
    /// A power of two of them, or none before the first insert.
    buckets: Vec<Bucket>,
    values: Vec<Vec<V>>,
    len: usize,
}

impl<V> Default for IdTable<V> {
    fn default() -> Self {
        IdTable {
            buckets: Vec::new(),
            values: Vec::new(),
            len: 0,
        }
    }
}

/// The stored part of a key.
fn stored(key: u128) -> [u32; 3] {
    [key as u32, (key >> 32) as u32, (key >> 64) as u32]
}

/// The bucket a key's search starts at: chosen by its low bits.
fn home(k: [u32; 3], mask: usize) -> usize {
    ((u64::from(k[1]) << 32) | u64::from(k[0])) as usize & mask
}

impl<V> IdTable<V> {
    pub fn len(&self) -> usize {
        self.len
    }

    /// Keys the table holds before it grows.
    pub fn capacity(&self) -> usize {
        self.buckets.len() * 4 * LOAD_16THS / 16
    }

    /// The value under `key`, if any.
    #[inline]
    pub fn get(&self, key: u128) -> Option<&V> {
        if self.buckets.is_empty() {
            return None;
        }
        let index = self.find(stored(key)).ok()?;
        self.value(index)
    }

    /// The value under `key`, inserting `make()` first if there is none; and whether it was
    /// inserted.
    #[inline]
    pub fn find_or_insert(&mut self, key: u128, make: impl FnOnce() -> V) -> (&mut V, bool) {
        if self.len >= self.capacity() {
            self.grow();
        }
        let k = stored(key);
        let (index, inserted) = match self.find(k) {
            Ok(index) => (index, false),
            Err((b, slot)) => {
                let index = self.push(make());
                self.buckets[b].keys[slot] = k;
                self.buckets[b].values[slot] = index;
                (index, true)
            }
        };
        let (chunk, at) = place(index);
        (&mut self.values[chunk][at], inserted)
    }

    fn value(&self, index: u32) -> Option<&V> {
        let (chunk, at) = place(index);
        self.values.get(chunk)?.get(at)
    }

    /// Where `k` is: the index of its value; or, if it is not there, the free slot (bucket and
    /// slot) where it goes. Slots are never freed, so a search ends at the first free one. The
    /// table must have buckets.
    #[inline]
    fn find(&self, k: [u32; 3]) -> Result<u32, (usize, usize)> {
        let mask = self.buckets.len().wrapping_sub(1);
        let mut b = home(k, mask);
        // Bounded: the table is never full (at most `LOAD_16THS` of it is used).
        for _ in 0..self.buckets.len() {
            let bucket = &self.buckets[b];
            for slot in 0..4 {
                let index = bucket.values[slot];
                if index == EMPTY {
                    return Err((b, slot));
                }
                if bucket.keys[slot] == k {
                    return Ok(index);
                }
            }
            b = (b + 1) & mask;
        }
        unreachable!("an id table is never full")
    }

    /// Appends a value; its index.
    fn push(&mut self, v: V) -> u32 {
        let index = u32::try_from(self.len)
            .ok()
            .filter(|index| *index != EMPTY)
            .expect("an id table holds fewer than 2^32 - 1 ids");
        match self.values.last_mut() {
            Some(chunk) if chunk.len() < CHUNK => chunk.push(v),
            _ => {
                // The first chunk grows as it fills, so that a small table stays small.
                let mut chunk = Vec::with_capacity(if self.values.is_empty() { 0 } else { CHUNK });
                chunk.push(v);
                self.values.push(chunk);
            }
        }
        self.len += 1;
        index
    }

    /// Twice the buckets (16 at first); every key is placed again, values stay where they are.
    #[cold]
    fn grow(&mut self) {
        let count = (self.buckets.len() * 2).max(16);
        let old = std::mem::replace(&mut self.buckets, vec![FREE; count]);
        for bucket in &old {
            for slot in 0..4 {
                if bucket.values[slot] != EMPTY {
                    let k = bucket.keys[slot];
                    if let Err((b, free)) = self.find(k) {
                        self.buckets[b].keys[free] = k;
                        self.buckets[b].values[free] = bucket.values[slot];
                    }
                }
            }
        }
    }
}

/// The chunk of a value's index, and its place in the chunk.
fn place(index: u32) -> (usize, usize) {
    (index as usize / CHUNK, index as usize % CHUNK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Against a `HashMap`: ids new and repeated, through many growths.
    #[test]
    fn answers_as_a_map_does_through_growth() {
        let mut rng = fastrand::Rng::with_seed(11);
        let mut table: IdTable<u32> = IdTable::default();
        let mut model: HashMap<u128, u32> = HashMap::new();
        let mut seen: Vec<u128> = Vec::new();
        for n in 0..200_000u32 {
            let key = if !seen.is_empty() && rng.u8(..) < 50 {
                seen[rng.usize(..seen.len())]
            } else {
                rng.u128(..)
            };
            let (value, inserted) = table.find_or_insert(key, || n);
            let expected = *model.entry(key).or_insert(n);
            assert_eq!(inserted, expected == n, "key {key:x}");
            assert_eq!(*value, expected);
            if inserted {
                seen.push(key);
            }
        }
        assert_eq!(table.len(), model.len());
        for (key, value) in &model {
            assert_eq!(table.get(*key), Some(value));
        }
        assert_eq!(table.get(rng.u128(..)), None);
    }

    /// Ids whose first bucket is the same (the last one, so that the search wraps around to
    /// the first): each is found past the others, before and after the table grows.
    #[test]
    fn ids_crowding_one_bucket_are_all_kept() {
        let mut table: IdTable<usize> = IdTable::default();
        let keys: Vec<u128> = (0..500u128)
            .map(|i| (i << 64) | u128::from(u64::MAX))
            .collect();
        for (i, key) in keys.iter().enumerate() {
            assert!(table.find_or_insert(*key, || i).1);
            assert_eq!(table.get(*key), Some(&i));
        }
        for (i, key) in keys.iter().enumerate() {
            assert_eq!(
                table.find_or_insert(*key, || usize::MAX),
                (&mut i.clone(), false)
            );
        }
        assert_eq!(table.len(), 500);
    }

    /// Keys that differ in one of the stored words only are told apart, whichever word; keys
    /// that differ above the stored 96 bits are one key.
    #[test]
    fn every_stored_word_tells_keys_apart() {
        let mut table: IdTable<u32> = IdTable::default();
        assert_eq!(table.get(7), None);
        let base: u128 = 0x0123_4567_89ab_cdef_0011_2233_4455_6677;
        for (n, word) in (0..3).enumerate() {
            let key = base ^ (1u128 << (32 * word + 5));
            assert!(table.find_or_insert(key, || n as u32).1, "word {word}");
        }
        assert!(table.find_or_insert(base, || 9).1);
        assert_eq!(table.len(), 4);
        assert_eq!(
            table.find_or_insert(base ^ (1 << 100), || 10),
            (&mut 9, false)
        );
    }

    /// A value changed in place stays changed, wherever growth moves its key.
    #[test]
    fn values_are_changed_in_place() {
        let mut table: IdTable<u64> = IdTable::default();
        for key in 0..10_000u128 {
            *table.find_or_insert(key * 0x9e37_79b9_7f4a_7c15, || 0).0 += 1;
            *table.find_or_insert(key * 0x9e37_79b9_7f4a_7c15, || 0).0 += 1;
        }
        assert!((0..10_000u128).all(|key| table.get(key * 0x9e37_79b9_7f4a_7c15) == Some(&2)));
        assert!(table.capacity() >= table.len());
    }
}
