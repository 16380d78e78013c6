//! Reading inputs for a check, and the batches that carry records to validation threads.
//! With one job everything happens line by line on one thread; with more, a reader thread
//! fills batches, validation threads validate them, and the committing thread puts them back
//! in input order, so results never depend on the number of jobs.

use super::lookup::locator;
use crate::config::Settings;
use crate::engine::facts::EventFacts;
use crate::engine::lines::{Line, LineReader};
use crate::engine::{Failure, RecordMeta, Validation, Validator};
use crate::ingest::capture;
use indicatif::{ProgressBar, ProgressStyle};
use std::fs::File;
use std::io::{self, IsTerminal, Read};
use std::path::{Path, PathBuf};

/// Records per batch (fewer when their bytes reach `BATCH_BYTES`).
pub const BATCH_RECORDS: usize = 1024;
pub const BATCH_BYTES: usize = 1 << 20;

/// What reading the inputs produces, in order.
pub enum Step<'a> {
    /// Input `n` starts; `seekable` when it can be re-read by offset.
    Input {
        n: usize,
        path: &'a Path,
        seekable: bool,
    },
    /// A record, or (with `too_long`) a line over the limit.
    Record {
        meta: RecordMeta,
        text: &'a [u8],
        too_long: Option<u64>,
        /// The original source of a record read back from a capture (whose receive time
        /// `meta` then carries).
        label: Option<&'a str>,
    },
    /// An input could not be (fully) read.
    Error(String),
    /// Everything is read; `bytes` were consumed.
    Done { bytes: u64 },
}

/// Opens an input: `-` is standard input; gzip is recognized by its magic bytes, on files,
/// pipes and standard input alike. The input is opened once and its first bytes are put back
/// in front of it, so a pipe or FIFO (`/dev/stdin`, `<(cat f)`) loses nothing.
/// Returns the reader, the size on disk and whether it can be re-read by offset.
fn open_input(path: &Path) -> io::Result<(Box<dyn Read + Send>, Option<u64>, bool)> {
    let (mut reader, size, regular): (Box<dyn Read + Send>, Option<u64>, bool) =
        if path.as_os_str() == "-" {
            (Box::new(io::stdin()), None, false)
        } else {
            let file = File::open(path)?;
            let meta = file.metadata()?;
            if meta.is_dir() {
                return Err(io::Error::other("is a directory"));
            }
            let size = meta.is_file().then_some(meta.len());
            (Box::new(file), size, meta.is_file())
        };
    let mut magic = [0u8; 2];
    let mut got = 0;
    while got < 2 {
        match reader.read(&mut magic[got..]) {
            Ok(0) => break,
            Ok(k) => got += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let reader: Box<dyn Read + Send> =
        Box::new(io::Cursor::new(magic[..got].to_vec()).chain(reader));
    if got == 2 && magic == [0x1f, 0x8b] {
        return Ok((
            Box::new(flate2::read::MultiGzDecoder::new(reader)),
            size,
            false,
        ));
    }
    Ok((reader, size, regular))
}

fn progress_bar(enabled: bool, total: u64) -> Option<ProgressBar> {
    if !enabled || !io::stderr().is_terminal() || total < 8 * 1024 * 1024 {
        return None;
    }
    let bar = ProgressBar::new(total);
    let style =
        ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

/// Reads every input line by line, telling `on` about each step. Stops when `on` fails.
pub fn read_inputs(
    inputs: &[PathBuf],
    settings: &Settings,
    received_ms: i64,
    progress: bool,
    on: &mut dyn FnMut(Step) -> io::Result<()>,
) -> io::Result<()> {
    let mut bytes = 0u64;
    for (n, path) in inputs.iter().enumerate() {
        let (reader, size, seekable) = match open_input(path) {
            Ok(opened) => opened,
            Err(e) => {
                on(Step::Error(format!("{}: {e}", path.display())))?;
                continue;
            }
        };
        on(Step::Input { n, path, seekable })?;
        let bar = progress_bar(progress, size.unwrap_or(0));
        let mut lines = LineReader::new(reader, settings.max_line_bytes);
        let mut count = 0u64;
        loop {
            let line = match lines.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(e) => {
                    on(Step::Error(format!("{}: {e}", path.display())))?;
                    break;
                }
            };
            let (text, line, offset, too_long) = match line {
                Line::Record { text, line, offset } => (text, line, offset, None),
                Line::TooLong { line, offset, len } => (&[][..], line, offset, Some(len)),
            };
            let mut meta = RecordMeta {
                line,
                source: u16::try_from(n).unwrap_or(u16::MAX),
                received_ms,
                locator: locator(n, offset),
            };
            match capture::unwrap(text).filter(|_| too_long.is_none()) {
                Some(c) => {
                    meta.received_ms = c.received_ms;
                    let (text, too_long) = match &c.raw {
                        Ok(raw) => (raw.as_slice(), None),
                        Err(len) => (&[][..], Some(*len)),
                    };
                    let label = Some(c.source.as_str());
                    on(Step::Record {
                        meta,
                        text,
                        too_long,
                        label,
                    })?;
                }
                None => on(Step::Record {
                    meta,
                    text,
                    too_long,
                    label: None,
                })?,
            }
            count += 1;
            if count.is_multiple_of(8192) {
                if let Some(bar) = &bar {
                    bar.set_position(lines.position().min(size.unwrap_or(u64::MAX)));
                }
            }
        }
        bytes += lines.position();
        if let Some(bar) = bar {
            bar.finish_and_clear();
        }
    }
    on(Step::Done { bytes })
}

/// What validation made of one record of a batch, pointing into the batch.
pub enum Outcome {
    Pending,
    Failure(Failure),
    Events {
        first: usize,
        count: usize,
        batch: bool,
    },
    TooLong {
        len: u64,
    },
}

pub struct Rec {
    pub meta: RecordMeta,
    /// The original source of a record read back from a capture.
    pub label: Option<String>,
    pub start: usize,
    pub end: usize,
    pub outcome: Outcome,
}

/// Records with their raw bytes and, once validated, their events; recycled after commit.
#[derive(Default)]
pub struct Batch {
    pub raw: Vec<u8>,
    pub records: Vec<Rec>,
    pub events: Vec<EventFacts>,
}

impl Batch {
    /// Adds the step's record, if it is one; whether it was.
    pub fn push_step(&mut self, step: &Step) -> bool {
        let Step::Record {
            meta,
            text,
            too_long,
            label,
        } = *step
        else {
            return false;
        };
        self.push(meta, text, too_long, label);
        true
    }

    /// Empties a committed batch for reuse, keeping its buffers.
    pub fn clear(&mut self) {
        self.raw.clear();
        self.records.clear();
    }

    pub fn push(
        &mut self,
        meta: RecordMeta,
        text: &[u8],
        too_long: Option<u64>,
        label: Option<&str>,
    ) {
        let start = self.raw.len();
        self.raw.extend_from_slice(text);
        self.records.push(Rec {
            meta,
            label: label.map(str::to_owned),
            start,
            end: self.raw.len(),
            outcome: too_long.map_or(Outcome::Pending, |len| Outcome::TooLong { len }),
        });
    }

    pub fn is_full(&self) -> bool {
        self.records.len() >= BATCH_RECORDS || self.raw.len() >= BATCH_BYTES
    }

    /// Validates every pending record. Their events are written once, into the validator's
    /// slots, and exchanged with this batch's (recycled) ones at the end: no copy per event.
    pub fn validate(&mut self, validator: &mut Validator) {
        let Batch {
            raw,
            records,
            events,
        } = self;
        validator.begin_batch();
        for rec in records.iter_mut() {
            if !matches!(rec.outcome, Outcome::Pending) {
                continue;
            }
            let reference = rec.meta.received_ms.div_euclid(1000);
            rec.outcome = match validator.validate(&raw[rec.start..rec.end], reference) {
                Validation::Failure(f) => Outcome::Failure(f),
                Validation::Events { batch, events } => {
                    let count = events.len();
                    Outcome::Events {
                        first: validator.events_start(),
                        count,
                        batch,
                    }
                }
            };
        }
        validator.end_batch(events);
    }
}
