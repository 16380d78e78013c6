//! Fast hash maps for the hot path: xxh3 with a random per-map seed instead of SipHash.
//! Keys that are already seeded hashes pass straight through.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use xxhash_rust::xxh3::xxh3_64_with_seed;

/// xxh3 for strings; keys that are already seeded hashes are used as they are. Seeded per
/// process, so colliding keys cannot be prepared in advance (hash flooding).
pub struct PassThrough(u64);

/// Builds [`PassThrough`] hashers with one random seed per map.
#[derive(Clone)]
pub struct Seeded(u64);

impl Default for Seeded {
    fn default() -> Self {
        Seeded(fastrand::u64(..))
    }
}

impl BuildHasher for Seeded {
    type Hasher = PassThrough;
    fn build_hasher(&self) -> PassThrough {
        PassThrough(self.0)
    }
}

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = xxh3_64_with_seed(bytes, self.0);
    }
    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
    fn write_u128(&mut self, n: u128) {
        self.0 ^= n as u64;
    }
}

/// A `HashMap` with [`Seeded`] hashing.
pub type FastMap<K, V> = HashMap<K, V, Seeded>;

/// A `HashSet` with [`Seeded`] hashing.
pub type FastSet<K> = std::collections::HashSet<K, Seeded>;
