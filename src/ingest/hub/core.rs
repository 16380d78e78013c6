//! What the hub commits with (the engine, the capture, the output), shared by every thread
//! that commits: the hub thread for the validator threads' batches, and the HTTP workers for
//! their own requests (the direct lane). Commits are grouped: a thread queues its batch, then
//! commits everything queued if no other thread is committing; if one is, that one commits it
//! before it lets go (a worker commits a few groups at most, then hands the rest to the hub
//! thread). So concurrent requests share one capture write and one flush, and a request is
//! mostly committed on the thread that received it, without waking another thread to do it
//! and another to answer it.

use super::stages::{self, CaptureStage, Outcome, Validated};
use super::{Origin, Output};
use crate::engine::facts::EventFacts;
use crate::engine::recent::RecentPayloads;
use crate::engine::report::EventReport;
use crate::engine::{Committer, RecordMeta, Validation};
use crate::ingest::status::{Counters, SourceStatus};
use crate::ingest::{Body, Record, Reply};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc as std_mpsc, Arc, Mutex, MutexGuard, TryLockError};
use tokio::sync::oneshot;

pub type Replies = Vec<(oneshot::Sender<Reply>, Reply)>;

/// Committed lane batches kept for reuse, at most (one per request in flight is plenty).
const SPARE_BATCHES: usize = 256;

/// Groups a receiving thread commits at most before it leaves the rest to the hub thread:
/// an async worker is not held committing for long.
pub const LANE_ROUNDS: usize = 4;

/// Groups the hub thread commits at most before it looks at the validators' batches again.
const HUB_ROUNDS: usize = 16;

/// The committing state, taken out (`None`) when the hub ends.
pub struct Shared {
    core: Mutex<Option<Core>>,
    queued: Mutex<Queued>,
    /// Set once `--max-events` were reported or the output closed: the hub stops.
    stopped: AtomicBool,
}

/// Batches waiting for whichever thread commits next, in the order they were queued.
#[derive(Default)]
struct Queued {
    batches: Vec<Validated>,
    /// Set, under this lock, when the hub ends: no batch is queued after it.
    closed: bool,
}

impl Shared {
    pub fn new(core: Core) -> Shared {
        Shared {
            core: Mutex::new(Some(core)),
            queued: Mutex::default(),
            stopped: AtomicBool::new(false),
        }
    }

    /// Queues `batch` for the next commit: how many batches are queued now (`None`, and the
    /// batch dropped, once the hub ended).
    pub fn queue(&self, batch: Validated) -> Option<usize> {
        match self.queued.lock() {
            Ok(mut q) if !q.closed => {
                q.batches.push(batch);
                Some(q.batches.len())
            }
            _ => None,
        }
    }

    /// Queues batches in order (dropped once the hub ended).
    pub fn queue_all(&self, batches: impl IntoIterator<Item = Validated>) {
        if let Ok(mut q) = self.queued.lock() {
            if !q.closed {
                q.batches.extend(batches);
            }
        }
    }

    /// A receiving thread's commit: if no other thread holds the core, commits what is queued,
    /// for at most [`LANE_ROUNDS`] groups; else leaves it to the holder. `Left` when batches
    /// are still queued: the caller wakes the hub thread, which commits them.
    pub fn commit_queued(&self) -> Drained {
        match self.core.try_lock() {
            Ok(core) => self.commit_from(core, LANE_ROUNDS),
            Err(TryLockError::WouldBlock) => Drained::Done,
            Err(TryLockError::Poisoned(_)) => {
                self.close();
                Drained::Closed
            }
        }
    }

    /// The hub thread's commit: waits for the core (so that a holder's work slows the
    /// validators and the sources down, rather than the queue growing), then commits what is
    /// queued, up to [`HUB_ROUNDS`] groups: `Left` when more came meanwhile (steady HTTP
    /// traffic), so that the hub takes the validators' next batches before it goes on.
    pub fn commit_waiting(&self) -> Drained {
        match self.core.lock() {
            Ok(core) => self.commit_from(core, HUB_ROUNDS),
            Err(_) => {
                self.close();
                Drained::Closed
            }
        }
    }

    /// Commits queued groups with the core held, up to `rounds` of them. The core is let go
    /// while the queue is still locked and seen empty, so that a batch queued after that
    /// finds the core free (its thread commits it): none waits unseen.
    fn commit_from(&self, mut core: MutexGuard<'_, Option<Core>>, rounds: usize) -> Drained {
        let _closing = CloseOnPanic(self);
        let mut group = Vec::new();
        let mut round = 0;
        loop {
            let Ok(mut q) = self.queued.lock() else {
                return Drained::Closed;
            };
            if q.batches.is_empty() {
                drop(core);
                drop(q);
                return Drained::Done;
            }
            if round == rounds {
                return Drained::Left;
            }
            std::mem::swap(&mut q.batches, &mut group);
            drop(q);
            round += 1;
            let Some(c) = core.as_mut() else {
                group.clear();
                return Drained::Closed;
            };
            if c.process(&mut group) {
                self.stopped.store(true, Ordering::Relaxed);
            }
        }
    }

    pub fn stopped(&self) -> bool {
        self.stopped.load(Ordering::Relaxed)
    }

    /// Runs `f` on the core, waiting for any thread committing (`None` once it was taken);
    /// then commits what was queued meanwhile.
    pub fn with<T>(&self, f: impl FnOnce(&mut Core) -> T) -> Option<T> {
        let Ok(mut core) = self.core.lock() else {
            self.close();
            return None;
        };
        let done = {
            let _closing = CloseOnPanic(self);
            core.as_mut().map(f)
        };
        self.commit_from(core, HUB_ROUNDS);
        done
    }

    /// No batch is queued from now on; what was queued is dropped.
    fn close(&self) -> Vec<Validated> {
        match self.queued.lock() {
            Ok(mut q) => {
                q.closed = true;
                std::mem::take(&mut q.batches)
            }
            Err(_) => Vec::new(),
        }
    }

    /// Ends committing: what is still queued is committed first; later batches are refused.
    pub fn take(&self) -> Option<Core> {
        let Ok(mut slot) = self.core.lock() else {
            self.close();
            return None;
        };
        let mut rest = self.close();
        if let Some(core) = slot.as_mut() {
            core.process(&mut rest);
        }
        slot.take()
    }
}

/// Closes the queue if the thread panics while it holds the core: the batches queued for it
/// are dropped (their senders told the pipeline stopped) rather than left waiting.
struct CloseOnPanic<'a>(&'a Shared);

impl Drop for CloseOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.close();
        }
    }
}

/// How a commit ended.
#[derive(Debug, PartialEq, Eq)]
pub enum Drained {
    /// Nothing is queued, or the thread holding the core will see what is.
    Done,
    /// Batches are still queued: the hub thread must be woken to commit them.
    Left,
    /// The hub has ended.
    Closed,
}

/// Everything a commit needs.
pub struct Core {
    pub committer: Committer,
    pub statuses: Vec<Arc<SourceStatus>>,
    pub capture_unavailable: Option<String>,
    pub recent: RecentPayloads,
    /// The capture, written just before each group of batches is committed.
    pub capture: Option<CaptureStage>,
    pub labels: Vec<Arc<str>>,
    pub out: Box<dyn Output>,
    /// Validator threads' batches go back to them once committed, for their buffers.
    pub back: Option<std_mpsc::Sender<Validated>>,
    /// The lanes' committed batches, for their next requests' buffers (the events' slots).
    pub spare: Arc<Mutex<Vec<Validated>>>,
    pub seq: u64,
    pub events: u64,
    pub max_events: Option<u64>,
    pub max_line: u64,
    /// The senders a batch answers, kept for the next batch's.
    pub replies: Replies,
}

impl Core {
    /// Whether `--max-events` events were reported.
    pub fn full(&self) -> bool {
        self.max_events.is_some_and(|m| self.events >= m)
    }

    /// Captures the group (one write and flush), then commits its batches in order and
    /// answers their senders. True when the hub must stop.
    fn process(&mut self, group: &mut Vec<Validated>) -> bool {
        if let Some(capture) = &mut self.capture {
            capture.process(group);
        }
        for batch in group.drain(..) {
            let batch = self.batch(batch);
            if batch.recycle {
                if let Some(back) = &self.back {
                    let _ = back.send(batch);
                }
            } else if let Ok(mut spare) = self.spare.lock() {
                if spare.len() < SPARE_BATCHES {
                    spare.push(batch);
                }
            }
        }
        self.full() || !self.out.ok()
    }

    /// Commits one validated (and captured) batch and answers its HTTP senders. A sender
    /// whose records could not be captured is refused and its records are not committed:
    /// answered 200 = counted = captured. Returns the emptied batch.
    fn batch(&mut self, mut batch: Validated) -> Validated {
        let refusal = batch
            .capture_error
            .take()
            .or_else(|| self.capture_unavailable.clone());
        // The last batch's list, emptied: no allocation per batch.
        let mut replies = std::mem::take(&mut self.replies);
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
        for (tx, reply) in replies.drain(..) {
            let _ = tx.send(reply);
        }
        self.replies = replies;
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
        let Core {
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
            captured: rec.label.is_some(),
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
                reply.add(r);
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
