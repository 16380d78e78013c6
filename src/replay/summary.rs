//! Counting a replay: every event sent ends accepted, rejected or failed, so the three always
//! add up to what was sent; latencies give the rate and percentiles.

use super::answer::Verdict;
use super::send::Exchange;
use std::collections::BTreeMap;
use std::time::Duration;

#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub requests: u64,
    pub attempts: u64,
    /// Requests that needed more than one attempt.
    pub retried: u64,
    pub sent: u64,
    pub accepted: u64,
    /// Accepted events the receiver said were duplicates.
    pub duplicates: u64,
    pub rejected: u64,
    /// Rejected events by the answer's status (`200` for events refused inside a `200`).
    pub rejected_by_status: BTreeMap<u16, u64>,
    /// Why rejected events were refused, by reason (finding code or error text).
    pub rejected_by_reason: BTreeMap<String, u64>,
    pub failed: u64,
    pub failed_by_reason: BTreeMap<String, u64>,
    /// Events held back as invalid, left out by the filter, or never sent (stopped early).
    pub held_invalid: u64,
    pub filtered_out: u64,
    pub not_sent: u64,
    /// Records over the line limit, and inputs that could not be read.
    pub too_long: u64,
    pub latencies_us: Vec<u64>,
    pub elapsed: Duration,
}

impl Summary {
    pub fn add(&mut self, x: &Exchange) {
        if x.attempts.is_empty() {
            // Stopped before its first attempt: nothing of it was sent.
            self.not_sent += x.verdicts.len() as u64;
            return;
        }
        self.requests += 1;
        self.attempts += x.attempts.len() as u64;
        if x.attempts.len() > 1 {
            self.retried += 1;
        }
        for a in &x.attempts {
            self.latencies_us
                .push(u64::try_from(a.latency.as_micros()).unwrap_or(u64::MAX));
        }
        for v in &x.verdicts {
            self.sent += 1;
            match v {
                Verdict::Accepted { duplicate } => {
                    self.accepted += 1;
                    self.duplicates += u64::from(*duplicate);
                }
                Verdict::Rejected { status, reason } => {
                    self.rejected += 1;
                    *self.rejected_by_status.entry(*status).or_default() += 1;
                    *self.rejected_by_reason.entry(short(reason)).or_default() += 1;
                }
                Verdict::Failed(why) => {
                    self.failed += 1;
                    *self.failed_by_reason.entry(short(why)).or_default() += 1;
                }
            }
        }
    }

    /// Every event that was meant to go was sent and accepted.
    pub fn all_accepted(&self) -> bool {
        self.sent == self.accepted
            && self.held_invalid == 0
            && self.not_sent == 0
            && self.too_long == 0
    }

    /// Latency percentile over every attempt (`q` in 0–1).
    pub fn latency(&self, q: f64) -> Option<Duration> {
        let mut v = self.latencies_us.clone();
        if v.is_empty() {
            return None;
        }
        v.sort_unstable();
        let i = ((v.len() - 1) as f64 * q).round() as usize;
        v.get(i).map(|us| Duration::from_micros(*us))
    }

    pub fn events_per_sec(&self) -> f64 {
        let s = self.elapsed.as_secs_f64();
        if s > 0.0 {
            self.sent as f64 / s
        } else {
            0.0
        }
    }

    pub fn to_json(&self) -> serde_json::Value {
        let ms =
            |d: Option<Duration>| d.map(|d| (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0);
        serde_json::json!({
            "sent": self.sent,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "rejected_by_status": self.rejected_by_status.iter()
                .map(|(k, v)| (k.to_string(), *v)).collect::<BTreeMap<_, _>>(),
            "rejected_by_reason": self.rejected_by_reason,
            "failed": self.failed,
            "failed_by_reason": self.failed_by_reason,
            "held_invalid": self.held_invalid,
            "filtered_out": self.filtered_out,
            "not_sent": self.not_sent,
            "too_long": self.too_long,
            "requests": self.requests,
            "attempts": self.attempts,
            "retried": self.retried,
            "elapsed_ms": self.elapsed.as_millis() as u64,
            "events_per_sec": (self.events_per_sec() * 10.0).round() / 10.0,
            "latency_ms": {"p50": ms(self.latency(0.5)), "p99": ms(self.latency(0.99)),
                           "max": ms(self.latency(1.0))},
        })
    }

    /// The summary for people.
    pub fn to_text(&self, target: &str) -> String {
        use crate::output::thousands as n;
        use std::fmt::Write;
        let mut t = String::new();
        let _ = writeln!(t, "replayed to {target}");
        let _ = writeln!(
            t,
            "  sent      {:>10} events in {} requests ({} attempts, {} retried)",
            n(self.sent),
            n(self.requests),
            n(self.attempts),
            n(self.retried)
        );
        let dup = if self.duplicates > 0 {
            format!(" ({} merged as duplicates)", n(self.duplicates))
        } else {
            String::new()
        };
        let _ = writeln!(t, "  accepted  {:>10}{dup}", n(self.accepted));
        let by = |m: &BTreeMap<String, u64>| {
            m.iter()
                .map(|(k, v)| format!("{}: {}", crate::output::safe::safe(k), n(*v)))
                .collect::<Vec<_>>()
                .join(", ")
        };
        if self.rejected > 0 {
            let status: Vec<String> = self
                .rejected_by_status
                .iter()
                .map(|(s, v)| format!("{s}: {}", n(*v)))
                .collect();
            let _ = writeln!(
                t,
                "  rejected  {:>10} (by status {}; {})",
                n(self.rejected),
                status.join(", "),
                by(&self.rejected_by_reason)
            );
        } else {
            let _ = writeln!(t, "  rejected  {:>10}", 0);
        }
        let failed = if self.failed > 0 {
            format!(" ({})", by(&self.failed_by_reason))
        } else {
            String::new()
        };
        let _ = writeln!(t, "  failed    {:>10}{failed}", n(self.failed));
        for (what, k) in [
            (
                "held back as invalid (--send-invalid sends them)",
                self.held_invalid,
            ),
            ("left out by --filter", self.filtered_out),
            ("not sent (stopped early)", self.not_sent),
            ("records over the line limit, not read", self.too_long),
        ] {
            if k > 0 {
                let _ = writeln!(t, "  {:>18} {what}", n(k));
            }
        }
        let lat = |q| {
            self.latency(q).map_or("-".into(), |d| {
                format!("{:.1} ms", d.as_secs_f64() * 1000.0)
            })
        };
        let _ = writeln!(
            t,
            "  {:.1}s, {} events/s; latency p50 {}, p99 {}, max {}",
            self.elapsed.as_secs_f64(),
            n(self.events_per_sec().round() as u64),
            lat(0.5),
            lat(0.99),
            lat(1.0)
        );
        t
    }
}

fn short(reason: &str) -> String {
    reason.chars().take(120).collect()
}
