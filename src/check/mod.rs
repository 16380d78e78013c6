//! `ecapi-scope check`: read NDJSON inputs through the engine and report in the chosen format.

pub mod live;
pub mod lookup;
pub mod pipeline;

use crate::cli::{FailOn, Format};
use crate::config::Settings;
use crate::ecapi::codes::Severity;
use crate::engine::report::EventReport;
use crate::engine::{Committer, RecordMeta, Validation, Validator};
use crate::filter::Filter;
use crate::output::{self, junit, ndjson, Summary};
use lookup::InputLookup;
use pipeline::{read_inputs, Batch, Outcome, Step};
use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::{Duration, Instant};

pub struct CheckOptions {
    pub settings: Settings,
    pub format: Format,
    pub fail_on: FailOn,
    /// Reference time, unix seconds.
    pub now: i64,
    pub progress: bool,
    /// Validation threads; 1 runs everything on the calling thread.
    pub jobs: usize,
    /// Only matching events are written per event (ndjson, junit); summaries count them.
    pub filter: Option<Filter>,
}

/// How a check ended.
pub struct CheckOutcome {
    /// Findings at or above `--fail-on` were found.
    pub failed: bool,
    /// Inputs that could not be read, with the reason.
    pub io_errors: Vec<String>,
}

impl FailOn {
    pub fn threshold(self) -> Option<Severity> {
        match self {
            FailOn::Error => Some(Severity::Error),
            FailOn::Warning => Some(Severity::Warning),
            FailOn::Info => Some(Severity::Info),
            FailOn::Never => None,
        }
    }
}

/// A record as it reaches the committing side.
enum Judged<'a> {
    Validated(Validation<'a>),
    TooLong(u64),
}

/// Steps other than records, owned so they can cross threads.
enum Msg {
    Input {
        n: usize,
        path: PathBuf,
        seekable: bool,
    },
    Error(String),
    Done {
        bytes: u64,
    },
    Batch(Batch),
}

/// Commits records in input order and writes the report.
struct Consumer<'o> {
    committer: Committer,
    lookup: InputLookup,
    out: BufWriter<&'o mut dyn Write>,
    format: Format,
    threshold: Option<Severity>,
    labels: Vec<String>,
    seekable: Vec<bool>,
    suites: Vec<junit::Suite>,
    io_errors: Vec<String>,
    bytes: u64,
    max_line: u64,
    filter: Option<Filter>,
    matched: u64,
    /// Events of batch records, for the filter's free text.
    elements: crate::jsontext::BatchElements,
    /// Per input: events, events older than the maximum age, and whether it carried receive
    /// times (a capture): for the old-file note.
    ages: Vec<(u64, u64, bool)>,
    /// The original sources of records read back from captures.
    origins: output::origins::Origins,
}

impl Consumer<'_> {
    fn input(&mut self, n: usize, path: PathBuf, seekable: bool) {
        self.lookup.add_input(n, seekable.then_some(path));
        if self.seekable.len() <= n {
            self.seekable.resize(n + 1, false);
        }
        self.seekable[n] = seekable;
        if self.format == Format::Junit {
            self.suites.push(junit::Suite::new(&self.labels[n]));
        }
    }

    fn handle(&mut self, msg: Msg) -> io::Result<Option<Batch>> {
        match msg {
            Msg::Input { n, path, seekable } => self.input(n, path, seekable),
            Msg::Error(e) => self.io_errors.push(e),
            Msg::Done { bytes } => self.bytes = bytes,
            Msg::Batch(mut batch) => {
                let Batch {
                    raw,
                    records,
                    events,
                } = &mut batch;
                self.committer.warm(events);
                for rec in records.iter_mut() {
                    let text = &raw[rec.start..rec.end];
                    let judged = match std::mem::replace(&mut rec.outcome, Outcome::Pending) {
                        Outcome::TooLong { len } => Judged::TooLong(len),
                        Outcome::Failure(f) => Judged::Validated(Validation::Failure(f)),
                        Outcome::Events {
                            first,
                            count,
                            batch,
                        } => Judged::Validated(Validation::Events {
                            events: &mut events[first..first + count],
                            batch,
                        }),
                        Outcome::Pending => continue,
                    };
                    self.commit(&rec.meta, text, judged, rec.label.as_deref())?;
                }
                return Ok(Some(batch));
            }
        }
        Ok(None)
    }

    /// Commits one record and writes what the format wants of it.
    fn commit(
        &mut self,
        meta: &RecordMeta,
        text: &[u8],
        judged: Judged,
        label: Option<&str>,
    ) -> io::Result<()> {
        let n = meta.source as usize;
        if !self.seekable.get(n).copied().unwrap_or(false) {
            self.lookup.remember(meta.locator, text);
        }
        let (format, threshold) = (self.format, self.threshold);
        // Records read back from a capture keep their source and receive time.
        let received_ms = label.is_some().then_some(meta.received_ms);
        self.origins.note(n, meta.line, label);
        let (labels, origins) = (&self.labels, &self.origins);
        let label = label.unwrap_or_else(|| labels.get(n).map_or("", String::as_str));
        let out = &mut self.out;
        let suites = &mut self.suites;
        let (filter, matched, elements) = (&self.filter, &mut self.matched, &mut self.elements);
        if self.ages.len() <= n {
            self.ages.resize(n + 1, (0, 0, false));
        }
        let age = &mut self.ages[n];
        age.2 |= received_ms.is_some();
        let mut write_err: Option<io::Error> = None;
        let mut sink = |r: &EventReport| {
            age.0 += 1;
            if r.findings
                .iter()
                .any(|f| f.code == crate::ecapi::codes::Code::TimestampStale)
            {
                age.1 += 1;
            }
            if let Some(f) = filter {
                let raw = elements.of(text, meta.locator, r.index);
                if !f.matches(&crate::filter::Subject::of(r, label, raw)) {
                    return;
                }
                *matched += 1;
            }
            let res = match format {
                Format::Ndjson => {
                    let first_source = r.duplicate.and_then(|d| origins.first_source(d, labels));
                    let extra = ndjson::Extra {
                        source: label,
                        first_source,
                        received_ms,
                        upstream: None,
                        message: None,
                    };
                    ndjson::write_event(out, r, &extra)
                }
                Format::Junit => {
                    if let Some(s) = suites.last_mut() {
                        s.add(r, threshold);
                    }
                    Ok(())
                }
                Format::Text | Format::Json => Ok(()),
            };
            if let (Err(e), None) = (res, &write_err) {
                write_err = Some(e);
            }
        };
        match judged {
            Judged::TooLong(len) => self.committer.too_long(len, self.max_line, meta, &mut sink),
            Judged::Validated(v) => {
                self.committer
                    .commit(v, text, meta, &mut self.lookup, &mut sink);
            }
        }
        write_err.map_or(Ok(()), Err)
    }
}

/// Runs the check over `inputs`, writing the report to `out`.
pub fn run(
    inputs: &[PathBuf],
    opts: &CheckOptions,
    out: &mut dyn Write,
) -> io::Result<CheckOutcome> {
    let started = Instant::now();
    let mut consumer = Consumer {
        committer: Committer::new(opts.settings.engine.clone()),
        lookup: InputLookup::new(opts.settings.max_line_bytes),
        out: BufWriter::with_capacity(256 * 1024, out),
        format: opts.format,
        threshold: opts.fail_on.threshold(),
        labels: inputs.iter().map(|p| p.display().to_string()).collect(),
        seekable: Vec::new(),
        suites: Vec::new(),
        io_errors: Vec::new(),
        bytes: 0,
        max_line: opts.settings.max_line_bytes as u64,
        filter: opts.filter.clone(),
        matched: 0,
        elements: crate::jsontext::BatchElements::new(&opts.settings.engine.walk.batch_key),
        ages: Vec::new(),
        origins: output::origins::Origins::default(),
    };
    let received_ms = opts.now.saturating_mul(1000);
    if opts.jobs <= 1 {
        run_single(inputs, opts, received_ms, &mut consumer)?;
    } else {
        run_threaded(inputs, opts, received_ms, &mut consumer)?;
    }
    finish(consumer, started)
}

/// Records a one-thread check validates before it commits them: enough that their dedup
/// lookups, made together, overlap (see `Committer::warm`); few enough to stay in the cache.
const SMALL_BATCH: usize = 32;
const SMALL_BATCH_BYTES: usize = 256 * 1024;

/// One thread reads, validates a few dozen records, commits them, and so on.
fn run_single(
    inputs: &[PathBuf],
    opts: &CheckOptions,
    received_ms: i64,
    consumer: &mut Consumer,
) -> io::Result<()> {
    let mut validator = Validator::new(&opts.settings.engine);
    let mut batch = Batch::default();
    read_inputs(
        inputs,
        &opts.settings,
        received_ms,
        opts.progress,
        &mut |step| {
            let record = batch.push_step(&step);
            if record && batch.records.len() < SMALL_BATCH && batch.raw.len() < SMALL_BATCH_BYTES {
                return Ok(());
            }
            // Any other step comes after the records read before it.
            if !batch.records.is_empty() {
                batch.validate(&mut validator);
                if let Some(mut done) = consumer.handle(Msg::Batch(std::mem::take(&mut batch)))? {
                    done.clear();
                    batch = done;
                }
            }
            if record {
                return Ok(());
            }
            consumer.handle(owned(step)).map(drop)
        },
    )
}

fn owned(step: Step) -> Msg {
    match step {
        Step::Input { n, path, seekable } => Msg::Input {
            n,
            path: path.to_owned(),
            seekable,
        },
        Step::Error(e) => Msg::Error(e),
        Step::Done { bytes } => Msg::Done { bytes },
        Step::Record { .. } => Msg::Error("internal: a record outside a batch".into()),
    }
}

/// A reader thread fills batches, `jobs` threads validate them, and this thread commits them
/// in sequence order. Committed batches go back to the reader for reuse.
fn run_threaded(
    inputs: &[PathBuf],
    opts: &CheckOptions,
    received_ms: i64,
    consumer: &mut Consumer,
) -> io::Result<()> {
    let (work_tx, work_rx) = mpsc::sync_channel::<(u64, Batch)>(opts.jobs);
    let work_rx = Mutex::new(work_rx);
    let (out_tx, out_rx) = mpsc::sync_channel::<(u64, Msg)>(opts.jobs + 2);
    let (back_tx, back_rx) = mpsc::channel::<Batch>();
    let stopped = || io::Error::other("check stopped");
    // Set when committing fails (say, the output is closed): the reader stops reading.
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let reader_out = out_tx.clone();
        let stop = &stop;
        let reader = scope.spawn(move || {
            let mut seq = 0u64;
            let mut batch = Batch::default();
            let next_batch = || back_rx.try_recv().unwrap_or_default();
            read_inputs(
                inputs,
                &opts.settings,
                received_ms,
                opts.progress,
                &mut |step| {
                    if stop.load(Ordering::Relaxed) {
                        return Err(stopped());
                    }
                    if batch.push_step(&step) {
                        if batch.is_full() {
                            let full = std::mem::replace(&mut batch, next_batch());
                            work_tx.send((seq, full)).map_err(|_| stopped())?;
                            seq += 1;
                        }
                        return Ok(());
                    }
                    if !batch.records.is_empty() {
                        let full = std::mem::replace(&mut batch, next_batch());
                        work_tx.send((seq, full)).map_err(|_| stopped())?;
                        seq += 1;
                    }
                    reader_out.send((seq, owned(step))).map_err(|_| stopped())?;
                    seq += 1;
                    Ok(())
                },
            )
        });
        for _ in 0..opts.jobs {
            let (work_rx, out_tx) = (&work_rx, out_tx.clone());
            let settings = &opts.settings;
            scope.spawn(move || {
                let mut validator = Validator::new(&settings.engine);
                loop {
                    let next = work_rx
                        .lock()
                        .map_err(|_| ())
                        .and_then(|rx| rx.recv().map_err(|_| ()));
                    let Ok((seq, mut batch)) = next else { break };
                    if stop.load(Ordering::Relaxed) {
                        // Keep draining, so that the reader is never left blocked on a send.
                        continue;
                    }
                    batch.validate(&mut validator);
                    if out_tx.send((seq, Msg::Batch(batch))).is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                }
            });
        }
        drop(out_tx);
        let result = commit_in_order(out_rx, consumer, &back_tx);
        stop.store(true, Ordering::Relaxed);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(io::Error::other("reader thread panicked")));
        result.and(read)
    })
}

/// Receives numbered messages in any order and handles them in sequence.
fn commit_in_order(
    rx: mpsc::Receiver<(u64, Msg)>,
    consumer: &mut Consumer,
    back: &mpsc::Sender<Batch>,
) -> io::Result<()> {
    let mut pending: BTreeMap<u64, Msg> = BTreeMap::new();
    let mut next = 0u64;
    for (seq, msg) in rx {
        pending.insert(seq, msg);
        while let Some(msg) = pending.remove(&next) {
            next += 1;
            if let Some(mut batch) = consumer.handle(msg)? {
                batch.clear();
                let _ = back.send(batch);
            }
        }
    }
    Ok(())
}

/// An input whose events are mostly older than the maximum age, without receive times to judge
/// them by, is an old file rather than a stale sender: say so once, instead of a wall of
/// `timestamp_stale`.
fn old_input_notes(c: &Consumer) -> Vec<String> {
    let max_age = c.committer.config().walk.max_age_secs;
    c.ages
        .iter()
        .enumerate()
        .filter(|(_, (events, stale, received))| !received && *events > 0 && stale * 2 > *events)
        .map(|(i, (events, stale, _))| {
            format!(
                "{}: {} of {} events are older than the maximum age ({}) compared with the time of this check; for an old file, pass --now UNIX_SECONDS (when it was recorded) or raise max_age in the config",
                crate::output::safe::safe(c.labels.get(i).map_or("?", String::as_str)),
                output::thousands(*stale),
                output::thousands(*events),
                crate::engine::time::human(max_age),
            )
        })
        .collect()
}

fn finish(mut c: Consumer, started: Instant) -> io::Result<CheckOutcome> {
    let summary = Summary {
        agg: &c.committer.agg,
        inputs: &c.labels,
        elapsed: started.elapsed().max(Duration::from_micros(1)),
        bytes: c.bytes,
        dedup_keys: c.committer.dedup_keys(),
        filter: c.filter.as_ref().map(|f| (f.text(), c.matched)),
        notes: old_input_notes(&c),
        errors: &c.io_errors,
    };
    match c.format {
        Format::Text => c.out.write_all(output::text::render(&summary).as_bytes())?,
        Format::Json => {
            let doc = serde_json::to_string_pretty(&output::json::document(&summary))?;
            c.out
                .write_all(crate::jsontext::escape_unsafe(&doc).as_bytes())?;
            c.out.write_all(b"\n")?;
        }
        Format::Junit => c
            .out
            .write_all(junit::document(&c.suites, &c.io_errors, &c.labels).as_bytes())?,
        Format::Ndjson => {}
    }
    c.out.flush()?;
    Ok(CheckOutcome {
        failed: exceeds(&c.committer, c.threshold),
        io_errors: c.io_errors,
    })
}

/// Whether anything at or above the threshold was found (malformed records count as errors).
fn exceeds(committer: &Committer, threshold: Option<Severity>) -> bool {
    let Some(t) = threshold else { return false };
    let a = &committer.agg;
    let errors = a.by_status[2] + a.by_status[3];
    match t {
        Severity::Error => errors > 0,
        Severity::Warning => errors + a.by_status[1] > 0,
        Severity::Info => {
            errors + a.by_status[1] > 0
                || crate::ecapi::codes::RULES.iter().any(|r| {
                    committer.config().severity.severity(r.code) == Some(Severity::Info)
                        && a.by_code[r.code as usize] > 0
                })
        }
    }
}
