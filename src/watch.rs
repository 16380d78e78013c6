//! `ecapi-scope watch`: runs sources, the hub and a printer until a stop condition (event
//! count, duration, Ctrl-C, or every source ended). This is how scripts and CI use live
//! sources, and how the sources are tested end to end without the TUI.

use crate::cli::{WatchArgs, WatchFormat};
use crate::config::Settings;
use crate::engine::report::EventReport;
use crate::engine::time::parse_duration;
use crate::ingest::capture::Capture;
use crate::ingest::hub::{Hub, NoOutput, Origin, Output};
use crate::ingest::spec::SourceSpec;
use crate::ingest::status::SourceStatus;
use crate::ingest::{self, Ctx, IngestOptions};
use crate::output::ndjson;
use crate::output::safe::safe;
use anyhow::{bail, Context, Result};
use std::io::{self, BufWriter, Write};
use std::sync::Arc;
use std::time::Duration;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc;

/// Prints each event as an NDJSON record.
struct Printer {
    out: BufWriter<io::Stdout>,
    labels: Vec<String>,
    failed: bool,
}

impl Output for Printer {
    fn event(&mut self, r: &EventReport, origin: &Origin) {
        if self.failed {
            return;
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

    fn end_batch(&mut self) {
        self.failed |= self.out.flush().is_err();
    }

    fn ok(&self) -> bool {
        !self.failed
    }
}

/// `Name: value` or `Name: env:VAR`.
fn parse_header(text: &str) -> Result<(String, String)> {
    let (name, value) = text
        .split_once(':')
        .with_context(|| format!("--header {text:?}: expected `Name: value`"))?;
    let value = value.trim();
    let value = match value.strip_prefix("env:") {
        Some(var) => std::env::var(var).with_context(|| {
            format!(
                "--header {}: environment variable {var} is not set",
                name.trim()
            )
        })?,
        None => value.to_owned(),
    };
    Ok((name.trim().to_owned(), value))
}

fn options(args: &WatchArgs, settings: &Settings) -> Result<IngestOptions> {
    let token = match &args.token_env {
        Some(var) => Some(
            std::env::var(var)
                .with_context(|| format!("--token-env: environment variable {var} is not set"))?,
        ),
        None => None,
    };
    anyhow::ensure!(args.max_body > 0, "--max-body must be more than 0");
    Ok(IngestOptions {
        max_line_bytes: settings.max_line_bytes,
        follow: !args.no_follow,
        bind_any: args.bind_any,
        token,
        max_body: args.max_body,
        rate_limit: args.rate_limit,
        ws_headers: args
            .headers
            .iter()
            .map(|h| parse_header(h))
            .collect::<Result<_>>()?,
        extra_roots: match &args.ca_file {
            Some(path) => ingest::load_certificates(path).map_err(anyhow::Error::msg)?,
            None => Vec::new(),
        },
        ..IngestOptions::default()
    })
}

/// Reports each source's state changes, and new errors (checked every second, as listeners
/// keep their state while clients or upstreams fail), on standard error.
fn log_states(statuses: &[Arc<SourceStatus>]) {
    for s in statuses {
        let s = Arc::clone(s);
        tokio::spawn(async move {
            let mut rx = s.subscribe();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let mut last_error = None;
            let mut changed = true;
            loop {
                if changed {
                    let state = rx.borrow_and_update().clone();
                    eprintln!(
                        "ecapi-scope: {}: {}",
                        safe(&s.label),
                        safe(&state.describe())
                    );
                }
                let error = s.last_error();
                if error.is_some() && error != last_error {
                    eprintln!(
                        "ecapi-scope: {}: {}",
                        safe(&s.label),
                        safe(error.as_deref().unwrap_or(""))
                    );
                    last_error = error;
                }
                tokio::select! {
                    r = rx.changed() => {
                        if r.is_err() {
                            return;
                        }
                        changed = true;
                    }
                    _ = tick.tick() => changed = false,
                }
            }
        });
    }
}

/// A capture that is also a followed source would read its own lines back forever.
fn refuse_capture_loop(capture: &std::path::Path, specs: &[SourceSpec]) -> Result<()> {
    let same = |p: &std::path::Path| {
        let canon = |x: &std::path::Path| std::fs::canonicalize(x).ok();
        p == capture || (canon(p).is_some() && canon(p) == canon(capture))
    };
    if specs
        .iter()
        .any(|s| matches!(s, SourceSpec::File(p) if same(p)))
    {
        bail!(
            "--capture {} is also a source: it would read its own lines back",
            capture.display()
        );
    }
    Ok(())
}

pub fn run(args: &WatchArgs, settings: &Settings) -> Result<()> {
    ingest::init_tls();
    let specs = args
        .sources
        .iter()
        .map(|s| SourceSpec::parse(s).map_err(anyhow::Error::msg))
        .collect::<Result<Vec<_>>>()?;
    let opts = Arc::new(options(args, settings)?);
    for spec in &specs {
        ingest::check_bind(spec, &opts).map_err(anyhow::Error::msg)?;
    }
    anyhow::ensure!(u16::try_from(specs.len()).is_ok(), "too many sources");
    let duration = match &args.duration {
        Some(d) => Some(
            parse_duration(d)
                .with_context(|| format!("--duration: expected a duration like 30s, got {d:?}"))?,
        ),
        None => None,
    };
    let statuses: Vec<Arc<SourceStatus>> = args
        .sources
        .iter()
        .map(|s| Arc::new(SourceStatus::new(s)))
        .collect();
    if let Some(path) = &args.capture {
        refuse_capture_loop(path, &specs)?;
    }
    let (capture, capture_problem) = match &args.capture {
        Some(path) => match Capture::open(path) {
            Ok(c) => (Some(c), None),
            Err(e) => {
                let message = format!(
                    "cannot write the capture {}: {e}; events are processed but not captured",
                    path.display()
                );
                eprintln!("ecapi-scope: {}", safe(&message));
                (None, Some(message))
            }
        },
        None => (None, None),
    };
    let out: Box<dyn Output> = match args.format {
        WatchFormat::Ndjson => Box::new(Printer {
            out: BufWriter::with_capacity(256 * 1024, io::stdout()),
            labels: args.sources.clone(),
            failed: false,
        }),
        WatchFormat::None => Box::new(NoOutput),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let (tx, rx) = mpsc::channel(opts.queue);
    let mut hub = Hub::new(settings, capture, &statuses, out, args.max_events);
    if let Some(message) = capture_problem {
        hub.capture_unavailable(message);
    }
    let hub_thread = std::thread::Builder::new()
        .name("hub".into())
        .spawn(move || hub.run(rx))?;
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let watcher = std::thread::spawn(move || {
        let joined = hub_thread.join();
        let _ = done_tx.send(());
        joined
    });
    rt.block_on(async {
        // Registered before any source runs, so an early Ctrl-C or TERM is not lost.
        let mut interrupt = signal(SignalKind::interrupt())?;
        let mut terminate = signal(SignalKind::terminate())?;
        for (i, spec) in specs.into_iter().enumerate() {
            let ctx = Ctx {
                id: i as u16,
                status: Arc::clone(&statuses[i]),
                tx: tx.clone(),
                opts: Arc::clone(&opts),
            };
            ingest::spawn(spec, ctx);
        }
        drop(tx);
        if !args.quiet {
            log_states(&statuses);
        }
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
            _ = done_rx => {}
        }
        Ok::<(), io::Error>(())
    })?;
    // Ending the runtime drops every source (and their senders): the hub drains and returns.
    opts.stop.store(true, std::sync::atomic::Ordering::Relaxed);
    rt.shutdown_timeout(Duration::from_secs(2));
    let Ok(Ok((summary, _engine))) = watcher.join() else {
        bail!("the hub stopped unexpectedly")
    };
    if args.stats {
        let sources: Vec<_> = statuses.iter().map(|s| s.snapshot()).collect();
        let stats = serde_json::json!({"hub": summary, "sources": sources});
        eprintln!("{}", crate::jsontext::escape_unsafe(&stats.to_string()));
    }
    if let Some(e) = &summary.capture_error {
        eprintln!("ecapi-scope: {}", safe(e));
    }
    Ok(())
}
