//! Seeded choices: uniform and weighted picks, random tokens.

use fastrand::Rng;

/// A uniformly chosen element of a non-empty slice.
pub fn one<T: Copy>(rng: &mut Rng, items: &[T]) -> T {
    items[rng.usize(..items.len())]
}

/// An index chosen with probability proportional to `weights[i]` (linear scan: the tables are
/// short).
pub fn weighted(rng: &mut Rng, weights: &[u32]) -> usize {
    let total: u32 = weights.iter().sum();
    let mut x = rng.u32(..total.max(1));
    for (i, &w) in weights.iter().enumerate() {
        if x < w {
            return i;
        }
        x -= w;
    }
    weights.len().saturating_sub(1)
}

/// The first member of a `(value, weight)` pair, chosen by weight.
pub fn weighted_pair<T: Copy>(rng: &mut Rng, table: &[(T, u32)]) -> T {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    let mut x = rng.u32(..total.max(1));
    for &(value, w) in table {
        if x < w {
            return value;
        }
        x -= w;
    }
    table[table.len() - 1].0
}

/// Cumulative weights for a table that is drawn from on every event.
pub struct Weighted {
    cumulative: Vec<u32>,
}

impl Weighted {
    pub fn new(weights: impl IntoIterator<Item = u32>) -> Weighted {
        let mut sum = 0;
        let cumulative = weights
            .into_iter()
            .map(|w| {
                sum += w;
                sum
            })
            .collect();
        Weighted { cumulative }
    }

    pub fn pick(&self, rng: &mut Rng) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0).max(1);
        let x = rng.u32(..total);
        self.cumulative.partition_point(|&c| c <= x)
    }
}

/// `n` random lower-case hex digits.
pub fn hex(rng: &mut Rng, n: usize) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    (0..n).map(|_| char::from(HEX[rng.usize(..16)])).collect()
}

/// `n` random characters of the URL-safe base64 alphabet, as click identifiers use.
pub fn token(rng: &mut Rng, n: usize) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    (0..n)
        .map(|_| char::from(ALPHABET[rng.usize(..64)]))
        .collect()
}

/// True with probability `p`.
pub fn chance(rng: &mut Rng, p: f64) -> bool {
    rng.f64() < p
}
