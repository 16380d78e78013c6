//! `ecapi-scope watch`: runs sources, the hub and a printer until a stop condition (event
//! count, duration, Ctrl-C, or every source ended). This is how scripts and CI use live
//! sources, and how the sources are tested end to end without the TUI.

use crate::cli::{WatchArgs, WatchFormat};
use crate::config::Settings;
use crate::engine::aggregate::Aggregates;
use crate::engine::report::EventReport;
use crate::engine::time::parse_duration;
use crate::filter::{Filter, Subject};
use crate::ingest::hub::{NoOutput, Origin, Output};
use crate::live::{log_states, Pipeline};
use crate::output::ndjson;
use crate::output::safe::safe;
use anyhow::{Context, Result};
use std::io::{self, BufWriter, Write};
use std::ops::Range;
use tokio::signal::unix::{signal, SignalKind};

/// Finds the events of batch records for the filter's free text, once per record.
#[derive(Default)]
pub struct Elements {
    record: u64,
    spans: Option<Vec<Range<usize>>>,
    batch_key: String,
}

impl Elements {
    pub fn new(batch_key: &str) -> Elements {
        Elements {
            batch_key: batch_key.to_owned(),
            ..Elements::default()
        }
    }

    /// The event's own text: the record, or its element for events of a batch.
    pub fn of<'a>(&mut self, r: &EventReport, origin: &Origin<'a>) -> &'a [u8] {
        let Some(i) = r.index else {
            return origin.raw;
        };
        if self.record != origin.record || self.spans.is_none() {
            self.record = origin.record;
            self.spans = crate::jsontext::elements(origin.raw, &self.batch_key);
        }
        self.spans
            .as_ref()
            .and_then(|s| s.get(i as usize))
            .and_then(|range| origin.raw.get(range.clone()))
            .unwrap_or(origin.raw)
    }
}

/// What a filter sees of a live event.
pub fn subject<'a>(r: &EventReport<'a>, source: &'a str, raw: &'a [u8]) -> Subject<'a> {
    Subject {
        event_type: r.event_type,
        stage: r.stage,
        data_set_id: r.data_set_id,
        id: r.id,
        status: r.status,
        duplicate: r.duplicate.map(|d| d.kind),
        findings: r.findings,
        source,
        raw,
    }
}

/// Prints each event as an NDJSON record.
struct Printer {
    out: BufWriter<io::Stdout>,
    labels: Vec<String>,
    filter: Option<(Filter, Elements)>,
    failed: bool,
}

impl Output for Printer {
    fn event(&mut self, r: &EventReport, origin: &Origin) {
        if self.failed {
            return;
        }
        if let Some((filter, elements)) = &mut self.filter {
            let raw = elements.of(r, origin);
            if !filter.matches(&subject(r, origin.label, raw)) {
                return;
            }
        }
        let first_source = r
            .duplicate
            .and_then(|d| self.labels.get(d.first_source as usize))
            .map(String::as_str);
        let extra = ndjson::Extra {
            source: origin.label,
            first_source,
            received_ms: Some(origin.received_ms),
            upstream: origin.upstream,
        };
        self.failed = ndjson::write_event(&mut self.out, r, &extra).is_err();
    }

    fn end_batch(&mut self, _: &Aggregates) {
        self.failed |= self.out.flush().is_err();
    }

    fn ok(&self) -> bool {
        !self.failed
    }
}

/// Runs `watch`; true when a source failed (each is named on standard error).
pub fn run(args: &WatchArgs, settings: &Settings) -> Result<bool> {
    let duration = match &args.duration {
        Some(d) => Some(
            parse_duration(d)
                .with_context(|| format!("--duration: expected a duration like 30s, got {d:?}"))?,
        ),
        None => None,
    };
    let filter = match &args.filter {
        Some(text) => Some((
            Filter::parse(text).with_context(|| format!("--filter {text:?}"))?,
            Elements::new(&settings.engine.walk.batch_key),
        )),
        None => None,
    };
    let out: Box<dyn Output> = match args.format {
        WatchFormat::Ndjson => Box::new(Printer {
            out: BufWriter::with_capacity(256 * 1024, io::stdout()),
            labels: args.sources.clone(),
            filter,
            failed: false,
        }),
        WatchFormat::None => Box::new(NoOutput),
    };
    let mut pipeline = Pipeline::new(&args.sources, &args.source, settings, out, args.max_events)?;
    if let Some(message) = &pipeline.capture_problem {
        eprintln!("ecapi-scope: {}", safe(message));
    }
    let done = pipeline.hub_done();
    let (mut interrupt, mut terminate) = {
        let _guard = pipeline.runtime().enter();
        // Registered before any source runs, so an early Ctrl-C or TERM is not lost.
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        )
    };
    pipeline.spawn_sources();
    if !args.quiet {
        log_states(pipeline.runtime(), &pipeline.statuses);
    }
    pipeline.runtime().block_on(async {
        let until = async {
            match duration {
                Some(d) => tokio::time::sleep(d).await,
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            () = until => {}
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
            _ = done => {}
        }
    });
    let statuses = pipeline.statuses.clone();
    let (summary, _engine) = pipeline.stop()?;
    if args.stats {
        let sources: Vec<_> = statuses.iter().map(|s| s.snapshot()).collect();
        let stats = serde_json::json!({"hub": summary, "sources": sources});
        eprintln!("{}", crate::jsontext::escape_unsafe(&stats.to_string()));
    }
    if let Some(e) = &summary.capture_error {
        eprintln!("ecapi-scope: {}", safe(e));
    }
    let mut failed = false;
    for s in &statuses {
        if let crate::ingest::status::SourceState::Failed(reason) = s.state() {
            eprintln!("ecapi-scope: {} failed: {}", safe(&s.label), safe(&reason));
            failed = true;
        }
    }
    Ok(failed)
}
