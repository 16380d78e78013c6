//! What `ecapi-scope serve` adds to the endpoint: injected faults (a rate of each error status),
//! added latency, and one NDJSON line per request, so that a sender's retry behaviour can be
//! exercised against a receiver that validates and deduplicates like a real one.

use std::sync::mpsc::SyncSender;
use std::sync::Mutex;
use std::time::Duration;

/// What a drawn fault does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// Answer this status (400–599) instead of processing.
    Status(u16),
    /// Reset the connection (TCP RST) without an answer.
    Reset,
}

impl FaultKind {
    /// For the request line: the status, or `"reset"`.
    pub fn to_json(self) -> serde_json::Value {
        match self {
            FaultKind::Status(s) => s.into(),
            FaultKind::Reset => "reset".into(),
        }
    }
}

/// A fault with its probability.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Fault {
    pub kind: FaultKind,
    pub rate: f64,
}

impl Fault {
    /// `503:0.1` (status 400–599) or `reset:0.05`, with a rate 0–1.
    pub fn parse(text: &str) -> Result<Fault, String> {
        let bad = || {
            format!(
                "--fault {text:?}: expected STATUS:RATE or reset:RATE, e.g. 503:0.1 \
                 (status 400–599, rate 0–1)"
            )
        };
        let (what, rate) = text.split_once(':').ok_or_else(bad)?;
        let rate: f64 = rate.trim().parse().map_err(|_| bad())?;
        if !(0.0..=1.0).contains(&rate) {
            return Err(bad());
        }
        let kind = if what.trim().eq_ignore_ascii_case("reset") {
            FaultKind::Reset
        } else {
            let status: u16 = what.trim().parse().map_err(|_| bad())?;
            if !(400..=599).contains(&status) {
                return Err(bad());
            }
            FaultKind::Status(status)
        };
        Ok(Fault { kind, rate })
    }
}

/// `50ms..300ms` or `100ms`: the latency added to every answer, uniform in the range.
pub fn parse_latency(text: &str) -> Result<(Duration, Duration), String> {
    let bad =
        || format!("--latency {text:?}: expected a duration or a range, e.g. 100ms or 50ms..300ms");
    let one = |t: &str| crate::engine::time::parse_duration(t).ok_or_else(bad);
    let (lo, hi) = match text.split_once("..") {
        Some((a, b)) => (one(a)?, one(b)?),
        None => (one(text)?, one(text)?),
    };
    if lo > hi {
        return Err(bad());
    }
    Ok((lo, hi))
}

pub struct Sandbox {
    pub faults: Vec<Fault>,
    pub latency: (Duration, Duration),
    /// Seconds said in `Retry-After` on injected 429 and 503 answers.
    pub retry_after: u64,
    rng: Mutex<fastrand::Rng>,
    log: SyncSender<String>,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("faults", &self.faults)
            .field("latency", &self.latency)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    pub fn new(
        faults: Vec<Fault>,
        latency: (Duration, Duration),
        seed: u64,
        log: SyncSender<String>,
    ) -> Sandbox {
        Sandbox {
            faults,
            latency,
            retry_after: 1,
            rng: Mutex::new(fastrand::Rng::with_seed(seed)),
            log,
        }
    }

    /// The added latency for one answer.
    pub fn delay(&self) -> Duration {
        let (lo, hi) = self.latency;
        let span = hi.saturating_sub(lo);
        if span.is_zero() {
            return lo;
        }
        let span = u64::try_from(span.as_micros()).unwrap_or(u64::MAX);
        let pick = self.rng.lock().map_or(0, |mut r| r.u64(0..=span));
        lo + Duration::from_micros(pick)
    }

    /// The fault to answer with, if one is drawn: each fault in turn, with its rate.
    pub fn fault(&self) -> Option<FaultKind> {
        let mut rng = self.rng.lock().ok()?;
        self.faults
            .iter()
            .find(|f| rng.f64() < f.rate)
            .map(|f| f.kind)
    }

    /// Hands a request's line to the printer; dropped (never blocking) if it cannot keep up.
    pub fn log(&self, line: String) {
        let _ = self.log.try_send(line);
    }
}

/// What one answered request did, for its log line (a response extension).
#[derive(Clone, Debug, Default)]
pub struct Answered {
    pub events: u64,
    pub accepted: u64,
    pub duplicates: u64,
    pub fault: Option<FaultKind>,
    pub latency_ms: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_faults_and_latency() {
        assert_eq!(
            Fault::parse("503:0.25"),
            Ok(Fault {
                kind: FaultKind::Status(503),
                rate: 0.25
            })
        );
        assert_eq!(
            Fault::parse("reset:1").map(|f| f.kind),
            Ok(FaultKind::Reset)
        );
        assert!(Fault::parse("reboot:0.1").is_err());
        assert!(Fault::parse("200:0.1").is_err());
        assert!(Fault::parse("503:1.5").is_err());
        assert!(Fault::parse("503").is_err());
        assert_eq!(
            parse_latency("50ms..300ms"),
            Ok((Duration::from_millis(50), Duration::from_millis(300)))
        );
        assert_eq!(
            parse_latency("2s"),
            Ok((Duration::from_secs(2), Duration::from_secs(2)))
        );
        assert!(parse_latency("300ms..50ms").is_err());
    }

    #[test]
    fn a_rate_of_one_always_faults_and_none_never() {
        let (tx, _rx) = std::sync::mpsc::sync_channel(1);
        let always = Sandbox::new(
            vec![Fault {
                kind: FaultKind::Status(503),
                rate: 1.0,
            }],
            (Duration::ZERO, Duration::ZERO),
            1,
            tx.clone(),
        );
        assert_eq!(always.fault(), Some(FaultKind::Status(503)));
        let never = Sandbox::new(Vec::new(), (Duration::ZERO, Duration::ZERO), 1, tx);
        assert_eq!(never.fault(), None);
    }
}
