//! The hub's output for the TUI: turns each report into a [`Row`] and hands rows over in
//! batches, with a snapshot of the aggregates a few times a second. It never blocks the hub:
//! when the UI is behind, batches are dropped and counted (the engine still counts them).

use super::row::Row;
use crate::engine::aggregate::Aggregates;
use crate::engine::report::EventReport;
use crate::ingest::hub::{Origin, Output};
use crate::jsontext::BatchElements;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How often the aggregates are copied for the UI.
const SNAPSHOT_EVERY: Duration = Duration::from_millis(200);

/// What the UI receives from the hub.
pub struct Feed {
    pub rows: Receiver<Vec<Row>>,
    pub aggregates: Receiver<Box<Aggregates>>,
    /// Events the display could not take (the engine counted them).
    pub dropped: Arc<AtomicU64>,
}

pub struct TuiSink {
    rows: Vec<Row>,
    rows_tx: SyncSender<Vec<Row>>,
    agg_tx: SyncSender<Box<Aggregates>>,
    dropped: Arc<AtomicU64>,
    seq: u64,
    labels: Vec<Arc<str>>,
    elements: BatchElements,
    last_snapshot: Option<Instant>,
    unpublished: bool,
}

impl TuiSink {
    /// A sink and the feed that reads it; `labels` are the sources' labels.
    pub fn new(labels: &[String], batch_key: &str) -> (TuiSink, Feed) {
        let (rows_tx, rows) = std::sync::mpsc::sync_channel(256);
        let (agg_tx, aggregates) = std::sync::mpsc::sync_channel(2);
        let dropped = Arc::new(AtomicU64::new(0));
        let sink = TuiSink {
            rows: Vec::new(),
            rows_tx,
            agg_tx,
            dropped: Arc::clone(&dropped),
            seq: 0,
            labels: labels.iter().map(|l| Arc::from(l.as_str())).collect(),
            elements: BatchElements::new(batch_key),
            last_snapshot: None,
            unpublished: false,
        };
        let feed = Feed {
            rows,
            aggregates,
            dropped,
        };
        (sink, feed)
    }

    fn label(&self, origin: &Origin, source: u16) -> Arc<str> {
        match self.labels.get(source as usize) {
            Some(l) if **l == *origin.label => Arc::clone(l),
            _ => Arc::from(origin.label),
        }
    }

    fn publish(&mut self, agg: &Aggregates) {
        self.last_snapshot = Some(Instant::now());
        self.unpublished = false;
        // A full queue holds a snapshot the UI has not read yet; the next one will do.
        let _ = self.agg_tx.try_send(Box::new(agg.clone()));
    }
}

impl Output for TuiSink {
    fn event(&mut self, r: &EventReport, origin: &Origin) {
        self.seq += 1;
        let raw: Arc<[u8]> = Arc::from(self.elements.of(origin.raw, origin.record, r.index));
        let label = self.label(origin, r.source);
        self.rows.push(Row::new(self.seq, r, origin, label, raw));
    }

    fn end_batch(&mut self, agg: &Aggregates) {
        self.unpublished = true;
        if !self.rows.is_empty() {
            let rows = std::mem::take(&mut self.rows);
            let n = rows.len() as u64;
            match self.rows_tx.try_send(rows) {
                Err(TrySendError::Full(_)) => {
                    self.dropped.fetch_add(n, Ordering::Relaxed);
                }
                Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            }
        }
        if self
            .last_snapshot
            .is_none_or(|t| t.elapsed() >= SNAPSHOT_EVERY)
        {
            self.publish(agg);
        }
    }

    fn idle(&mut self, agg: &Aggregates) {
        if self.unpublished {
            self.publish(agg);
        }
    }
}

/// Judges NDJSON records with the engine into rows, as the hub does for live sources: for
/// tools and tests that need real verdicts without sockets. Returns the rows and the
/// aggregates.
pub fn rows_of(
    records: &[&[u8]],
    label: &str,
    received_ms: i64,
    cfg: crate::engine::EngineConfig,
) -> (Vec<Row>, Aggregates) {
    use crate::engine::recent::RecentPayloads;
    use crate::engine::{Engine, RecordMeta};
    let mut elements = BatchElements::new(&cfg.walk.batch_key);
    let mut engine = Engine::new(cfg);
    let mut recent = RecentPayloads::new(1 << 24);
    let label: Arc<str> = Arc::from(label);
    let mut rows = Vec::new();
    for (i, raw) in records.iter().enumerate() {
        let meta = RecordMeta {
            line: i as u64 + 1,
            source: 0,
            received_ms,
            locator: i as u64 + 1,
        };
        let origin = Origin {
            label: &label,
            captured: false,
            received_ms,
            upstream: None,
            raw,
            record: meta.locator,
            message: None,
        };
        engine.process(raw, &meta, &mut recent, &mut |r| {
            let text = elements.of(origin.raw, origin.record, r.index);
            let seq = rows.len() as u64 + 1;
            rows.push(Row::new(
                seq,
                r,
                &origin,
                Arc::clone(&label),
                Arc::from(text),
            ));
        });
        recent.remember(meta.locator, raw);
    }
    (rows, engine.aggregates().clone())
}
