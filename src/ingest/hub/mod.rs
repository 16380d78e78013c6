//! The hub: the one consumer of every source's records. It runs the engine on them, in
//! arrival order, and hands each event's report to an output (the `watch` printer, the TUI).
//! Validation runs on threads of their own (and, for small HTTP bodies, on the worker that
//! received them: the direct [`Lane`]). The capture is a write-ahead log written by whichever
//! thread commits (see [`core`]): records are in it, flushed, before they are committed, and
//! an HTTP sender is answered once its records are captured and processed (an acknowledged
//! event is never lost), or refused, and not counted, if they could not be captured.

mod core;
#[cfg(test)]
mod lane_tests;
#[cfg(test)]
mod order_tests;
mod stages;

use self::core::{Core, Drained, Shared};
use super::capture::Capture;
use super::status::SourceStatus;
use super::{Record, Upstream};
use crate::config::Settings;
use crate::engine::aggregate::Aggregates;
use crate::engine::recent::RecentPayloads;
use crate::engine::report::EventReport;
use crate::engine::Committer;
use stages::{CaptureShared, CaptureStage, Validated};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc as std_mpsc, Arc, Mutex};
use tokio::sync::mpsc;

/// Raw records kept to diff conflicting duplicates against.
const RECENT_BUDGET: usize = 32 * 1024 * 1024;

/// How long the hub waits for records before telling the output it is idle.
const IDLE: std::time::Duration = std::time::Duration::from_millis(100);

/// Where a live event came from, besides the report itself.
pub struct Origin<'a> {
    pub label: &'a str,
    /// Whether the record was read back from a capture file: `label` is then the source it
    /// was captured from, not the one that read it.
    pub captured: bool,
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
    /// Whether reports may be given on an async runtime's worker thread (the HTTP lane
    /// commits where the request was received). An output that waits on an async queue
    /// (`blocking_send`) must say no: its hub then commits every record on the hub thread.
    fn on_workers(&self) -> bool {
        true
    }
}

/// Discards reports (counting only happens in the engine).
pub struct NoOutput;

impl Output for NoOutput {
    fn event(&mut self, _: &EventReport, _: &Origin) {}
}

/// Batches queued between the validator threads and the hub thread.
const STAGE_QUEUE: usize = 64;

/// The HTTP endpoint's direct lane into the capture and the engine: a request's record is
/// validated on the thread that received it and committed with the other requests that
/// queued meanwhile, by the first of them (see [`Lane::send`]), so that no request waits for
/// a hand-off to another thread.
#[derive(Clone)]
pub struct Lane {
    shared: Arc<Shared>,
    /// Wakes the hub thread when a commit here stopped the hub; held, it also keeps the hub
    /// running while an endpoint can still send.
    wake: std_mpsc::SyncSender<Validated>,
    cfg: Arc<crate::engine::EngineConfig>,
    pool: Arc<Mutex<Vec<crate::engine::Validator>>>,
    /// Committed batches, whose buffers the next requests reuse.
    spare: Arc<Mutex<Vec<Validated>>>,
    /// Set while a request waits (its yield) to commit what is queued: the requests that
    /// queue meanwhile leave their records to it.
    waiting: Arc<AtomicBool>,
}

/// The hub has ended: the record was not taken.
#[derive(Debug)]
pub struct LaneClosed;

impl Lane {
    /// Validates `rec` here and queues it for a commit. The first request to queue while none
    /// waits yields, so that the requests ready meanwhile (on this thread and others) queue
    /// theirs, then commits them all: one capture write and one commit for the group (or
    /// another thread, committing now, commits them before it lets go). The others only queue,
    /// unless [`GROUP_MAX`] batches are. Before, every request yielded and then committed:
    /// groups of two to four, a capture `write` for every two to four requests, and a
    /// reschedule for each. Its sender's answer is on its reply channel.
    pub async fn send(&self, rec: Record) -> Result<(), LaneClosed> {
        let mut validator = self
            .pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_else(|| crate::engine::Validator::new(&self.cfg));
        // A committed batch's events become the validator's slots (`end_batch`): no
        // allocation per event once the lane has warmed up.
        let mut out = self
            .spare
            .lock()
            .ok()
            .and_then(|mut s| s.pop())
            .unwrap_or_default();
        validator.begin_batch();
        stages::validate_into(&mut validator, [rec], &mut out);
        validator.end_batch(&mut out.events);
        if let Ok(mut pool) = self.pool.lock() {
            pool.push(validator);
        }
        // Queued, the record is the committing threads' to answer (a dropped reply tells its
        // sender the pipeline stopped): from here on the lane has taken it.
        let queued = self.shared.queue(out).ok_or(LaneClosed)?;
        if queued >= GROUP_MAX {
            self.commit();
            return Ok(());
        }
        if self.waiting.swap(true, Ordering::AcqRel) {
            // A request that queued earlier commits this one with its own, after its yield.
            return Ok(());
        }
        // Commits when dropped: after the yield, or if this request is dropped meanwhile (its
        // sender left), so that no later request is left waiting for it.
        let _commits = Waiting(self);
        tokio::task::yield_now().await;
        Ok(())
    }

    /// Commits what is queued, unless another thread is committing (it commits it before it
    /// lets go); wakes the hub thread if batches are left, or the hub must stop.
    fn commit(&self) {
        let left = self.shared.commit_queued() == Drained::Left;
        if left || self.shared.stopped() {
            let _ = self.wake.try_send(Validated::default());
        }
    }
}

/// Batches queued at most before a request commits them at once, rather than leaving them to
/// the request waiting to commit.
const GROUP_MAX: usize = 64;

/// The request waiting to commit (see [`Lane::send`]): it commits when dropped.
struct Waiting<'a>(&'a Lane);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        // Cleared before the commit looks at the queue: a record queued after this is either
        // in that commit or finds no request waiting, and commits itself. (A swap, not a
        // store: it reads the requests' swaps, so their queued batches are seen by the commit
        // and by the thread it may leave them to.)
        self.0.waiting.swap(false, Ordering::AcqRel);
        self.0.commit();
    }
}

pub struct Hub {
    shared: Arc<Shared>,
    capture_shared: Option<Arc<CaptureShared>>,
    /// Validated batches from the validator threads (and the lanes' wake-ups). The hub ends
    /// when every sender is gone: its own is dropped when it runs.
    staged: Option<(
        std_mpsc::SyncSender<Validated>,
        std_mpsc::Receiver<Validated>,
    )>,
    lane: Option<Lane>,
    cfg: Arc<crate::engine::EngineConfig>,
    /// Validator threads to run.
    validators: usize,
    /// How long the hub waits for batches before telling the output it is idle.
    idle: std::time::Duration,
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
        let labels: Vec<Arc<str>> = statuses
            .iter()
            .map(|s| Arc::from(s.label.as_str()))
            .collect();
        let on_workers = out.on_workers();
        let capture_shared = capture.as_ref().map(|_| Arc::new(CaptureShared::default()));
        let capture = capture
            .zip(capture_shared.clone())
            .map(|(capture, shared)| CaptureStage {
                capture,
                statuses: statuses.to_vec(),
                labels: labels.clone(),
                max_events,
                shared,
                reports: 0,
            });
        let spare = Arc::default();
        let shared = Arc::new(Shared::new(Core {
            committer: Committer::new(settings.engine.clone()),
            statuses: statuses.to_vec(),
            capture_unavailable: None,
            recent: RecentPayloads::new(RECENT_BUDGET),
            capture,
            labels,
            out,
            back: None,
            spare: Arc::clone(&spare),
            seq: 0,
            events: 0,
            max_events,
            max_line: settings.max_line_bytes as u64,
            replies: Vec::new(),
        }));
        let cfg = Arc::new(settings.engine.clone());
        let (staged_tx, staged_rx) = std_mpsc::sync_channel::<Validated>(STAGE_QUEUE);
        Hub {
            lane: on_workers.then(|| Lane {
                shared: Arc::clone(&shared),
                wake: staged_tx.clone(),
                cfg: Arc::clone(&cfg),
                pool: Arc::default(),
                spare,
                waiting: Arc::default(),
            }),
            shared,
            capture_shared,
            staged: Some((staged_tx, staged_rx)),
            cfg,
            validators: stages::validator_threads(),
            idle: IDLE,
        }
    }

    /// Tells the output it is idle after `idle` without batches (tests: an hour, so that
    /// nothing but the commits themselves moves the queue along).
    #[must_use]
    pub fn with_idle(mut self, idle: std::time::Duration) -> Hub {
        self.idle = idle;
        self
    }

    /// Runs `n` validator threads (at least one) instead of one per core.
    #[must_use]
    pub fn with_validators(mut self, n: usize) -> Hub {
        self.validators = n.max(1);
        self
    }

    /// The capture could not be opened: every HTTP sender is answered 500, as it cannot be
    /// kept, and every source shows why.
    pub fn capture_unavailable(&mut self, message: String) {
        self.shared.with(|core| {
            for s in &core.statuses {
                s.error(message.clone());
            }
            core.capture_unavailable = Some(message);
        });
    }

    /// The direct lane for the HTTP endpoints (see [`Lane`]); none when the output may not
    /// run on their workers.
    pub fn lane(&self) -> Option<Lane> {
        self.lane.clone()
    }

    /// Starts the validator threads on the sources' queue; the receiver gives their validated
    /// batches, numbered in the order the records were taken, which `InOrder` restores.
    fn start_stages(
        &mut self,
        rx: mpsc::Receiver<Vec<Record>>,
    ) -> (std_mpsc::Receiver<Validated>, stages::InOrder) {
        self.lane = None;
        let (vtx, vrx) = self
            .staged
            .take()
            .unwrap_or_else(|| std_mpsc::sync_channel(STAGE_QUEUE));
        let (back_tx, back_rx) = std_mpsc::channel::<Validated>();
        self.shared.with(|core| core.back = Some(back_tx));
        let (intake, order) = stages::Intake::new(rx, 2 * self.validators + 2);
        let intake = Arc::new(Mutex::new(intake));
        let back = Arc::new(Mutex::new(back_rx));
        for _ in 0..self.validators {
            let (cfg, intake, back, vtx) = (
                Arc::clone(&self.cfg),
                Arc::clone(&intake),
                Arc::clone(&back),
                vtx.clone(),
            );
            let _ = std::thread::Builder::new()
                .name("validate".into())
                .spawn(move || stages::validator_thread(&cfg, &intake, &vtx, &back));
        }
        (vrx, order)
    }

    /// Commits the validator threads' batches in order until every sender (sources and lanes)
    /// is gone or `max_events` events were seen. Blocking: run it on its own thread. Batches
    /// that queued up are captured with one flush and committed together.
    pub fn run(mut self, rx: mpsc::Receiver<Vec<Record>>) -> (HubSummary, Committer) {
        let (batches, mut order) = self.start_stages(rx);
        let mut ready = Vec::new();
        let mut ended = false;
        // Batches left queued by the last commit (steady HTTP traffic): commit on, without
        // waiting for the validators.
        let mut left = false;
        while !ended && !self.shared.stopped() {
            let wait = if left {
                std::time::Duration::ZERO
            } else {
                self.idle
            };
            match batches.recv_timeout(wait) {
                Ok(batch) => order.admit(batch, &mut ready),
                Err(std_mpsc::RecvTimeoutError::Timeout) if left => {}
                Err(std_mpsc::RecvTimeoutError::Timeout) => {
                    let idle = self.shared.with(|core| core.out.idle(&core.committer.agg));
                    // None: the core was taken or a commit panicked; nothing more can be done.
                    ended = idle.is_none();
                    continue;
                }
                // Every stage is gone: what still waits for a batch before it is committed
                // as it is (a number can only be missing if its validator died).
                Err(std_mpsc::RecvTimeoutError::Disconnected) => {
                    order.rest(&mut ready);
                    ended = true;
                }
            }
            while ready.len() < stages::CAPTURE_GROUP {
                match batches.try_recv() {
                    Ok(more) => order.admit(more, &mut ready),
                    Err(_) => break,
                }
            }
            // A lane's wake-up, or a validator's gap, holds nothing to commit; what lanes
            // left queued is committed with the rest, in one group when it is small.
            self.shared.queue_all(
                ready
                    .drain(..)
                    .filter(|b| b.recycle || !b.records.is_empty()),
            );
            match self.shared.commit_waiting() {
                Drained::Done => left = false,
                Drained::Left => left = true,
                Drained::Closed => ended = true,
            }
        }
        // The stages are not joined: they may be waiting for records that will never come;
        // they end when the sources' senders are dropped, or when they next hand a batch over.
        drop(batches);
        let Some(core) = self.shared.take() else {
            let committer = Committer::new((*self.cfg).clone());
            return (HubSummary::default(), committer);
        };
        let mut summary = HubSummary {
            records: core.seq,
            events: core.events,
            ..HubSummary::default()
        };
        if let Some(shared) = &self.capture_shared {
            summary.capture_lines = shared.lines.load(Ordering::Relaxed);
            summary.capture_error = shared.error.lock().ok().and_then(|e| e.clone());
        }
        if summary.capture_error.is_none() {
            summary.capture_error.clone_from(&core.capture_unavailable);
        }
        (summary, core.committer)
    }
}
