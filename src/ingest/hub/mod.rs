//! The hub: the one consumer of every source's records. It runs the engine on them, in
//! arrival order, and hands each event's report to an output (the `watch` printer, the TUI).
//! Validation runs on a thread of its own (and, for small HTTP bodies, on the worker that
//! received them: the direct [`Lane`]). The capture is a write-ahead log written by the hub
//! thread: records are in it, flushed, before the hub commits them, and an HTTP sender is answered once its records are captured and processed
//! (an acknowledged event is never lost), or refused, and not counted, if they could not be
//! captured.

#[cfg(test)]
mod lane_tests;
#[cfg(test)]
mod order_tests;
mod stages;

use super::capture::Capture;
use super::status::{Counters, SourceStatus};
use super::{Body, EventResult, Record, Reply, Upstream};
use crate::config::Settings;
use crate::engine::aggregate::Aggregates;
use crate::engine::facts::EventFacts;
use crate::engine::recent::RecentPayloads;
use crate::engine::report::EventReport;
use crate::engine::{Committer, RecordMeta, Validation};
use stages::{CaptureShared, CaptureStage, Outcome, Validated};
use std::sync::atomic::Ordering;
use std::sync::{mpsc as std_mpsc, Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Raw records kept to diff conflicting duplicates against.
const RECENT_BUDGET: usize = 32 * 1024 * 1024;

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
    /// Where a Kafka record was in its topic.
    pub message: Option<&'a super::MessageDetail>,
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

/// Batches queued between the stages. A direct-lane batch is one request.
const STAGE_QUEUE: usize = 64;

/// The HTTP endpoint's direct lane into the capture and the hub: a request's record is
/// validated on the thread that received it and handed on, skipping the validator thread's
/// queue (one hand-off between threads less per request, and validation on every worker).
#[derive(Clone)]
pub struct Lane {
    tx: std_mpsc::SyncSender<Validated>,
    cfg: Arc<crate::engine::EngineConfig>,
    pool: Arc<std::sync::Mutex<Vec<crate::engine::Validator>>>,
}

/// Why a record did not take the lane.
pub enum LaneRefused {
    /// The stages' queue is full: the record is given back, for the usual way.
    Full(Box<Record>),
    /// The hub has stopped.
    Closed,
}

impl Lane {
    /// Validates `rec` here and queues it for the capture and the hub, without waiting.
    pub fn send(&self, rec: Record) -> Result<(), LaneRefused> {
        let mut validator = self
            .pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_else(|| crate::engine::Validator::new(&self.cfg));
        let mut out = Validated::default();
        validator.begin_batch();
        stages::validate_into(&mut validator, [rec], &mut out);
        validator.end_batch(&mut out.events);
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(validator);
        }
        match self.tx.try_send(out) {
            Ok(()) => Ok(()),
            Err(std_mpsc::TrySendError::Full(mut out)) => match out.records.pop() {
                Some((rec, _)) => Err(LaneRefused::Full(Box::new(rec))),
                None => Err(LaneRefused::Closed),
            },
            Err(std_mpsc::TrySendError::Disconnected(_)) => Err(LaneRefused::Closed),
        }
    }
}

pub struct Hub {
    committer: Committer,
    statuses: Vec<Arc<SourceStatus>>,
    capture_unavailable: Option<String>,
    recent: RecentPayloads,
    capture: Option<Capture>,
    shared: Option<Arc<CaptureShared>>,
    /// Validated batches into the capture (or straight to the hub): from the validator
    /// thread, and from the HTTP endpoints' direct lane.
    /// (Both are dropped when the hub runs: it ends when every sender is gone.)
    staged: Option<(
        std_mpsc::SyncSender<Validated>,
        std_mpsc::Receiver<Validated>,
    )>,
    lane: Option<Lane>,
    /// The capture, written by the hub thread just before each group of batches is committed.
    capture_stage: Option<CaptureStage>,
    labels: Vec<Arc<str>>,
    out: Box<dyn Output>,
    seq: u64,
    events: u64,
    max_events: Option<u64>,
    max_line: u64,
    /// Validator threads to run.
    validators: usize,
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
        let (staged_tx, staged_rx) = std_mpsc::sync_channel::<Validated>(STAGE_QUEUE);
        Hub {
            committer: Committer::new(settings.engine.clone()),
            statuses: statuses.to_vec(),
            capture_unavailable: None,
            recent: RecentPayloads::new(RECENT_BUDGET),
            capture,
            shared: None,
            staged: Some((staged_tx.clone(), staged_rx)),
            lane: Some(Lane {
                tx: staged_tx,
                cfg: Arc::new(settings.engine.clone()),
                pool: Arc::default(),
            }),
            capture_stage: None,
            labels,
            out,
            seq: 0,
            events: 0,
            max_events,
            max_line: settings.max_line_bytes as u64,
            validators: stages::validator_threads(),
        }
    }

    /// Runs `n` validator threads (at least one) instead of one per core.
    #[must_use]
    pub fn with_validators(mut self, n: usize) -> Hub {
        self.validators = n.max(1);
        self
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

    /// The direct lane for the HTTP endpoints (see [`Lane`]).
    pub fn lane(&self) -> Option<Lane> {
        self.lane.clone()
    }

    pub fn committer(&self) -> &Committer {
        &self.committer
    }

    /// Starts validation on a thread of its own, and readies the capture when one is kept;
    /// the receiver gives validated batches.
    fn start_stages(
        &mut self,
        rx: mpsc::Receiver<Vec<Record>>,
        back_rx: std_mpsc::Receiver<Validated>,
    ) -> std_mpsc::Receiver<Validated> {
        self.lane = None;
        let (vtx, vrx) = self
            .staged
            .take()
            .unwrap_or_else(|| std_mpsc::sync_channel(STAGE_QUEUE));
        let cfg = Arc::new(self.committer.config().clone());
        let intake = Arc::new(Mutex::new(stages::Intake::new(rx)));
        let back = Arc::new(Mutex::new(back_rx));
        for _ in 0..self.validators {
            let (cfg, intake, back, vtx) = (cfg.clone(), intake.clone(), back.clone(), vtx.clone());
            let _ = std::thread::Builder::new()
                .name("validate".into())
                .spawn(move || stages::validator_thread(&cfg, &intake, &vtx, &back));
        }
        drop(vtx);
        let Some(capture) = self.capture.take() else {
            return vrx;
        };
        let shared = Arc::new(CaptureShared::default());
        let stage = CaptureStage {
            capture,
            statuses: self.statuses.clone(),
            labels: self.labels.clone(),
            max_events: self.max_events,
            shared: Arc::clone(&shared),
            reports: 0,
        };
        self.shared = Some(shared);
        self.capture_stage = Some(stage);
        vrx
    }

    /// Drains `rx` until every sender is gone or `max_events` events were seen. Blocking: run
    /// it on its own thread (validation gets another). Batches that queued up are captured
    /// with one flush and committed together: one write for concurrent requests, not one each.
    pub fn run(mut self, rx: mpsc::Receiver<Vec<Record>>) -> (HubSummary, Committer) {
        let (back_tx, back_rx) = std_mpsc::channel::<Validated>();
        let batches = self.start_stages(rx, back_rx);
        let mut group = Vec::new();
        let mut order = stages::InOrder::default();
        let mut ended = false;
        'run: while !ended {
            match batches.recv_timeout(IDLE) {
                Ok(batch) => order.admit(batch, &mut group),
                Err(std_mpsc::RecvTimeoutError::Timeout) => {
                    self.out.idle(&self.committer.agg);
                    continue;
                }
                // Every stage is gone: what still waits for a batch before it is committed
                // as it is (a number can only be missing if its validator died).
                Err(std_mpsc::RecvTimeoutError::Disconnected) => {
                    order.rest(&mut group);
                    ended = true;
                }
            }
            while group.len() < stages::CAPTURE_GROUP {
                match batches.try_recv() {
                    Ok(more) => order.admit(more, &mut group),
                    Err(_) => break,
                }
            }
            if let Some(stage) = &mut self.capture_stage {
                stage.process(&mut group);
            }
            for batch in group.drain(..) {
                let batch = self.batch(batch);
                if batch.recycle {
                    let _ = back_tx.send(batch);
                }
                if self.full() || !self.out.ok() {
                    break 'run;
                }
            }
        }
        // The stages are not joined: they may be waiting for records that will never come;
        // they end when the sources' senders are dropped, or when they next hand a batch over.
        drop(batches);
        let mut summary = HubSummary {
            records: self.seq,
            events: self.events,
            ..HubSummary::default()
        };
        if let Some(shared) = &self.shared {
            summary.capture_lines = shared.lines.load(Ordering::Relaxed);
            summary.capture_error = shared.error.lock().ok().and_then(|e| e.clone());
        }
        if summary.capture_error.is_none() {
            summary.capture_error.clone_from(&self.capture_unavailable);
        }
        (summary, self.committer)
    }

    /// Commits one validated (and captured) batch and answers its HTTP senders. A sender
    /// whose records could not be captured is refused and its records are not committed:
    /// answered 200 = counted = captured. Returns the emptied batch.
    fn batch(&mut self, mut batch: Validated) -> Validated {
        let refusal = batch
            .capture_error
            .take()
            .or_else(|| self.capture_unavailable.clone());
        let mut replies: Replies = Vec::new();
        let Validated {
            records, events, ..
        } = &mut batch;
        for (mut rec, outcome) in records.drain(..) {
            if self.full() {
                // Past --max-events: the rest of the batch is not processed (nor captured);
                // HTTP senders waiting on it are told the pipeline stopped.
                continue;
            }
            if let Some(message) = refusal
                .as_ref()
                .filter(|_| rec.reply.is_some() || rec.ack.is_some())
            {
                // Kafka records are refused like HTTP requests: not counted, read again.
                if let Some(ack) = rec.ack.take() {
                    ack.done(false);
                }
                if let Some(tx) = rec.reply.take() {
                    let reply = Reply {
                        capture_error: Some(message.clone()),
                        ..Reply::default()
                    };
                    let _ = tx.send(reply);
                }
                continue;
            }
            self.seq += 1;
            if matches!(outcome, Outcome::Failure(_)) {
                if let Some(s) = self.statuses.get(rec.source as usize) {
                    Counters::add(&s.counters.malformed, 1);
                }
            }
            let label = stages::label_of(&rec, &self.labels);
            let mut reply = rec.reply.take().map(|tx| (tx, Reply::default()));
            self.commit(
                &rec,
                outcome,
                events,
                &label,
                reply.as_mut().map(|(_, r)| r),
            );
            replies.extend(reply);
            if let Some(ack) = rec.ack.take() {
                ack.done(true);
            }
        }
        self.out.end_batch(&self.committer.agg);
        for (tx, reply) in replies {
            let _ = tx.send(reply);
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
            message: rec.message.as_deref(),
        };
        let mut sink = |r: &EventReport| {
            if max_events.is_some_and(|m| *count >= m) {
                return;
            }
            *count += 1;
            out.event(r, &origin);
            if let Some(reply) = reply.as_deref_mut() {
                reply.add(r.status, r.findings, || EventResult {
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
