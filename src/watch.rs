//! `ecapi-scope watch`: runs sources, the hub and a printer until a stop condition (event
//! count, duration, Ctrl-C, or every source ended). This is how scripts and CI use live
//! sources, and how the sources are tested end to end without the TUI.

use crate::cli::{SlowOutput, WatchArgs, WatchFormat};
use crate::config::Settings;
use crate::engine::aggregate::Aggregates;
use crate::engine::report::EventReport;
use crate::engine::time::parse_duration;
use crate::filter::{Filter, Subject};
use crate::ingest::hub::{NoOutput, Origin, Output};
use crate::jsontext::BatchElements;
use crate::live::{log_states, Pipeline};
use crate::output::safe::safe;
use crate::output::{line, ndjson};
use anyhow::{Context, Result};
use std::io::{self, BufWriter, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use tokio::signal::unix::{signal, SignalKind};

/// Batches of printed lines queued for the writer thread; with `--slow-output drop` a full
/// queue drops the batch (counted), so a slow reader of stdout never holds up the hub.
const QUEUED_BATCHES: usize = 16;

/// What the writer thread did, shared with the printer.
#[derive(Default)]
struct Written {
    printed: AtomicU64,
    dropped: AtomicU64,
    failed: AtomicBool,
}

/// Formats each event as an NDJSON record, a batch at a time, for the writer thread.
struct Printer {
    buf: Vec<u8>,
    lines: u64,
    tx: SyncSender<(Vec<u8>, u64)>,
    block: bool,
    written: Arc<Written>,
    labels: Vec<String>,
    /// The original sources of records read back from a capture file.
    origins: crate::output::origins::Origins,
    filter: Option<(Filter, BatchElements)>,
    /// Text lines instead of NDJSON records; `true`: coloured.
    text: Option<bool>,
    /// Sources' news in text mode, written after the events already printed.
    notices: Arc<std::sync::Mutex<Vec<u8>>>,
}

/// Writes queued batches to stdout until the printer is gone or stdout is closed.
fn writer(rx: &Receiver<(Vec<u8>, u64)>, written: &Written) {
    let mut out = BufWriter::with_capacity(256 * 1024, io::stdout());
    for (bytes, lines) in rx {
        if out.write_all(&bytes).and_then(|()| out.flush()).is_err() {
            written.failed.store(true, Ordering::Relaxed);
            return;
        }
        written.printed.fetch_add(lines, Ordering::Relaxed);
    }
}

impl Output for Printer {
    fn event(&mut self, r: &EventReport, origin: &Origin) {
        if self.text.is_none() {
            // For the NDJSON records' `first_source` (text lines do not show it).
            let captured = origin.captured.then_some(origin.label);
            self.origins.note(r.source as usize, r.line, captured);
        }
        if let Some((filter, elements)) = &mut self.filter {
            let raw = elements.of(origin.raw, origin.record, r.index);
            if !filter.matches(&Subject::of(r, origin.label, raw)) {
                return;
            }
        }
        if let Some(color) = self.text {
            let at;
            let source = match origin.message {
                Some(m) => {
                    at = format!("{}[{}]@{}", m.topic, m.partition, m.offset);
                    at.as_str()
                }
                None => origin.label,
            };
            if line::write_event(&mut self.buf, r, source, origin.received_ms, color).is_ok() {
                self.lines += 1;
            }
            return;
        }
        let first_source = r
            .duplicate
            .and_then(|d| self.origins.first_source(d, &self.labels));
        let extra = ndjson::Extra {
            source: origin.label,
            first_source,
            received_ms: Some(origin.received_ms),
            upstream: origin.upstream,
            message: origin.message,
        };
        if ndjson::write_event(&mut self.buf, r, &extra).is_ok() {
            self.lines += 1;
        }
    }

    fn end_batch(&mut self, _: &Aggregates) {
        if let Ok(mut n) = self.notices.lock() {
            self.buf.append(&mut n);
        }
        if self.buf.is_empty() {
            return;
        }
        let batch = (
            std::mem::take(&mut self.buf),
            std::mem::take(&mut self.lines),
        );
        if self.block {
            let _ = self.tx.send(batch);
            return;
        }
        match self.tx.try_send(batch) {
            Err(TrySendError::Full((_, lines))) => {
                self.written.dropped.fetch_add(lines, Ordering::Relaxed);
            }
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
        }
    }

    fn idle(&mut self, agg: &Aggregates) {
        self.end_batch(agg);
    }

    fn ok(&self) -> bool {
        !self.written.failed.load(Ordering::Relaxed)
    }

    /// With `--slow-output block`, a batch waits for room in the writer's queue: that must
    /// hold the hub thread, never a runtime worker that committed an HTTP request (every
    /// source on that worker would stall with it).
    fn on_workers(&self) -> bool {
        !self.block
    }
}

/// Runs `watch`; true when a source failed (each is named on standard error).
pub fn run(args: &WatchArgs, settings: &Settings) -> Result<bool> {
    let started = std::time::Instant::now();
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
            BatchElements::new(&settings.engine.walk.batch_key),
        )),
        None => None,
    };
    let written = Arc::new(Written::default());
    let mut writer_thread = None;
    let format = args.format.unwrap_or(if io::stdout().is_terminal() {
        WatchFormat::Text
    } else {
        WatchFormat::Ndjson
    });
    let color =
        io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let notices = Arc::new(std::sync::Mutex::new(Vec::new()));
    let notices_left = Arc::clone(&notices);
    let out: Box<dyn Output> = match format {
        WatchFormat::Ndjson | WatchFormat::Text => {
            let (tx, rx) = std::sync::mpsc::sync_channel(QUEUED_BATCHES);
            let w = Arc::clone(&written);
            writer_thread = Some(
                std::thread::Builder::new()
                    .name("print".into())
                    .spawn(move || writer(&rx, &w))?,
            );
            Box::new(Printer {
                buf: Vec::new(),
                lines: 0,
                tx,
                block: args.slow_output == SlowOutput::Block,
                written: Arc::clone(&written),
                labels: args.sources.clone(),
                origins: crate::output::origins::Origins::default(),
                filter,
                text: (format == WatchFormat::Text).then_some(color),
                notices: Arc::clone(&notices),
            })
        }
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
    if format == WatchFormat::Text && !args.quiet {
        // In text, a source's news is a line among the events, in order.
        let sink: crate::live::Notices = Arc::new(move |label: &str, text: &str| {
            if let Ok(mut buf) = notices.lock() {
                let now = crate::ingest::now_ms();
                let _ = line::write_notice(&mut *buf, now, label, text, color);
            }
        });
        crate::live::log_states_to(pipeline.runtime(), &pipeline.statuses, &sink);
    } else if !args.quiet {
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
    let (summary, engine) = pipeline.stop()?;
    if let Some(path) = &args.report {
        let errors = crate::check::live::failures(&statuses);
        let report =
            crate::check::live::summary(&engine, &args.sources, &statuses, started, &errors);
        crate::check::live::write_report(path, &report)
            .with_context(|| format!("--report {}", path.display()))?;
    }
    if let Some(t) = writer_thread {
        let _ = t.join();
    }
    if let Ok(mut rest) = notices_left.lock() {
        let _ = io::stdout().write_all(&std::mem::take(&mut *rest));
    }
    let dropped = written.dropped.load(Ordering::Relaxed);
    if dropped > 0 {
        eprintln!(
            "ecapi-scope: standard output could not keep up: {dropped} events were not printed (every event was still processed and captured; --slow-output block waits instead)"
        );
    }
    if args.stats {
        let sources: Vec<_> = statuses.iter().map(|s| s.snapshot()).collect();
        let printer = serde_json::json!({
            "printed": written.printed.load(Ordering::Relaxed),
            "dropped": dropped,
        });
        let stats = serde_json::json!({"hub": summary, "sources": sources, "output": printer});
        eprintln!("{}", crate::jsontext::escape_unsafe(&stats.to_string()));
    }
    if let Some(e) = &summary.capture_error {
        eprintln!("ecapi-scope: {}", safe(e));
    }
    for s in statuses.iter().filter(|_| !args.quiet) {
        let refused = s.refusals();
        if !refused.is_empty() {
            let parts: Vec<String> = refused.iter().map(|(c, n)| format!("{c} ×{n}")).collect();
            eprintln!(
                "ecapi-scope: {}: requests answered other than 200: {}",
                safe(&s.label),
                parts.join(", ")
            );
        }
    }
    Ok(crate::live::report_failed(&statuses))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn printer(block: bool) -> Printer {
        let (tx, _rx) = std::sync::mpsc::sync_channel(1);
        Printer {
            buf: Vec::new(),
            lines: 0,
            tx,
            block,
            written: Arc::default(),
            labels: Vec::new(),
            origins: crate::output::origins::Origins::default(),
            filter: None,
            text: None,
            notices: Arc::default(),
        }
    }

    #[test]
    fn slow_output_block_keeps_http_commits_off_the_runtime_workers() {
        assert!(!printer(true).on_workers());
        assert!(printer(false).on_workers());
    }
}
