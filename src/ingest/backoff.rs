//! Exponential backoff with full jitter, for sources that reconnect.

use super::status::{Counters, SourceState, SourceStatus};
use std::time::{Duration, Instant, SystemTime};

/// How long a connection attempt (TCP, TLS and WebSocket handshakes) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection that lived this long resets the backoff; shorter ones (a peer that accepts
/// and closes at once) keep it growing.
const STABLE_AFTER: Duration = Duration::from_secs(5);

pub struct Backoff {
    attempt: u32,
    base: Duration,
    max: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff {
            attempt: 0,
            base: Duration::from_millis(200),
            max: Duration::from_secs(30),
        }
    }
}

impl Backoff {
    /// The next delay: a random time up to base × 2^attempt, capped; never below 10 ms.
    pub fn next_delay(&mut self) -> Duration {
        let exp = self.base.saturating_mul(1u32 << self.attempt.min(16));
        let cap = exp.min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX).max(10);
        Duration::from_millis(fastrand::u64(millis / 2..=millis))
    }

    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// After a successful connection.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }

    /// A connection succeeded: count it and say so. Returns when, for `disconnected`.
    pub fn connected(&mut self, status: &SourceStatus) -> Instant {
        Counters::add(&status.counters.connections, 1);
        status.set(SourceState::Connected);
        Instant::now()
    }

    /// The connection made at `since` ended: if it was stable, the next wait starts short.
    pub fn disconnected(&mut self, since: Instant) {
        if since.elapsed() >= STABLE_AFTER {
            self.reset();
        }
    }

    /// Waits before the next attempt, with the attempt, its time and `reason` in the state.
    pub async fn retry_later(&mut self, status: &SourceStatus, reason: String) {
        let delay = self.next_delay();
        status.set(SourceState::Reconnecting {
            attempt: self.attempt(),
            next_attempt: SystemTime::now() + delay,
            reason,
        });
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_with_jitter() {
        let mut b = Backoff::default();
        let first = b.next_delay();
        assert!(first >= Duration::from_millis(100) && first <= Duration::from_millis(200));
        for _ in 0..30 {
            assert!(b.next_delay() <= Duration::from_secs(30));
        }
        assert!(b.next_delay() >= Duration::from_secs(15));
        b.reset();
        assert!(b.next_delay() <= Duration::from_millis(200));
    }
}
