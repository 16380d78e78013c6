//! The hub's stages: validation (on validator threads that put their batches back in order,
//! or on an HTTP worker by the direct lane), and the capture as a write-ahead log, written by
//! whichever thread commits. Records go sources → validator → capture → commit: a record is in
//! the capture file (flushed) before it is committed to the engine, so an HTTP sender answered
//! 200 was counted and captured, and one whose records could not be captured is refused (500)
//! and not counted.

use super::super::capture::Capture;
use super::super::status::SourceStatus;
use super::super::{Body, Record};
use crate::engine::facts::EventFacts;
use crate::engine::{EngineConfig, Failure, Validation, Validator};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc as std_mpsc, Arc, Mutex};
use tokio::sync::mpsc;

/// What validation made of a record, on its way to the committing thread.
pub enum Outcome {
    Failure(Failure),
    Events {
        first: usize,
        count: usize,
        batch: bool,
    },
    TooLong(u64),
}

impl Outcome {
    /// How many reports the engine makes of the record.
    fn reports(&self) -> u64 {
        match self {
            Outcome::Events { count, .. } => *count as u64,
            Outcome::Failure(_) | Outcome::TooLong(_) => 1,
        }
    }
}

/// A batch of records with their validation, and the events it produced.
#[derive(Default)]
pub struct Validated {
    pub records: Vec<(Record, Outcome)>,
    pub events: Vec<EventFacts>,
    /// Set when the batch could not be written to the capture: its HTTP senders are refused.
    pub capture_error: Option<String>,
    /// Made by a validator thread, which takes it back for its buffers once committed.
    pub recycle: bool,
    /// Its place in the order records were taken from the sources (`None`: the direct lane).
    pub seq: Option<u64>,
}

/// Records that queued up are validated together up to this many.
const GROUP: usize = 1024;

/// Batches that queued up are written to the capture with one flush, up to this many.
pub const CAPTURE_GROUP: usize = 256;

/// Validates records into `out`; their events stay in the validator's slots (batch mode,
/// begun by the caller) until `Validator::end_batch` hands them to `out.events` at once.
pub fn validate_into(
    validator: &mut Validator,
    records: impl IntoIterator<Item = Record>,
    out: &mut Validated,
) {
    for rec in records {
        let outcome = match &rec.body {
            Body::TooLong(len) => Outcome::TooLong(*len),
            Body::Raw(raw) => match validator.validate(raw, rec.received_ms.div_euclid(1000)) {
                Validation::Failure(f) => Outcome::Failure(f),
                Validation::Events { batch, events } => {
                    let count = events.len();
                    Outcome::Events {
                        first: validator.events_start(),
                        count,
                        batch,
                    }
                }
            },
        };
        out.records.push((rec, outcome));
    }
}

/// The sources' queue, shared by the validator threads. A thread takes what queued up (up to
/// [`GROUP`] records) with the next number, so that the hub commits batches in the order they
/// were taken, whichever thread validated them.
pub struct Intake {
    rx: mpsc::Receiver<Vec<Record>>,
    next: u64,
    /// A number is taken with a token, given back when the hub has its batch in order: at
    /// most `window` batches are between the threads and the hub (so the batches waiting in
    /// [`InOrder`] are bounded, whichever thread is slow).
    tokens: std_mpsc::Receiver<()>,
}

impl Intake {
    /// The intake, and the `InOrder` that gives its tokens back; `window` numbers at most
    /// are out at once.
    pub fn new(rx: mpsc::Receiver<Vec<Record>>, window: usize) -> (Intake, InOrder) {
        let window = window.max(1);
        let (give, tokens) = std_mpsc::sync_channel(window);
        for _ in 0..window {
            let _ = give.try_send(());
        }
        let order = InOrder {
            tokens: Some(give),
            ..InOrder::default()
        };
        (
            Intake {
                rx,
                next: 0,
                tokens,
            },
            order,
        )
    }

    /// Waits for records and takes what queued up with them; `None` once every source is gone
    /// (or the hub).
    fn take(&mut self, into: &mut Vec<Vec<Record>>) -> Option<u64> {
        self.tokens.recv().ok()?;
        let first = self.rx.blocking_recv()?;
        let mut records = first.len();
        into.push(first);
        // Batches that queued up meanwhile (several sockets, HTTP requests that could not take
        // the direct lane) go with this one: one capture write and one commit for all.
        while records < GROUP {
            match self.rx.try_recv() {
                Ok(more) => {
                    records += more.len();
                    into.push(more);
                }
                Err(_) => break,
            }
        }
        let seq = self.next;
        self.next += 1;
        Some(seq)
    }
}

/// A taken number the hub must hear of: if validation panics, the hub gets an empty batch
/// in its place, rather than waiting for it forever with every later batch held.
struct Numbered<'a> {
    seq: Option<u64>,
    tx: &'a std_mpsc::SyncSender<Validated>,
}

impl Drop for Numbered<'_> {
    fn drop(&mut self) {
        if let Some(seq) = self.seq.take() {
            let _ = self.tx.send(Validated {
                seq: Some(seq),
                ..Validated::default()
            });
        }
    }
}

/// Validates batches as they come from the sources, on one of several threads sharing the
/// `intake`, so that the hub thread only deduplicates, counts and reports. Committed batches
/// come back (`back`) for their buffers.
pub fn validator_thread(
    cfg: &EngineConfig,
    intake: &Mutex<Intake>,
    tx: &std_mpsc::SyncSender<Validated>,
    back: &Mutex<std_mpsc::Receiver<Validated>>,
) {
    let mut validator = Validator::new(cfg);
    let mut taken = Vec::new();
    loop {
        let Some(seq) = intake.lock().ok().and_then(|mut i| i.take(&mut taken)) else {
            return;
        };
        let mut numbered = Numbered { seq: Some(seq), tx };
        // A committed batch's events become the validator's slots (`end_batch`).
        let mut out = match back.lock().ok().and_then(|b| b.try_recv().ok()) {
            Some(mut old) => {
                old.records.clear();
                old.capture_error = None;
                old
            }
            None => Validated::default(),
        };
        out.recycle = true;
        validator.begin_batch();
        for batch in taken.drain(..) {
            validate_into(&mut validator, batch, &mut out);
        }
        validator.end_batch(&mut out.events);
        out.seq = numbered.seq.take();
        if tx.send(out).is_err() {
            return;
        }
    }
}

/// How many validator threads the hub runs: one per core, up to 4.
pub fn validator_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().clamp(1, 4))
}

/// Puts validated batches back in the order their records were taken: a numbered batch waits
/// in `early` for the ones before it; a direct-lane batch (unnumbered) goes at once.
#[derive(Default)]
pub struct InOrder {
    next: u64,
    early: std::collections::BTreeMap<u64, Validated>,
    /// Gives a token back to the intake for each numbered batch released.
    tokens: Option<std_mpsc::SyncSender<()>>,
}

impl InOrder {
    /// Appends to `group` what can now be committed.
    pub fn admit(&mut self, batch: Validated, group: &mut Vec<Validated>) {
        match batch.seq {
            None => group.push(batch),
            Some(seq) if seq == self.next => {
                group.push(batch);
                self.released();
                while let Some(b) = self.early.remove(&self.next) {
                    group.push(b);
                    self.released();
                }
            }
            Some(seq) => {
                self.early.insert(seq, batch);
            }
        }
    }

    fn released(&mut self) {
        self.next += 1;
        if let Some(tokens) = &self.tokens {
            let _ = tokens.try_send(());
        }
    }

    /// Every batch still waiting, in order (when no more can come).
    pub fn rest(&mut self, group: &mut Vec<Validated>) {
        group.extend(std::mem::take(&mut self.early).into_values());
    }
}

/// The source label of a record: its own (restored from a capture) or its source's.
pub fn label_of(rec: &Record, labels: &[Arc<str>]) -> Arc<str> {
    rec.label.clone().unwrap_or_else(|| {
        labels
            .get(rec.source as usize)
            .cloned()
            .unwrap_or_else(|| Arc::from("?"))
    })
}

/// What the capture did, read by the hub when it ends.
#[derive(Default)]
pub struct CaptureShared {
    pub lines: AtomicU64,
    pub error: Mutex<Option<String>>,
}

/// Everything the capture needs.
pub struct CaptureStage {
    pub capture: Capture,
    pub statuses: Vec<Arc<SourceStatus>>,
    pub labels: Vec<Arc<str>>,
    pub max_events: Option<u64>,
    pub shared: Arc<CaptureShared>,
    /// Reports captured so far, against `max_events`.
    pub reports: u64,
}

impl CaptureStage {
    /// Writes each batch to the capture and flushes it, then passes it on to the hub. Past
    /// `--max-events` records are neither captured nor passed on (their senders are told the
    /// pipeline stopped), so the capture holds exactly what was counted.
    /// Captures batches, flushed once (what is past `--max-events` is dropped from them
    /// first). A failed write refuses every batch of the group.
    pub fn process(&mut self, group: &mut [Validated]) {
        if let Some(max) = self.max_events {
            for batch in group.iter_mut() {
                let reports = &mut self.reports;
                let keep = batch
                    .records
                    .iter()
                    .take_while(|(_, o)| {
                        let before = *reports;
                        *reports += o.reports();
                        before < max
                    })
                    .count();
                batch.records.truncate(keep);
            }
        }
        let error = self.write(group.iter().flat_map(|b| &b.records));
        for batch in group {
            batch.capture_error.clone_from(&error);
        }
    }

    /// Writes and flushes the records; the error message, if they could not be kept.
    fn write<'a>(
        &mut self,
        records: impl Iterator<Item = &'a (Record, Outcome)>,
    ) -> Option<String> {
        let mut records = records.peekable();
        records.peek()?;
        let mut failed = None;
        for (rec, outcome) in records {
            let label = label_of(rec, &self.labels);
            let message = rec.message.as_deref();
            let c = &mut self.capture;
            let written = match (&rec.body, outcome) {
                (Body::Raw(raw), Outcome::Events { .. }) => {
                    c.write_parsed(rec.received_ms, &label, message, raw)
                }
                (Body::Raw(raw), _) => c.write_from(rec.received_ms, &label, message, Ok(raw)),
                (Body::TooLong(len), _) => {
                    c.write_from(rec.received_ms, &label, message, Err(*len))
                }
            };
            if let Err(e) = written {
                failed.get_or_insert(e);
            }
        }
        if let Err(e) = self.capture.flush() {
            failed.get_or_insert(e);
        }
        self.shared
            .lines
            .store(self.capture.lines, Ordering::Relaxed);
        let e = failed?;
        let message = format!(
            "capture {}: {e}; HTTP senders are answered 500 (and retry), other sources' events \
             are processed but not captured",
            self.capture.path().display()
        );
        for s in &self.statuses {
            s.error(message.clone());
        }
        if let Ok(mut last) = self.shared.error.lock() {
            *last = Some(message.clone());
        }
        Some(message)
    }
}

#[cfg(test)]
mod tests {
    use super::{Intake, Numbered, Validated};

    #[test]
    fn a_validator_that_panics_holding_a_number_hands_in_an_empty_batch_for_it() {
        let (tx, rx) = std::sync::mpsc::sync_channel(4);
        let sender = tx.clone();
        let panicked = std::thread::spawn(move || {
            let _numbered = Numbered {
                seq: Some(7),
                tx: &sender,
            };
            panic!("validation failed");
        })
        .join();
        assert!(panicked.is_err());
        let stand_in = rx.try_recv().expect("an empty batch in place of number 7");
        assert_eq!(stand_in.seq, Some(7));
        assert!(stand_in.records.is_empty() && stand_in.events.is_empty());
        // A number that was handed in with its batch is not handed in twice.
        let mut numbered = Numbered {
            seq: Some(8),
            tx: &tx,
        };
        assert_eq!(numbered.seq.take(), Some(8));
        drop(numbered);
        assert!(rx.try_recv().is_err());
    }

    fn numbered(seq: u64) -> Validated {
        Validated {
            seq: Some(seq),
            ..Validated::default()
        }
    }

    #[test]
    fn numbers_are_taken_within_the_window_and_come_back_in_order() {
        let (tx, rx) = tokio::sync::mpsc::channel(8);
        let (mut intake, mut order) = Intake::new(rx, 2);
        // One batch queued before each take (a take gathers all that queued up).
        let mut taken = Vec::new();
        tx.try_send(Vec::new()).expect("room");
        assert_eq!(intake.take(&mut taken), Some(0));
        tx.try_send(Vec::new()).expect("room");
        assert_eq!(intake.take(&mut taken), Some(1));
        tx.try_send(Vec::new()).expect("room");
        assert!(
            intake.tokens.try_recv().is_err(),
            "a third number waits for the hub"
        );
        let mut group = Vec::new();
        order.admit(numbered(1), &mut group);
        assert!(
            intake.tokens.try_recv().is_err(),
            "a batch held for the one before it keeps its token"
        );
        order.admit(numbered(0), &mut group);
        assert_eq!(group.len(), 2);
        assert!(intake.tokens.try_recv().is_ok() && intake.tokens.try_recv().is_ok());
        drop(order);
        assert_eq!(
            intake.take(&mut taken),
            None,
            "no numbers once the hub has gone"
        );
    }
}
