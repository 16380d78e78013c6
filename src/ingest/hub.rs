//! The hub: the one consumer of every source's records. It runs the engine on them, in
//! arrival order, and hands each event's report to an output (the `watch` printer, the TUI).
//! The capture is written on a thread of its own, which answers HTTP senders once their
//! records are both processed and captured: an acknowledged event is never lost.

use super::capture::Capture;
use super::status::{Counters, SourceStatus};
use super::{Body, EventResult, Record, Reply, Upstream};
use crate::config::Settings;
use crate::engine::aggregate::Aggregates;
use crate::engine::facts::EventFacts;
use crate::engine::recent::RecentPayloads;
use crate::engine::report::EventReport;
use crate::engine::{Committer, EngineConfig, Failure, RecordMeta, Validation, Validator};
use std::sync::{mpsc as std_mpsc, Arc};
use std::thread::JoinHandle;
use tokio::sync::{mpsc, oneshot};

/// Raw records kept to diff conflicting duplicates against.
const RECENT_BUDGET: usize = 64 * 1024 * 1024;

/// How long the hub waits for records before telling the output it is idle.
const IDLE: std::time::Duration = std::time::Duration::from_millis(100);

/// Where a live event came from, besides the report itself.
pub struct Origin<'a> {
    pub label: &'a str,
    pub received_ms: i64,
    pub upstream: Option<&'a Upstream>,
    /// The record's bytes as received (a batch holds several events).
    pub raw: &'a [u8],
    /// The record's number in the hub (1-based): events of one record share it.
    pub record: u64,
}

/// What consumes the hub's reports.
pub trait Output: Send {
    fn event(&mut self, report: &EventReport, origin: &Origin);
    /// Called after each batch, with the aggregates so far; a printer flushes here.
    fn end_batch(&mut self, _agg: &Aggregates) {}
    /// Called when no record came for a while, so that an output can publish what it holds.
    fn idle(&mut self, _agg: &Aggregates) {}
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

type Replies = Vec<(oneshot::Sender<Reply>, Reply)>;

/// A processed batch on its way to the capture, with the answers that wait for it.
struct CaptureJob {
    records: Vec<(i64, Arc<str>, Body)>,
    replies: Replies,
}

/// What the capture thread did.
#[derive(Default)]
struct CaptureOutcome {
    lines: u64,
    error: Option<String>,
}

/// Writes jobs to the capture, flushes, then sends their replies (with the error, if any).
fn capture_thread(
    mut capture: Capture,
    jobs: &std_mpsc::Receiver<CaptureJob>,
    statuses: &[Arc<SourceStatus>],
) -> CaptureOutcome {
    let mut error: Option<String> = None;
    for job in jobs {
        let mut failed = None;
        for (received_ms, label, body) in &job.records {
            let raw = match body {
                Body::Raw(raw) => Ok(raw.as_slice()),
                Body::TooLong(len) => Err(*len),
            };
            if let Err(e) = capture.write(*received_ms, label, raw) {
                failed.get_or_insert(e);
            }
        }
        if let Err(e) = capture.flush() {
            failed.get_or_insert(e);
        }
        // Only the senders of records that could not be kept are told (and retry).
        let message = failed.map(|e| {
            let message = format!(
                "capture {}: {e}; events are still processed but not captured",
                capture.path().display()
            );
            for s in statuses {
                s.error(message.clone());
            }
            message
        });
        for (tx, mut reply) in job.replies {
            reply.capture_error.clone_from(&message);
            let _ = tx.send(reply);
        }
        if message.is_some() {
            error = message;
        }
    }
    CaptureOutcome {
        lines: capture.lines,
        error,
    }
}

/// What validation made of a record, on its way to the committing thread.
enum Outcome {
    Failure(Failure),
    Events {
        first: usize,
        count: usize,
        batch: bool,
    },
    TooLong(u64),
}

/// A batch of records with their validation, and the events it produced.
#[derive(Default)]
struct Validated {
    records: Vec<(Record, Outcome)>,
    events: Vec<EventFacts>,
}

/// Validates batches as they come from the sources, on a thread of its own, so that the hub
/// thread only deduplicates, counts and reports. Committed batches come back for their buffers.
fn validator_thread(
    cfg: &EngineConfig,
    mut rx: mpsc::Receiver<Vec<Record>>,
    tx: &std_mpsc::SyncSender<Validated>,
    back: &std_mpsc::Receiver<Validated>,
) {
    let mut validator = Validator::new(cfg);
    let mut spare: Vec<EventFacts> = Vec::new();
    while let Some(batch) = rx.blocking_recv() {
        let mut out = match back.try_recv() {
            Ok(mut old) => {
                spare.append(&mut old.events);
                old.records.clear();
                old
            }
            Err(_) => Validated::default(),
        };
        for rec in batch {
            let outcome = match &rec.body {
                Body::TooLong(len) => Outcome::TooLong(*len),
                Body::Raw(raw) => match validator.validate(raw, rec.received_ms.div_euclid(1000)) {
                    Validation::Failure(f) => Outcome::Failure(f),
                    Validation::Events { batch, .. } => {
                        let first = out.events.len();
                        validator.take_events(&mut out.events, &mut spare);
                        Outcome::Events {
                            first,
                            count: out.events.len() - first,
                            batch,
                        }
                    }
                },
            };
            out.records.push((rec, outcome));
        }
        if tx.send(out).is_err() {
            return;
        }
    }
}

pub struct Hub {
    committer: Committer,
    statuses: Vec<Arc<SourceStatus>>,
    capture_unavailable: Option<String>,
    recent: RecentPayloads,
    capture: Option<(std_mpsc::SyncSender<CaptureJob>, JoinHandle<CaptureOutcome>)>,
    labels: Vec<Arc<str>>,
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
        statuses: &[Arc<SourceStatus>],
        out: Box<dyn Output>,
        max_events: Option<u64>,
    ) -> Hub {
        let labels = statuses
            .iter()
            .map(|s| Arc::from(s.label.as_str()))
            .collect();
        let capture = capture.and_then(|c| {
            let (tx, rx) = std_mpsc::sync_channel(8);
            let statuses = statuses.to_vec();
            std::thread::Builder::new()
                .name("capture".into())
                .spawn(move || capture_thread(c, &rx, &statuses))
                .ok()
                .map(|handle| (tx, handle))
        });
        Hub {
            committer: Committer::new(settings.engine.clone()),
            statuses: statuses.to_vec(),
            capture_unavailable: None,
            recent: RecentPayloads::new(RECENT_BUDGET),
            capture,
            labels,
            out,
            seq: 0,
            events: 0,
            max_events,
            max_line: settings.max_line_bytes as u64,
        }
    }

    /// Whether `--max-events` events were reported.
    fn full(&self) -> bool {
        self.max_events.is_some_and(|m| self.events >= m)
    }

    /// The capture could not be opened: every HTTP sender is answered 500, as it cannot be
    /// kept, and every source shows why.
    pub fn capture_unavailable(&mut self, message: String) {
        for s in &self.statuses {
            s.error(message.clone());
        }
        self.capture_unavailable = Some(message);
    }

    pub fn committer(&self) -> &Committer {
        &self.committer
    }

    /// Drains `rx` until every sender is gone or `max_events` events were seen. Blocking: run
    /// it on its own thread (validation gets another).
    pub fn run(mut self, rx: mpsc::Receiver<Vec<Record>>) -> (HubSummary, Committer) {
        let (vtx, vrx) = std_mpsc::sync_channel::<Validated>(8);
        let (back_tx, back_rx) = std_mpsc::channel::<Validated>();
        let cfg = self.committer.config().clone();
        let validator = std::thread::Builder::new()
            .name("validate".into())
            .spawn(move || validator_thread(&cfg, rx, &vtx, &back_rx));
        loop {
            let batch = match vrx.recv_timeout(IDLE) {
                Ok(batch) => batch,
                Err(std_mpsc::RecvTimeoutError::Timeout) => {
                    self.out.idle(&self.committer.agg);
                    continue;
                }
                Err(std_mpsc::RecvTimeoutError::Disconnected) => break,
            };
            let batch = self.batch(batch);
            let _ = back_tx.send(batch);
            if self.full() || !self.out.ok() {
                break;
            }
        }
        // Not joined: the validator may be waiting for records that will never come; it ends
        // when the sources' senders are dropped, or when it next tries to hand a batch over.
        drop(vrx);
        drop(validator);
        let mut summary = HubSummary {
            records: self.seq,
            events: self.events,
            ..HubSummary::default()
        };
        if let Some((tx, handle)) = self.capture.take() {
            drop(tx);
            let outcome = handle.join().unwrap_or_else(|_| CaptureOutcome {
                lines: 0,
                error: Some("the capture thread stopped".into()),
            });
            summary.capture_lines = outcome.lines;
            summary.capture_error = outcome.error;
        }
        if summary.capture_error.is_none() {
            summary.capture_error.clone_from(&self.capture_unavailable);
        }
        (summary, self.committer)
    }

    /// Commits one validated batch, then passes it to the capture (which answers HTTP
    /// senders), or answers them at once when there is no capture. Returns the emptied batch.
    fn batch(&mut self, mut batch: Validated) -> Validated {
        let mut replies: Replies = Vec::new();
        let mut kept = Vec::with_capacity(if self.capture.is_some() {
            batch.records.len()
        } else {
            0
        });
        let Validated { records, events } = &mut batch;
        for (mut rec, outcome) in records.drain(..) {
            if self.full() {
                // Past --max-events: the rest of the batch is not processed (nor captured);
                // HTTP senders waiting on it are told the pipeline stopped.
                continue;
            }
            self.seq += 1;
            if matches!(outcome, Outcome::Failure(_)) {
                if let Some(s) = self.statuses.get(rec.source as usize) {
                    Counters::add(&s.counters.malformed, 1);
                }
            }
            let label = rec.label.take().unwrap_or_else(|| {
                self.labels
                    .get(rec.source as usize)
                    .cloned()
                    .unwrap_or_else(|| Arc::from("?"))
            });
            let mut reply = rec.reply.take().map(|tx| (tx, Reply::default()));
            self.commit(
                &rec,
                outcome,
                events,
                &label,
                reply.as_mut().map(|(_, r)| r),
            );
            replies.extend(reply);
            if self.capture.is_some() {
                kept.push((rec.received_ms, label, rec.body));
            }
        }
        self.out.end_batch(&self.committer.agg);
        match &self.capture {
            Some((tx, _)) => {
                let job = CaptureJob {
                    records: kept,
                    replies,
                };
                if let Err(std_mpsc::SendError(job)) = tx.send(job) {
                    answer_uncaptured(job.replies);
                }
            }
            None => {
                for (tx, mut reply) in replies {
                    reply.capture_error.clone_from(&self.capture_unavailable);
                    let _ = tx.send(reply);
                }
            }
        }
        batch
    }

    fn commit(
        &mut self,
        rec: &Record,
        outcome: Outcome,
        events: &mut [EventFacts],
        label: &str,
        mut reply: Option<&mut Reply>,
    ) {
        let meta = RecordMeta {
            line: rec.line,
            source: rec.source,
            received_ms: rec.received_ms,
            locator: self.seq,
        };
        let Hub {
            committer,
            recent,
            out,
            events: count,
            max_line,
            ..
        } = self;
        let max_events = self.max_events;
        let raw: &[u8] = match &rec.body {
            Body::Raw(raw) => {
                recent.remember(meta.locator, raw);
                raw
            }
            Body::TooLong(_) => &[],
        };
        let origin = Origin {
            label,
            received_ms: rec.received_ms,
            upstream: rec.upstream.as_deref(),
            raw,
            record: meta.locator,
        };
        let mut sink = |r: &EventReport| {
            if max_events.is_some_and(|m| *count >= m) {
                return;
            }
            *count += 1;
            out.event(r, &origin);
            if let Some(reply) = reply.as_deref_mut() {
                reply.events.push(EventResult {
                    index: r.index,
                    status: r.status,
                    id: r.id.map(str::to_owned),
                    duplicate: r.duplicate.cloned(),
                    findings: r.findings.to_vec(),
                });
            }
        };
        match outcome {
            Outcome::TooLong(len) => committer.too_long(len, *max_line, &meta, &mut sink),
            Outcome::Failure(f) => committer.failure(f, &meta, &mut sink),
            Outcome::Events {
                first,
                count,
                batch,
            } => {
                let validation = Validation::Events {
                    events: &mut events[first..first + count],
                    batch,
                };
                committer.commit(validation, raw, &meta, recent, &mut sink);
            }
        }
    }
}

/// The capture thread is gone: nothing can be kept, say so to the senders.
fn answer_uncaptured(replies: Replies) {
    for (tx, mut reply) in replies {
        reply.capture_error = Some("the capture stopped".into());
        let _ = tx.send(reply);
    }
}
