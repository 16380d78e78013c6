//! Exponential backoff with full jitter, for sources that reconnect.

use super::status::{Counters, SourceState, SourceStatus};
use std::time::{Duration, Instant, SystemTime};

/// How long a connection attempt (TCP, TLS and WebSocket handshakes) may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A connection that lived this long, or delivered records, resets the backoff; shorter
/// empty ones (a peer that accepts and closes at once) keep it growing.
const STABLE_AFTER: Duration = Duration::from_secs(5);

/// A connection in progress, for [`Backoff::disconnected`].
pub struct Session {
    since: Instant,
    records: u64,
}

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

    /// A connection succeeded: count it and say so.
    pub fn connected(&mut self, status: &SourceStatus) -> Session {
        Counters::add(&status.counters.connections, 1);
        status.set(SourceState::Connected);
        Session {
            since: Instant::now(),
            records: Counters::get(&status.counters.records),
        }
    }

    /// The connection ended: if it was stable or brought records, the next wait starts short.
    pub fn disconnected(&mut self, session: &Session, status: &SourceStatus) {
        let delivered = Counters::get(&status.counters.records) > session.records;
        if delivered || session.since.elapsed() >= STABLE_AFTER {
            self.reset();
        }
    }

    /// Waits before the next attempt, with the attempt, its time and `reason` in the state.
    pub async fn retry_later(&mut self, status: &SourceStatus, reason: String) {
        let delay = self.next_delay();
        // The reason stays in the last error too, for whoever reads only that.
        status.error(reason.clone());
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

    #[test]
    fn a_connection_that_delivered_records_resets_the_backoff() {
        let status = SourceStatus::new("tcp://x");
        let mut b = Backoff::default();
        for _ in 0..5 {
            b.next_delay();
        }
        let s = b.connected(&status);
        b.disconnected(&s, &status);
        assert_eq!(b.attempt(), 5, "a short empty connection keeps the backoff");
        let s = b.connected(&status);
        Counters::add(&status.counters.records, 3);
        b.disconnected(&s, &status);
        assert_eq!(b.attempt(), 0, "records were delivered: start short again");
    }

    #[tokio::test]
    async fn the_last_error_keeps_the_reason_while_reconnecting() {
        let status = SourceStatus::new("tcp://x");
        let mut b = Backoff::default();
        b.retry_later(&status, "connection refused".into()).await;
        assert_eq!(status.last_error().as_deref(), Some("connection refused"));
    }
}
