//! Events per second over a sliding window of receive time, for rates and sparklines.

/// Counts per second for the last `N` seconds.
#[derive(Clone, Debug)]
pub struct RateSeries<const N: usize> {
    counts: [u32; N],
    /// The second (unix) the newest bucket counts.
    newest: i64,
}

impl<const N: usize> Default for RateSeries<N> {
    fn default() -> Self {
        RateSeries {
            counts: [0; N],
            newest: i64::MIN,
        }
    }
}

impl<const N: usize> RateSeries<N> {
    /// Counts one event received at `second`. Late arrivals inside the window still count;
    /// older ones are dropped.
    pub fn add(&mut self, second: i64) {
        if self.newest == i64::MIN {
            self.newest = second;
        }
        if second > self.newest {
            let gap = (second - self.newest).min(N as i64);
            for s in 1..=gap {
                self.counts[(self.newest + s).rem_euclid(N as i64) as usize] = 0;
            }
            self.newest = second;
        }
        if self.newest - second < N as i64 {
            let slot = second.rem_euclid(N as i64) as usize;
            self.counts[slot] = self.counts[slot].saturating_add(1);
        }
    }

    /// Counts per second, oldest first, for the `N` seconds ending at `now`.
    pub fn series(&self, now: i64) -> Vec<u32> {
        (0..N as i64)
            .map(|back| now - (N as i64 - 1) + back)
            .map(|s| {
                if self.newest == i64::MIN || s > self.newest || self.newest - s >= N as i64 {
                    0
                } else {
                    self.counts[s.rem_euclid(N as i64) as usize]
                }
            })
            .collect()
    }

    /// Mean events per second over the `window` seconds ending at `now`.
    pub fn rate(&self, now: i64, window: usize) -> f64 {
        let series = self.series(now);
        let window = window.clamp(1, N);
        let sum: u64 = series[N - window..].iter().map(|c| u64::from(*c)).sum();
        sum as f64 / window as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slides_and_forgets() {
        let mut r = RateSeries::<4>::default();
        r.add(100);
        r.add(100);
        r.add(101);
        assert_eq!(r.series(101), vec![0, 0, 2, 1]);
        r.add(103);
        assert_eq!(r.series(103), vec![2, 1, 0, 1]);
        r.add(110);
        assert_eq!(r.series(110), vec![0, 0, 0, 1]);
        r.add(90);
        assert_eq!(r.series(110), vec![0, 0, 0, 1]);
        assert!((r.rate(110, 2) - 0.5).abs() < 1e-9);
    }
}
