//! `check kafka://…`: a bounded read of live sources (a topic to the end offsets it had when the
//! check started) through the same hub and engine as `watch`, reported like files.

use super::{exceeds, CheckOptions, CheckOutcome};
use crate::cli::Format;
use crate::engine::aggregate::Aggregates;
use crate::engine::report::EventReport;
use crate::engine::Committer;
use crate::filter::{Filter, Subject};
use crate::ingest::hub::{Origin, Output};
use crate::ingest::spec::SourceSpec;
use crate::ingest::status::{Counters, SourceState, SourceStatus};
use crate::ingest::IngestOptions;
use crate::jsontext::BatchElements;
use crate::live::Pipeline;
use crate::output::{self, ndjson, Summary};
use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Whether an input names a live source `check` reads to an end (a `kafka://` topic).
pub fn is_live(input: &str) -> bool {
    input.starts_with("kafka://")
}

/// What the check sees of each event: with `--filter`, whether it matches (counted for the
/// summary); with `--format ndjson`, its record (of matching events only).
struct Records {
    out: Option<io::BufWriter<io::Stdout>>,
    filter: Option<(Filter, BatchElements)>,
    matched: Arc<AtomicU64>,
    failed: bool,
}

impl Output for Records {
    fn event(&mut self, r: &EventReport, origin: &Origin) {
        if let Some((filter, elements)) = &mut self.filter {
            let raw = elements.of(origin.raw, origin.record, r.index);
            if !filter.matches(&Subject::of(r, origin.label, raw)) {
                return;
            }
            self.matched.fetch_add(1, Ordering::Relaxed);
        }
        let Some(out) = self.out.as_mut() else {
            return;
        };
        let extra = ndjson::Extra {
            source: origin.label,
            first_source: None,
            received_ms: Some(origin.received_ms),
            upstream: None,
            message: origin.message,
        };
        if ndjson::write_event(out, r, &extra).is_err() {
            self.failed = true;
        }
    }

    fn end_batch(&mut self, _: &Aggregates) {
        if self.out.as_mut().is_some_and(|o| o.flush().is_err()) {
            self.failed = true;
        }
    }

    fn ok(&self) -> bool {
        !self.failed
    }
}

/// The sources that failed, as `LABEL: reason`.
pub fn failures(statuses: &[Arc<SourceStatus>]) -> Vec<String> {
    statuses
        .iter()
        .filter_map(|s| match s.state() {
            SourceState::Failed(why) => Some(format!("{}: {why}", s.label)),
            _ => None,
        })
        .collect()
}

/// The report of what live sources brought (`check kafka://…`, `watch --report`).
pub fn summary<'a>(
    committer: &'a Committer,
    inputs: &'a [String],
    statuses: &[Arc<SourceStatus>],
    started: Instant,
    errors: &'a [String],
) -> Summary<'a> {
    Summary {
        agg: &committer.agg,
        inputs,
        elapsed: started.elapsed().max(Duration::from_micros(1)),
        bytes: statuses
            .iter()
            .map(|s| Counters::get(&s.counters.bytes))
            .sum(),
        dedup_keys: committer.dedup_keys(),
        filter: None,
        notes: Vec::new(),
        errors,
    }
}

/// Writes the `--format json` document of `summary` to `path`.
pub fn write_report(path: &std::path::Path, summary: &Summary) -> io::Result<()> {
    let doc = serde_json::to_string_pretty(&output::json::document(summary))?;
    std::fs::write(path, format!("{}\n", crate::jsontext::escape_unsafe(&doc)))
}

/// Runs the check over live inputs (every input must be one).
pub fn run(
    inputs: &[String],
    opts: &CheckOptions,
    kafka: Vec<(String, String)>,
    out: &mut dyn Write,
) -> io::Result<CheckOutcome> {
    let started = Instant::now();
    if opts.format == Format::Junit {
        return Err(io::Error::other(
            "check over kafka:// takes no --format junit (text, json or ndjson)",
        ));
    }
    // `follow: false` reads each topic to the end offsets taken at start (`until=end`).
    for s in inputs {
        SourceSpec::parse(s).map_err(io::Error::other)?;
    }
    let ingest = IngestOptions {
        max_line_bytes: opts.settings.max_line_bytes,
        follow: false,
        kafka,
        ..IngestOptions::default()
    };
    let matched = Arc::new(AtomicU64::new(0));
    let output = Records {
        out: (opts.format == Format::Ndjson).then(|| io::BufWriter::new(io::stdout())),
        filter: opts.filter.clone().map(|f| {
            let elements = BatchElements::new(&opts.settings.engine.walk.batch_key);
            (f, elements)
        }),
        matched: Arc::clone(&matched),
        failed: false,
    };
    let output: Box<dyn Output> = Box::new(output);
    let mut pipeline =
        Pipeline::with_options(inputs, ingest, &opts.settings, output).map_err(io::Error::other)?;
    pipeline.spawn_sources();
    let done = pipeline.hub_done();
    let _ = pipeline.runtime().block_on(done);
    let statuses = pipeline.statuses.clone();
    let (_, committer) = pipeline.stop().map_err(io::Error::other)?;
    let io_errors = failures(&statuses);
    let mut summary = summary(&committer, inputs, &statuses, started, &io_errors);
    summary.filter = opts
        .filter
        .as_ref()
        .map(|f| (f.text(), matched.load(Ordering::Relaxed)));
    match opts.format {
        Format::Text => out.write_all(output::text::render(&summary).as_bytes())?,
        Format::Json => {
            let doc = serde_json::to_string_pretty(&output::json::document(&summary))?;
            out.write_all(crate::jsontext::escape_unsafe(&doc).as_bytes())?;
            out.write_all(b"\n")?;
        }
        Format::Junit | Format::Ndjson => {}
    }
    out.flush()?;
    Ok(CheckOutcome {
        failed: exceeds(&committer, opts.fail_on.threshold()),
        io_errors,
    })
}
