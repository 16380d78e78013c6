//! The dedup index's table of ids, in shards that grow one at a time.
//!
//! A hash table grows by moving every key into a table twice its size, all at once: at a
//! million ids, 32 MB moved into 64 MB of new memory, while the committing thread (and every
//! validator queued behind it, and every HTTP sender waiting for its answer) waits. Split into
//! shards of equal shares, the table would still grow all at once: each shard reaches its
//! limit at about the same count. So shard `j` takes about `2^(j/16)` parts of the ids: the
//! shards reach their limits a sixteenth of a doubling apart, and each growth moves a
//! sixteenth of the keys or so. The same work, in pieces, spread out. (Each shard is an
//! [`IdTable`], whose growth moves keys only.)

use super::idtable::IdTable;

const SHARDS: usize = 16;

/// Top bits of a key that choose its shard (the maps hash the low 64 bits).
const ROUTE_BITS: u32 = 10;

/// Shards of `IdTable<V>`, keyed by seeded 128-bit hashes.
pub struct Shards<V> {
    /// The shard of each value of a key's top `ROUTE_BITS` bits.
    route: [u8; ROUTES],
    maps: [IdTable<V>; SHARDS],
}

const ROUTES: usize = 1 << ROUTE_BITS;

impl<V> Default for Shards<V> {
    fn default() -> Self {
        Shards {
            route: route(),
            maps: std::array::from_fn(|_| IdTable::default()),
        }
    }
}

/// Shard `j`'s share of the `2^ROUTE_BITS` routes is proportional to `2^(j/16)`.
fn route() -> [u8; ROUTES] {
    let weights: Vec<f64> = (0..SHARDS)
        .map(|j| (j as f64 / SHARDS as f64).exp2())
        .collect();
    let total: f64 = weights.iter().sum();
    let mut table = [(SHARDS - 1) as u8; ROUTES];
    let (mut share, mut start) = (0.0, 0);
    for (j, w) in weights.iter().enumerate() {
        share += w / total;
        let end = ((share * ROUTES as f64).round() as usize).clamp(start, ROUTES);
        table[start..end].fill(j as u8);
        start = end;
    }
    table
}

impl<V> Shards<V> {
    /// Which shard holds `key`.
    #[inline]
    fn which(&self, key: u128) -> usize {
        // In range by construction (the shift leaves `ROUTE_BITS` bits; routes name shards
        // below `SHARDS`): the `%`s only spare the bounds checks.
        usize::from(self.route[(key >> (128 - ROUTE_BITS)) as usize % ROUTES]) % SHARDS
    }

    /// The shard that holds `key`.
    #[inline]
    pub fn shard(&mut self, key: u128) -> &mut IdTable<V> {
        &mut self.maps[self.which(key)]
    }

    /// The value under `key`, if any.
    #[inline]
    pub fn get(&self, key: u128) -> Option<&V> {
        self.maps[self.which(key)].get(key)
    }

    pub fn len(&self) -> usize {
        self.maps.iter().map(IdTable::len).sum()
    }

    /// Entries the shards have room for without growing.
    #[cfg(test)]
    fn capacities(&self) -> Vec<usize> {
        self.maps.iter().map(IdTable::capacity).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn later_shards_take_larger_shares() {
        let route = route();
        assert_eq!(route.len(), 1 << ROUTE_BITS);
        let counts: Vec<usize> = (0..SHARDS)
            .map(|j| route.iter().filter(|r| usize::from(**r) == j).count())
            .collect();
        assert!(counts.windows(2).all(|w| w[0] < w[1]), "{counts:?}");
        let ratio = counts[SHARDS - 1] as f64 / counts[0] as f64;
        assert!((1.8..2.0).contains(&ratio), "{counts:?}");
        assert!(route.windows(2).all(|w| w[0] <= w[1]));
    }

    /// The point of the shards: no two grow close together, so no growth is more than a
    /// shard's worth of moving.
    #[test]
    fn shards_grow_one_at_a_time_spread_over_each_doubling() {
        let mut rng = fastrand::Rng::with_seed(5);
        let mut s: Shards<u32> = Shards::default();
        let mut before = s.capacities();
        let mut growths = Vec::new();
        for n in 1..=300_000u32 {
            let key = rng.u128(..);
            s.shard(key).find_or_insert(key, || n);
            let now = s.capacities();
            if now != before {
                growths.push(n);
                before = now;
            }
        }
        assert_eq!(s.len(), 300_000);
        // Past 100,000 keys (a shard's count then strays from its share by under 1%, its
        // neighbour's share is 4.4% larger): about 16 growths per doubling.
        let late: Vec<u32> = growths.into_iter().filter(|n| *n > 100_000).collect();
        assert!(late.len() >= 20, "{late:?}");
        for pair in late.windows(2) {
            let gap = f64::from(pair[1]) / f64::from(pair[0]);
            assert!(gap > 1.015, "two shards grew close together: {late:?}");
        }
    }
}
