//! A running set of live sources, the hub and the capture: what `watch` and the TUI share, so
//! that they start, report and stop sources the same way. The output is theirs (a printer, the
//! TUI's sink); everything else is built here from the same flags.

use crate::cli::{LimitFlags, SourceArgs};
use crate::config::Settings;
use crate::engine::Committer;
use crate::ingest::capture::Capture;
use crate::ingest::hub::{Hub, HubSummary, Output};
use crate::ingest::limits::Limits;
use crate::ingest::spec::SourceSpec;
use crate::ingest::status::SourceStatus;
use crate::ingest::{self, Ctx, IngestOptions, Record};
use crate::output::safe::safe;
use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

type HubResult = std::thread::Result<(HubSummary, Committer)>;

/// Sources, hub and capture, running.
pub struct Pipeline {
    rt: tokio::runtime::Runtime,
    pub statuses: Vec<Arc<SourceStatus>>,
    pub opts: Arc<IngestOptions>,
    specs: Vec<SourceSpec>,
    tx: Option<mpsc::Sender<Vec<Record>>>,
    lane: Option<ingest::hub::Lane>,
    /// HTTP listeners, which finish their answers when stopped.
    servers: Vec<tokio::task::JoinHandle<()>>,
    watcher: JoinHandle<HubResult>,
    done: Option<oneshot::Receiver<()>>,
    /// The capture file, and why it could not be opened (events are processed anyway).
    pub capture: Option<PathBuf>,
    pub capture_problem: Option<String>,
}

/// `Name: value` or `Name: env:VAR`.
pub fn parse_header(text: &str) -> Result<(String, String)> {
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

pub fn options(args: &SourceArgs, settings: &Settings) -> Result<IngestOptions> {
    let token = match &args.token_env {
        Some(var) => {
            let t = std::env::var(var)
                .with_context(|| format!("--token-env: environment variable {var} is not set"))?;
            anyhow::ensure!(
                !t.is_empty(),
                "--token-env: environment variable {var} is empty: every request would be answered 401"
            );
            Some(t)
        }
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
        limits: limits(&args.limits)?,
        kafka: kafka_settings(settings, &args.kafka)?,
        ..IngestOptions::default()
    })
}

/// Kafka client properties: the config file's `[kafka]` table, its secret read from the
/// environment variable it names, then `-X`.
fn kafka_settings(settings: &Settings, x: &[String]) -> Result<Vec<(String, String)>> {
    let mut props = settings.kafka.properties().map_err(anyhow::Error::msg)?;
    props.extend(ingest::kafka::parse_props(x).map_err(anyhow::Error::msg)?);
    Ok(props)
}

fn limits(flags: &LimitFlags) -> Result<Limits> {
    let duration = |flag: &str, text: &str| {
        crate::engine::time::parse_duration(text)
            .filter(|d| !d.is_zero())
            .with_context(|| {
                format!("--{flag}: expected a duration like 30s or 500ms, got {text:?}")
            })
    };
    Ok(Limits {
        max_connections: flags.max_connections as usize,
        idle_timeout: duration("idle-timeout", &flags.idle_timeout)?,
        header_timeout: duration("header-timeout", &flags.header_timeout)?,
        body_timeout: duration("body-timeout", &flags.body_timeout)?,
        inflight_bytes: flags.inflight_bytes,
    })
}

/// A capture that is also a followed source would read its own lines back forever.
fn refuse_capture_loop(capture: &Path, specs: &[SourceSpec]) -> Result<()> {
    let same = |p: &Path| {
        let canon = |x: &Path| std::fs::canonicalize(x).ok();
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

impl Pipeline {
    /// Parses and checks the sources, opens the capture and starts the hub; the sources start
    /// with [`Pipeline::spawn_sources`], once the caller is ready (signals registered).
    pub fn new(
        sources: &[String],
        args: &SourceArgs,
        settings: &Settings,
        out: Box<dyn Output>,
        max_events: Option<u64>,
    ) -> Result<Pipeline> {
        let opts = options(args, settings)?;
        Pipeline::build(
            sources,
            opts,
            args.capture.as_deref(),
            settings,
            out,
            max_events,
        )
    }

    /// A pipeline with options made by the caller (`check` over bounded live sources).
    pub fn with_options(
        sources: &[String],
        opts: IngestOptions,
        settings: &Settings,
        out: Box<dyn Output>,
    ) -> Result<Pipeline> {
        Pipeline::build(sources, opts, None, settings, out, None)
    }

    /// A pipeline whose endpoint is `serve`'s sandbox (faults, latency, a line per request).
    pub fn with_sandbox(
        sources: &[String],
        args: &SourceArgs,
        settings: &Settings,
        out: Box<dyn Output>,
        sandbox: Arc<crate::ingest::sandbox::Sandbox>,
    ) -> Result<Pipeline> {
        let mut opts = options(args, settings)?;
        opts.sandbox = Some(sandbox);
        Pipeline::build(sources, opts, args.capture.as_deref(), settings, out, None)
    }

    fn build(
        sources: &[String],
        opts: IngestOptions,
        capture: Option<&Path>,
        settings: &Settings,
        out: Box<dyn Output>,
        max_events: Option<u64>,
    ) -> Result<Pipeline> {
        ingest::init_tls();
        let specs = sources
            .iter()
            .map(|s| SourceSpec::parse(s).map_err(anyhow::Error::msg))
            .collect::<Result<Vec<_>>>()?;
        let opts = Arc::new(opts);
        for spec in &specs {
            ingest::check_bind(spec, &opts).map_err(anyhow::Error::msg)?;
        }
        anyhow::ensure!(u16::try_from(specs.len()).is_ok(), "too many sources");
        let statuses: Vec<Arc<SourceStatus>> = sources
            .iter()
            .map(|s| Arc::new(SourceStatus::new(s)))
            .collect();
        if let Some(path) = capture {
            refuse_capture_loop(path, &specs)?;
        }
        let capture_path = capture.map(Path::to_path_buf);
        let (capture, capture_problem) = match capture {
            Some(path) => match Capture::open(path) {
                Ok(c) => (Some(c), None),
                Err(e) => (
                    None,
                    Some(format!(
                        "cannot write the capture {}: {e}; HTTP senders are answered 500, other sources' events are processed but not captured",
                        path.display()
                    )),
                ),
            },
            None => (None, None),
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()?;
        let (tx, rx) = mpsc::channel(opts.queue);
        let mut hub = Hub::new(settings, capture, &statuses, out, max_events);
        if let Some(message) = &capture_problem {
            hub.capture_unavailable(message.clone());
        }
        let lane = hub.lane();
        let hub_thread = std::thread::Builder::new()
            .name("hub".into())
            .spawn(move || hub.run(rx))?;
        let (done_tx, done_rx) = oneshot::channel();
        let watcher = std::thread::spawn(move || {
            let joined = hub_thread.join();
            let _ = done_tx.send(());
            joined
        });
        Ok(Pipeline {
            rt,
            statuses,
            opts,
            specs,
            tx: Some(tx),
            lane,
            servers: Vec::new(),
            watcher,
            done: Some(done_rx),
            capture: capture_path,
            capture_problem,
        })
    }

    pub fn runtime(&self) -> &tokio::runtime::Runtime {
        &self.rt
    }

    /// Starts every source's task.
    pub fn spawn_sources(&mut self) {
        let Some(tx) = self.tx.take() else {
            return;
        };
        let lane = self.lane.take();
        let _guard = self.rt.enter();
        // A capture that reaches the file-size limit (`ulimit -f`) must fail its write
        // (EFBIG, answered 500 and reported) rather than kill the process: SIGXFSZ gets a
        // handler, which makes the kernel return the error instead.
        let _ =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::from_raw(libc::SIGXFSZ));
        for (i, spec) in std::mem::take(&mut self.specs).into_iter().enumerate() {
            let ctx = Ctx {
                id: i as u16,
                status: Arc::clone(&self.statuses[i]),
                tx: tx.clone(),
                opts: Arc::clone(&self.opts),
                lane: matches!(spec, SourceSpec::HttpListen { .. })
                    .then(|| lane.clone())
                    .flatten(),
            };
            let answers = matches!(
                spec,
                SourceSpec::HttpListen { .. } | SourceSpec::Proxy { .. }
            );
            let handle = ingest::spawn(spec, ctx);
            if answers {
                self.servers.push(handle);
            }
        }
    }

    /// Resolves when the hub has stopped (every source ended, or the output closed).
    pub fn hub_done(&mut self) -> oneshot::Receiver<()> {
        self.done.take().unwrap_or_else(|| oneshot::channel().1)
    }

    /// Stops the sources, lets the hub drain and returns what it did.
    pub fn stop(mut self) -> Result<(HubSummary, Committer)> {
        self.opts
            .stop
            .store(true, std::sync::atomic::Ordering::Relaxed);
        self.opts.shutdown.send_replace(true);
        let servers = std::mem::take(&mut self.servers);
        self.rt.block_on(async {
            let all = futures_util::future::join_all(servers);
            let _ = tokio::time::timeout(Duration::from_secs(2), all).await;
        });
        drop(self.tx);
        self.rt.shutdown_timeout(Duration::from_secs(2));
        match self.watcher.join() {
            Ok(Ok(done)) => Ok(done),
            _ => bail!("the hub stopped unexpectedly"),
        }
    }
}

/// Reports each source's state changes, and new errors (checked every second, as listeners
/// keep their state while clients or upstreams fail), on standard error.
pub fn log_states(rt: &tokio::runtime::Runtime, statuses: &[Arc<SourceStatus>]) {
    let sink: Notices = Arc::new(|label: &str, text: &str| {
        eprintln!("ecapi-scope: {}: {}", safe(label), safe(text));
    });
    log_states_to(rt, statuses, &sink);
}

/// Where state changes, new errors and refused requests are said: `(source, text)`.
pub type Notices = Arc<dyn Fn(&str, &str) + Send + Sync>;

/// As [`log_states`], to `sink`; also says, each second, how many requests were refused since
/// the last time, by status.
pub fn log_states_to(rt: &tokio::runtime::Runtime, statuses: &[Arc<SourceStatus>], sink: &Notices) {
    for s in statuses {
        let s = Arc::clone(s);
        let sink = Arc::clone(sink);
        rt.spawn(async move {
            let mut rx = s.subscribe();
            let mut tick = tokio::time::interval(Duration::from_secs(1));
            let mut last_error = None;
            let mut refused: Vec<(u16, u64)> = Vec::new();
            let mut changed = true;
            loop {
                if changed {
                    let state = rx.borrow_and_update().clone();
                    sink(&s.label, &state.describe());
                }
                let error = s.last_error();
                let said = error.is_some() && error != last_error;
                if said {
                    sink(&s.label, error.as_deref().unwrap_or(""));
                    last_error = error;
                }
                let now = s.refusals();
                // One refusal is told by its error line; more are counted.
                if let Some((text, n)) = refused_since(&refused, &now) {
                    if n > 1 || !said {
                        sink(&s.label, &text);
                    }
                }
                refused = now;
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

/// `answered requests with 401 ×2, 404 ×1` for the refusals since `before`, and how many.
fn refused_since(before: &[(u16, u64)], now: &[(u16, u64)]) -> Option<(String, u64)> {
    let mut total = 0;
    let parts: Vec<String> = now
        .iter()
        .filter_map(|(code, n)| {
            let was = before
                .iter()
                .find(|(c, _)| c == code)
                .map_or(0, |(_, k)| *k);
            total += n.saturating_sub(was);
            (*n > was).then(|| format!("{code} ×{}", n - was))
        })
        .collect();
    (!parts.is_empty()).then(|| {
        (
            format!("answered requests with {}", parts.join(", ")),
            total,
        )
    })
}

/// Says on standard error which sources failed, and why; whether any did.
pub fn report_failed(statuses: &[Arc<SourceStatus>]) -> bool {
    let mut failed = false;
    for s in statuses {
        if let crate::ingest::status::SourceState::Failed(reason) = s.state() {
            eprintln!("ecapi-scope: {} failed: {}", safe(&s.label), safe(&reason));
            failed = true;
        }
    }
    failed
}
