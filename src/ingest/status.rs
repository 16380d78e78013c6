//! What every source shows of itself: its state (with the reason when it failed, and the next
//! attempt when it is reconnecting) and its counters. Shared between the source's task and
//! whoever displays it; state changes can be awaited, so tests never sleep.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::SystemTime;
use tokio::sync::watch;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SourceState {
    Starting,
    /// Connected to a peer (tcp, unix, ws) or reading (file, stdin).
    Connected,
    /// Listening on the given address (listeners, endpoint, proxy).
    Listening(String),
    Reconnecting {
        attempt: u32,
        next_attempt: SystemTime,
        reason: String,
    },
    /// Waiting for a file that does not exist yet.
    Waiting(String),
    /// A Kafka consumer between assignments (its group is rebalancing).
    Rebalancing,
    /// A Kafka consumer reading the partitions given (`events[0,1]`).
    Assigned(String),
    Ended,
    Failed(String),
}

impl SourceState {
    pub fn name(&self) -> &'static str {
        match self {
            SourceState::Starting => "starting",
            SourceState::Connected => "connected",
            SourceState::Listening(_) => "listening",
            SourceState::Reconnecting { .. } => "reconnecting",
            SourceState::Waiting(_) => "waiting",
            SourceState::Rebalancing => "rebalancing",
            SourceState::Assigned(_) => "assigned",
            SourceState::Ended => "ended",
            SourceState::Failed(_) => "failed",
        }
    }

    /// A one-line description, reasons included.
    pub fn describe(&self) -> String {
        match self {
            SourceState::Listening(addr) => format!("listening on {addr}"),
            SourceState::Reconnecting {
                attempt,
                reason,
                next_attempt,
            } => {
                let wait = next_attempt
                    .duration_since(SystemTime::now())
                    .map_or(0, |d| d.as_millis());
                format!("reconnecting (attempt {attempt}, in {wait} ms): {reason}")
            }
            SourceState::Waiting(what) => format!("waiting: {what}"),
            SourceState::Assigned(parts) => format!("assigned {parts}"),
            SourceState::Failed(reason) => format!("failed: {reason}"),
            other => other.name().to_owned(),
        }
    }
}

/// Counters of one source.
#[derive(Default, Debug)]
pub struct Counters {
    pub records: AtomicU64,
    pub bytes: AtomicU64,
    pub malformed: AtomicU64,
    pub dropped: AtomicU64,
    pub connections: AtomicU64,
}

impl Counters {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(counter: &AtomicU64) -> u64 {
        counter.load(Ordering::Relaxed)
    }
}

/// A source's label, state and counters.
pub struct SourceStatus {
    pub label: String,
    state: watch::Sender<SourceState>,
    pub counters: Counters,
    /// The last error that did not stop the source (a client's bad request, an upstream
    /// failure, a capture write error).
    last_error: Mutex<Option<String>>,
    /// Requests answered with another status than 200, by status (HTTP sources).
    refused: Mutex<std::collections::BTreeMap<u16, u64>>,
    /// The partitions assigned to a Kafka source, with their positions and lag.
    partitions: Mutex<Vec<PartitionView>>,
}

/// One assigned Kafka partition as its source shows it.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct PartitionView {
    pub topic: String,
    pub partition: i32,
    /// The next offset to read (`None` until known).
    pub position: Option<i64>,
    /// The offset committed for the group (everything before it went through the engine).
    pub committed: Option<i64>,
    /// The partition's high watermark, as last seen.
    pub high_watermark: Option<i64>,
    /// High watermark minus position.
    pub lag: Option<i64>,
}

impl SourceStatus {
    pub fn new(label: &str) -> SourceStatus {
        SourceStatus {
            label: label.to_owned(),
            state: watch::Sender::new(SourceState::Starting),
            counters: Counters::default(),
            last_error: Mutex::new(None),
            refused: Mutex::new(std::collections::BTreeMap::new()),
            partitions: Mutex::new(Vec::new()),
        }
    }

    /// Sets the state; watchers are told only when it changes (a file still missing at every
    /// poll is said once).
    pub fn set(&self, state: SourceState) {
        self.state.send_if_modified(|s| {
            if *s == state {
                return false;
            }
            *s = state;
            true
        });
    }

    pub fn state(&self) -> SourceState {
        self.state.borrow().clone()
    }

    /// A receiver to await state changes on.
    pub fn subscribe(&self) -> watch::Receiver<SourceState> {
        self.state.subscribe()
    }

    pub fn error(&self, message: impl Into<String>) {
        if let Ok(mut e) = self.last_error.lock() {
            *e = Some(message.into());
        }
    }

    /// Counts a request answered with `status` (not 200).
    pub fn refused(&self, status: u16) {
        if let Ok(mut r) = self.refused.lock() {
            *r.entry(status).or_insert(0) += 1;
        }
    }

    /// Requests answered with another status than 200, by status.
    pub fn refusals(&self) -> Vec<(u16, u64)> {
        self.refused
            .lock()
            .map(|r| r.iter().map(|(s, n)| (*s, *n)).collect())
            .unwrap_or_default()
    }

    /// Replaces the assigned partitions (a Kafka source, after a rebalance or new statistics).
    pub fn set_partitions(&self, parts: Vec<PartitionView>) {
        if let Ok(mut p) = self.partitions.lock() {
            *p = parts;
        }
    }

    pub fn partitions(&self) -> Vec<PartitionView> {
        self.partitions
            .lock()
            .map(|p| p.clone())
            .unwrap_or_default()
    }

    pub fn last_error(&self) -> Option<String> {
        self.last_error.lock().ok().and_then(|e| e.clone())
    }

    /// Waits until the state satisfies `pred` (returns the state).
    pub async fn wait_for(&self, pred: impl Fn(&SourceState) -> bool) -> SourceState {
        let mut rx = self.subscribe();
        let seen = rx.wait_for(|s| pred(s)).await.map(|s| s.clone());
        seen.unwrap_or_else(|_| self.state())
    }

    /// The address a listener is bound to, once it listens.
    pub fn listening_on(&self) -> Option<String> {
        match &*self.state.borrow() {
            SourceState::Listening(addr) => Some(addr.clone()),
            _ => None,
        }
    }

    /// Counters and state as JSON, for `watch --stats` and scripts.
    pub fn snapshot(&self) -> serde_json::Value {
        let c = &self.counters;
        serde_json::json!({
            "source": self.label,
            "state": self.state().name(),
            "detail": self.state().describe(),
            "records": Counters::get(&c.records),
            "bytes": Counters::get(&c.bytes),
            "malformed": Counters::get(&c.malformed),
            "dropped": Counters::get(&c.dropped),
            "connections": Counters::get(&c.connections),
            "refused": self.refusals().iter().map(|(s, n)| (s.to_string(), serde_json::json!(n))).collect::<serde_json::Map<_, _>>(),
            "last_error": self.last_error(),
            "partitions": self.partitions(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_state_set_again_is_said_once() {
        let s = SourceStatus::new("missing.ndjson");
        let mut rx = s.subscribe();
        rx.borrow_and_update();
        s.set(SourceState::Waiting("missing.ndjson: not found".into()));
        assert!(rx.has_changed().unwrap());
        rx.borrow_and_update();
        for _ in 0..5 {
            s.set(SourceState::Waiting("missing.ndjson: not found".into()));
        }
        assert!(
            !rx.has_changed().unwrap(),
            "the same state again is not news"
        );
        s.set(SourceState::Connected);
        assert!(rx.has_changed().unwrap());
    }
}
