//! `ecapi-scope serve`: the `http-listen` endpoint as a sandbox receiver. It validates with the
//! engine, deduplicates like a real receiver (each event's answer says whether it was a
//! duplicate), answers with the spec's codes, injects faults and latency on request, and
//! prints one NDJSON line per request.

use crate::cli::ServeArgs;
use crate::config::Settings;
use crate::ingest::hub::NoOutput;
use crate::ingest::sandbox::{parse_latency, Fault, Sandbox};
use crate::live::{log_states, Pipeline};
use anyhow::{Context, Result};
use std::io::Write;
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};

/// Lines waiting for standard output; past this, lines are dropped rather than slowing answers.
const QUEUED_LINES: usize = 4096;

/// Runs `serve` until INT or TERM; true when the endpoint could not listen.
pub fn run(args: &ServeArgs, settings: &Settings) -> Result<bool> {
    let faults = args
        .faults
        .iter()
        .map(|f| Fault::parse(f).map_err(anyhow::Error::msg))
        .collect::<Result<Vec<_>>>()?;
    let latency = match &args.latency {
        Some(l) => parse_latency(l).map_err(anyhow::Error::msg)?,
        None => (Duration::ZERO, Duration::ZERO),
    };
    let path = args.path.as_deref().unwrap_or("");
    anyhow::ensure!(
        path.is_empty() || path.starts_with('/'),
        "--path {path:?}: a path starts with /"
    );
    let source = format!("http-listen://{}{path}", args.listen);
    let (tx, rx) = std::sync::mpsc::sync_channel::<String>(QUEUED_LINES);
    let printer = std::thread::Builder::new()
        .name("print".into())
        .spawn(move || {
            let stdout = std::io::stdout();
            let mut out = stdout.lock();
            for line in rx {
                if writeln!(out, "{line}").and_then(|()| out.flush()).is_err() {
                    return;
                }
            }
        })?;
    let mut sandbox = Sandbox::new(
        faults,
        latency,
        args.seed.unwrap_or_else(|| fastrand::u64(..)),
        tx,
    );
    sandbox.retry_after = args.retry_after;
    let mut pipeline = Pipeline::with_sandbox(
        std::slice::from_ref(&source),
        &args.source,
        settings,
        Box::new(NoOutput),
        Arc::new(sandbox),
    )
    .context("serve")?;
    let (mut interrupt, mut terminate) = {
        let _guard = pipeline.runtime().enter();
        (
            signal(SignalKind::interrupt())?,
            signal(SignalKind::terminate())?,
        )
    };
    pipeline.spawn_sources();
    log_states(pipeline.runtime(), &pipeline.statuses);
    let done = pipeline.hub_done();
    pipeline.runtime().block_on(async {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
            _ = done => {}
        }
    });
    let statuses = pipeline.statuses.clone();
    let (summary, _engine) = pipeline.stop()?;
    let _ = printer.join();
    if args.stats {
        let sources: Vec<_> = statuses.iter().map(|s| s.snapshot()).collect();
        let stats = serde_json::json!({"hub": summary, "sources": sources});
        eprintln!("{}", crate::jsontext::escape_unsafe(&stats.to_string()));
    }
    Ok(crate::live::report_failed(&statuses))
}
