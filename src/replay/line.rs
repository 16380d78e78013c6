//! The NDJSON line for one request's exchange (`replay --format ndjson`): what was sent, every
//! attempt, each event's verdict and the answer. Never a header, so never a secret.

use super::answer::Verdict;
use super::prepare::Request;
use super::send::Exchange;
use serde_json::{json, Value};

fn ms(d: std::time::Duration) -> f64 {
    (d.as_secs_f64() * 1000.0 * 100.0).round() / 100.0
}

/// One line, terminal-safe.
pub fn line(x: &Exchange, r: &Request) -> String {
    let (mut accepted, mut rejected, mut failed, mut duplicates) = (0u64, 0u64, 0u64, 0u64);
    let events: Vec<Value> = r
        .events
        .iter()
        .zip(&x.verdicts)
        .map(|(e, v)| {
            let (verdict, why) = match v {
                Verdict::Accepted { duplicate } => {
                    accepted += 1;
                    duplicates += u64::from(*duplicate);
                    (if *duplicate { "duplicate" } else { "accepted" }, None)
                }
                Verdict::Rejected { reason, .. } => {
                    rejected += 1;
                    ("rejected", Some(reason.as_str()))
                }
                Verdict::Failed(reason) => {
                    failed += 1;
                    ("failed", Some(reason.as_str()))
                }
            };
            json!({
                "input": e.origin.input + 1,
                "line": e.origin.line,
                "index": e.origin.index,
                "source": e.origin.label,
                "id": e.id,
                "original_id": e.original_id,
                "verdict": verdict,
                "reason": why,
            })
        })
        .collect();
    let attempts: Vec<Value> = x
        .attempts
        .iter()
        .map(|a| {
            json!({
                "status": a.status,
                "error": a.error,
                "latency_ms": ms(a.latency),
                "retry_after_ms": a.retry_after.map(ms),
                "waited_ms": a.waited.map(ms),
            })
        })
        .collect();
    let v = json!({
        "request": x.request + 1,
        "started": x.started_ms,
        "status": x.status(),
        "attempts": attempts,
        "latency_ms": ms(x.latency()),
        "sent": r.events.len(),
        "accepted": accepted,
        "duplicates": duplicates,
        "rejected": rejected,
        "failed": failed,
        "events": events,
        "response": x.response,
    });
    crate::jsontext::escape_unsafe(&v.to_string()).into_owned()
}
