//! `ecapi-scope check`: read NDJSON inputs through the engine and report in the chosen format.

pub mod lookup;

use crate::cli::{FailOn, Format};
use crate::config::Settings;
use crate::ecapi::codes::Severity;
use crate::engine::lines::{Line, LineReader};
use crate::engine::report::EventReport;
use crate::engine::{Engine, RecordMeta};
use crate::output::{self, junit, ndjson, Summary};
use indicatif::{ProgressBar, ProgressStyle};
use lookup::{locator, InputLookup};
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

pub struct CheckOptions {
    pub settings: Settings,
    pub format: Format,
    pub fail_on: FailOn,
    /// Reference time, unix seconds.
    pub now: i64,
    pub progress: bool,
}

/// How a check ended.
pub struct Outcome {
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

/// Opens an input: `-` is standard input; gzip is recognized by its magic bytes.
fn open_input(path: &Path) -> io::Result<(Box<dyn Read>, Option<u64>, bool)> {
    if path.as_os_str() == "-" {
        return Ok((Box::new(io::stdin().lock()), None, false));
    }
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Err(io::Error::other("is a directory"));
    }
    let mut magic = [0u8; 2];
    let n = read_fully(&mut file, &mut magic)?;
    let file = File::open(path)?;
    if n == 2 && magic == [0x1f, 0x8b] {
        return Ok((
            Box::new(flate2::read::MultiGzDecoder::new(file)),
            Some(meta.len()),
            false,
        ));
    }
    Ok((Box::new(file), Some(meta.len()), meta.is_file()))
}

fn read_fully(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
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

/// Runs the check over `inputs`, writing the report to `out`.
pub fn run(inputs: &[PathBuf], opts: &CheckOptions, out: &mut dyn Write) -> io::Result<Outcome> {
    let started = Instant::now();
    let mut engine = Engine::new(opts.settings.engine.clone());
    let mut lookup = InputLookup::new(opts.settings.max_line_bytes);
    let mut w = BufWriter::with_capacity(256 * 1024, out);
    let mut suites: Vec<junit::Suite> = Vec::new();
    let mut io_errors = Vec::new();
    let mut bytes = 0u64;
    let labels: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
    let threshold = opts.fail_on.threshold();
    let received_ms = opts.now.saturating_mul(1000);
    for (n, path) in inputs.iter().enumerate() {
        let (reader, size, seekable) = match open_input(path) {
            Ok(opened) => opened,
            Err(e) => {
                io_errors.push(format!("{}: {e}", labels[n]));
                continue;
            }
        };
        lookup.add_input(n, seekable.then(|| path.clone()));
        if opts.format == Format::Junit {
            suites.push(junit::Suite::new(&labels[n]));
        }
        let bar = progress_bar(opts.progress, size.unwrap_or(0));
        let mut lines = LineReader::new(reader, opts.settings.max_line_bytes);
        let mut count = 0u64;
        let label = labels[n].as_str();
        let write_err: std::cell::Cell<Option<io::Error>> = std::cell::Cell::new(None);
        let mut sink = |r: &EventReport| {
            let res = match opts.format {
                Format::Ndjson => ndjson::write_event(&mut w, r, label, None),
                Format::Junit => {
                    if let Some(s) = suites.last_mut() {
                        s.add(r, threshold);
                    }
                    Ok(())
                }
                Format::Text | Format::Json => Ok(()),
            };
            if let Err(e) = res {
                let first = write_err.take().unwrap_or(e);
                write_err.set(Some(first));
            }
        };
        loop {
            let line = match lines.next_line() {
                Ok(Some(line)) => line,
                Ok(None) => break,
                Err(e) => {
                    io_errors.push(format!("{}: {e}", labels[n]));
                    break;
                }
            };
            match line {
                Line::Record { text, line, offset } => {
                    let meta = RecordMeta {
                        line,
                        source: n as u16,
                        received_ms,
                        locator: locator(n, offset),
                    };
                    if !seekable {
                        lookup.remember(meta.locator, text);
                    }
                    engine.process(text, &meta, &mut lookup, &mut sink);
                }
                Line::TooLong { line, offset, len } => {
                    let meta = RecordMeta {
                        line,
                        source: n as u16,
                        received_ms,
                        locator: locator(n, offset),
                    };
                    let limit = opts.settings.max_line_bytes as u64;
                    engine.process_too_long(len, limit, &meta, &mut sink);
                }
            }
            if let Some(e) = write_err.take() {
                return Err(e);
            }
            count += 1;
            if count % 8192 == 0 {
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
    let summary = Summary {
        agg: &engine.agg,
        inputs: &labels,
        elapsed: started.elapsed().max(Duration::from_micros(1)),
        bytes,
        dedup_keys: engine.dedup_keys(),
    };
    match opts.format {
        Format::Text => w.write_all(output::text::render(&summary).as_bytes())?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut w, &output::json::document(&summary))?;
            w.write_all(b"\n")?;
        }
        Format::Junit => w.write_all(junit::document(&suites).as_bytes())?,
        Format::Ndjson => {}
    }
    w.flush()?;
    Ok(Outcome {
        failed: exceeds(&engine, threshold),
        io_errors,
    })
}

/// Whether anything at or above the threshold was found (malformed records count as errors).
fn exceeds(engine: &Engine, threshold: Option<Severity>) -> bool {
    let Some(t) = threshold else { return false };
    let a = &engine.agg;
    let errors = a.by_status[2] + a.by_status[3];
    match t {
        Severity::Error => errors > 0,
        Severity::Warning => errors + a.by_status[1] > 0,
        Severity::Info => {
            errors + a.by_status[1] > 0
                || crate::ecapi::codes::RULES
                    .iter()
                    .any(|r| r.severity == Severity::Info && a.by_code[r.code as usize] > 0)
        }
    }
}
