//! What a receiver's answer says of each event of a request: accepted (perhaps merged as a
//! duplicate), rejected with the status, or failed (no final answer). A `2xx` answer that lists
//! per-event results (as `serve` and the endpoint do) is read event by event.

use super::send::Attempt;
use serde::Deserialize;

/// One event's fate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Taken; `duplicate` when the receiver said it merged it with an earlier one.
    Accepted { duplicate: bool },
    /// Refused by a final answer: its status, and why when the answer said.
    Rejected { status: u16, reason: String },
    /// No final answer: retries exhausted, or no connection.
    Failed(String),
}

#[derive(Deserialize)]
struct Listed {
    index: Option<u32>,
    #[serde(default)]
    status: Option<String>,
    #[serde(default)]
    duplicate: Option<serde_json::Value>,
    #[serde(default)]
    findings: Vec<ListedFinding>,
}

#[derive(Deserialize)]
struct ListedFinding {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    severity: Option<String>,
}

#[derive(Deserialize)]
struct Body {
    events: Vec<Listed>,
}

/// Each event's verdict from the last attempt and its body.
pub fn judge(attempts: &[Attempt], text: &str, events: usize, retryable: bool) -> Vec<Verdict> {
    let Some(last) = attempts.last() else {
        return vec![Verdict::Failed("never sent".into()); events];
    };
    let tries = attempts.len();
    let after = if tries == 1 {
        String::new()
    } else {
        format!(" after {tries} attempts")
    };
    let status = match (last.status, &last.error) {
        (Some(s), _) => s,
        (None, Some(e)) => return vec![Verdict::Failed(format!("{e}{after}")); events],
        (None, None) => return vec![Verdict::Failed(format!("no answer{after}")); events],
    };
    if retryable {
        return vec![Verdict::Failed(format!("answered {status}{after}")); events];
    }
    if !(200..300).contains(&status) {
        let reason = reason_of(text);
        return vec![Verdict::Rejected { status, reason }; events];
    }
    let Ok(body) = serde_json::from_str::<Body>(text) else {
        return vec![Verdict::Accepted { duplicate: false }; events];
    };
    // The answer lists results event by event: an event it does not list was not taken (the
    // receiver saw another framing, say an envelope under another key).
    let listed = body.events.len();
    let missing = Verdict::Rejected {
        status,
        reason: format!("not in the receiver's answer (it listed {listed} of {events} events)"),
    };
    let mut out = vec![missing; events];
    for (pos, e) in body.events.iter().enumerate() {
        let i = e.index.map_or(pos, |i| i as usize);
        let Some(slot) = out.get_mut(i) else { continue };
        *slot = match e.status.as_deref() {
            Some("error" | "malformed") => Verdict::Rejected {
                status,
                reason: e
                    .findings
                    .iter()
                    .find(|f| f.severity.as_deref() == Some("error"))
                    .or(e.findings.first())
                    .and_then(|f| f.code.clone())
                    .unwrap_or_else(|| "the event was refused".into()),
            },
            _ => Verdict::Accepted {
                duplicate: e.duplicate.as_ref().is_some_and(|d| !d.is_null()),
            },
        };
    }
    out
}

/// The `error` (or `message`) of a JSON error answer, else the start of the body.
fn reason_of(text: &str) -> String {
    if let Ok(v) = serde_json::from_str::<serde_json::Value>(text) {
        for key in ["error", "message", "detail"] {
            if let Some(s) = v.get(key).and_then(|e| e.as_str()) {
                return s.chars().take(200).collect();
            }
        }
    }
    text.chars().take(200).collect::<String>().trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn answered(status: u16) -> Vec<Attempt> {
        vec![Attempt {
            status: Some(status),
            error: None,
            latency: Duration::ZERO,
            retry_after: None,
            waited: None,
        }]
    }

    #[test]
    fn reads_per_event_results() {
        let body = r#"{"status":200,"events":[
            {"index":0,"status":"ok","duplicate":null,"findings":[]},
            {"index":1,"status":"error","duplicate":null,"findings":[{"code":"x","severity":"warning"},{"code":"timestamp_missing","severity":"error"}]},
            {"index":2,"status":"warning","duplicate":{"kind":"exact"},"findings":[]}]}"#;
        let v = judge(&answered(200), body, 3, false);
        assert_eq!(v[0], Verdict::Accepted { duplicate: false });
        assert_eq!(
            v[1],
            Verdict::Rejected {
                status: 200,
                reason: "timestamp_missing".into()
            }
        );
        assert_eq!(v[2], Verdict::Accepted { duplicate: true });
        // A single event is listed with index null.
        let one = r#"{"events":[{"index":null,"status":"malformed","findings":[]}]}"#;
        assert!(matches!(
            judge(&answered(200), one, 1, false)[0],
            Verdict::Rejected { .. }
        ));
        // An event the answer does not list was not taken.
        let short = r#"{"events":[{"index":0,"status":"ok","duplicate":null,"findings":[]}]}"#;
        let v = judge(&answered(200), short, 2, false);
        assert_eq!(v[0], Verdict::Accepted { duplicate: false });
        assert!(matches!(&v[1], Verdict::Rejected { reason, .. } if reason.contains("1 of 2")));
        assert!(matches!(
            judge(&answered(200), r#"{"events":[]}"#, 1, false)[0],
            Verdict::Rejected { .. }
        ));
        // Any other 2xx body: all accepted.
        assert_eq!(
            judge(&answered(204), "", 2, false),
            vec![Verdict::Accepted { duplicate: false }; 2]
        );
    }

    #[test]
    fn errors_and_exhausted_retries() {
        let v = judge(&answered(400), r#"{"error":"bad json"}"#, 1, false);
        assert_eq!(
            v[0],
            Verdict::Rejected {
                status: 400,
                reason: "bad json".into()
            }
        );
        let mut a = answered(503);
        a.extend(answered(503));
        assert_eq!(
            judge(&a, "", 1, true)[0],
            Verdict::Failed("answered 503 after 2 attempts".into())
        );
    }
}
