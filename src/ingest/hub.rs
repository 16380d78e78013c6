//! The hub: the one consumer of every source's records. It runs the engine on them, in
//! arrival order, writes the capture, answers HTTP senders once their records are processed
//! and captured, and hands each event's report to an output (the `watch` printer, the TUI).

use super::capture::Capture;
use super::status::SourceStatus;
use super::{Body, EventResult, Record, Reply, Upstream};
use crate::config::Settings;
use crate::engine::recent::RecentPayloads;
use crate::engine::report::EventReport;
use crate::engine::{Engine, RecordMeta};
use std::sync::Arc;
use tokio::sync::mpsc;

/// Raw records kept to diff conflicting duplicates against.
const RECENT_BUDGET: usize = 64 * 1024 * 1024;

/// Where a live event came from, besides the report itself.
pub struct Origin<'a> {
    pub label: &'a str,
    pub received_ms: i64,
    pub upstream: Option<&'a Upstream>,
}

/// What consumes the hub's reports.
pub trait Output: Send {
    fn event(&mut self, report: &EventReport, origin: &Origin);
    /// Called after each batch; a printer flushes here.
    fn end_batch(&mut self) {}
    /// False once the output cannot take more (a closed pipe): the hub stops.
    fn ok(&self) -> bool {
        true
    }
}

/// Discards reports (counting only happens in the engine).
pub struct NoOutput;

impl Output for NoOutput {
    fn event(&mut self, _: &EventReport, _: &Origin) {}
}

pub struct Hub {
    engine: Engine,
    recent: RecentPayloads,
    capture: Option<Capture>,
    capture_error: Option<String>,
    statuses: Vec<Arc<SourceStatus>>,
    out: Box<dyn Output>,
    seq: u64,
    events: u64,
    max_events: Option<u64>,
    max_line: u64,
}

/// What the hub did, for `watch --stats` and the benchmark.
#[derive(Debug, Default, serde::Serialize)]
pub struct HubSummary {
    pub records: u64,
    pub events: u64,
    pub capture_lines: u64,
    pub capture_error: Option<String>,
}

impl Hub {
    pub fn new(
        settings: &Settings,
        capture: Option<Capture>,
        statuses: Vec<Arc<SourceStatus>>,
        out: Box<dyn Output>,
        max_events: Option<u64>,
    ) -> Hub {
        Hub {
            engine: Engine::new(settings.engine.clone()),
            recent: RecentPayloads::new(RECENT_BUDGET),
            capture,
            capture_error: None,
            statuses,
            out,
            seq: 0,
            events: 0,
            max_events,
            max_line: settings.max_line_bytes as u64,
        }
    }

    pub fn engine(&self) -> &Engine {
        &self.engine
    }

    /// Drains `rx` until every sender is gone or `max_events` events were seen. Blocking: run
    /// it on its own thread.
    pub fn run(mut self, mut rx: mpsc::Receiver<Vec<Record>>) -> (HubSummary, Engine) {
        while let Some(batch) = rx.blocking_recv() {
            self.batch(batch);
            if self.max_events.is_some_and(|m| self.events >= m) || !self.out.ok() {
                break;
            }
        }
        let summary = HubSummary {
            records: self.seq,
            events: self.events,
            capture_lines: self.capture.as_ref().map_or(0, |c| c.lines),
            capture_error: self.capture_error.clone(),
        };
        (summary, self.engine)
    }

    /// Processes one batch: capture, engine, output; then flushes and answers HTTP senders.
    pub fn batch(&mut self, batch: Vec<Record>) {
        let mut replies: Vec<(tokio::sync::oneshot::Sender<Reply>, Reply)> = Vec::new();
        let mut capture_failed = false;
        for mut rec in batch {
            self.seq += 1;
            let label: Arc<str> = rec.label.clone().unwrap_or_else(|| {
                self.statuses
                    .get(rec.source as usize)
                    .map_or_else(|| Arc::from("?"), |s| Arc::from(s.label.as_str()))
            });
            capture_failed |= !self.capture(&rec, &label);
            let mut reply = rec.reply.take().map(|tx| (tx, Reply::default()));
            self.process(&rec, &label, reply.as_mut().map(|(_, r)| r));
            replies.extend(reply);
        }
        if let Some(c) = self.capture.as_mut() {
            if let Err(e) = c.flush() {
                capture_failed = true;
                self.capture_failed(&e);
            }
        }
        self.out.end_batch();
        for (tx, mut reply) in replies {
            if capture_failed {
                reply.capture_error.clone_from(&self.capture_error);
            }
            let _ = tx.send(reply);
        }
    }

    /// Writes the record to the capture; false when that failed.
    fn capture(&mut self, rec: &Record, label: &str) -> bool {
        let Some(c) = self.capture.as_mut() else {
            return true;
        };
        let raw = match &rec.body {
            Body::Raw(raw) => Ok(raw.as_slice()),
            Body::TooLong(len) => Err(*len),
        };
        match c.write(rec.received_ms, label, raw) {
            Ok(()) => true,
            Err(e) => {
                self.capture_failed(&e);
                false
            }
        }
    }

    fn capture_failed(&mut self, e: &std::io::Error) {
        let path = self
            .capture
            .as_ref()
            .map(|c| c.path().display().to_string())
            .unwrap_or_default();
        let message = format!("capture {path}: {e}; events are still processed but not captured");
        for s in &self.statuses {
            s.error(message.clone());
        }
        self.capture_error = Some(message);
    }

    fn process(&mut self, rec: &Record, label: &str, mut reply: Option<&mut Reply>) {
        let meta = RecordMeta {
            line: rec.line,
            source: rec.source,
            received_ms: rec.received_ms,
            locator: self.seq,
        };
        let origin = Origin {
            label,
            received_ms: rec.received_ms,
            upstream: rec.upstream.as_deref(),
        };
        let Hub {
            engine,
            recent,
            out,
            events,
            max_line,
            ..
        } = self;
        let mut sink = |r: &EventReport| {
            *events += 1;
            out.event(r, &origin);
            if let Some(reply) = reply.as_deref_mut() {
                reply.events.push(EventResult {
                    index: r.index,
                    status: r.status,
                    id: r.id.map(str::to_owned),
                    duplicate: r.duplicate.map(|d| d.kind.name()),
                    findings: r.findings.to_vec(),
                });
            }
        };
        match &rec.body {
            Body::Raw(raw) => {
                recent.remember(meta.locator, raw);
                engine.process(raw, &meta, recent, &mut sink);
            }
            Body::TooLong(len) => engine.process_too_long(*len, *max_line, &meta, &mut sink),
        }
    }
}
