//! `ecapi-scope replay`: inputs → requests → the receiver, with a progress bar on a terminal,
//! one NDJSON line per request on request, and a summary. Exit 0 only when every event was
//! accepted, 1 otherwise, 2 for usage or I/O errors (`Err`).

use super::prepare::{prepare, Prepared, Shaping};
use super::report::Report;
use super::send::{Exchange, SendConfig, Sender};
use super::summary::Summary;
use super::target::{Secret, Target};
use crate::cli::{ReplayArgs, ReplayFormat};
use crate::config::Settings;
use crate::engine::time::parse_duration;
use anyhow::{bail, Context, Result};
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Where a replay goes when neither `--to` nor the config says: `serve`'s default address.
pub const DEFAULT_TARGET: &str = "http://127.0.0.1:4391/";

/// Where a replay goes: the flag, else `[replay] to`, else [`DEFAULT_TARGET`].
pub fn target_of<'a>(flag: Option<&'a str>, settings: &'a Settings) -> &'a str {
    flag.or(settings.replay.to.as_deref())
        .unwrap_or(DEFAULT_TARGET)
}

/// Says `text` on standard error; a closed standard error is not a reason to fail.
pub fn say(text: &str) {
    let _ = writeln!(io::stderr(), "ecapi-scope: {text}");
}

/// Headers that frame the request: the client sets them, a flag never may.
const FRAMING: &[&str] = &[
    "content-length",
    "transfer-encoding",
    "host",
    "connection",
    "upgrade",
    "te",
    "trailer",
    "keep-alive",
    "proxy-connection",
];

/// Header names whose values are secrets: masked wherever headers are shown.
pub fn is_secret_header(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    [
        "authorization",
        "cookie",
        "token",
        "secret",
        "key",
        "password",
        "signature",
    ]
    .iter()
    .any(|s| n.contains(s))
}

/// Runs the command; `Ok(true)` when every event was accepted.
pub fn run(args: &ReplayArgs, settings: &Settings) -> Result<bool> {
    let cfg = send_config(args, settings)?;
    let filter = match &args.filter {
        Some(t) => {
            Some(crate::filter::Filter::parse(t).with_context(|| format!("--filter {t:?}"))?)
        }
        None => None,
    };
    if args.inputs.iter().any(|p| {
        let p = p.to_string_lossy();
        p.contains("://") || p.starts_with("file:")
    }) {
        let target = cfg.target.shown();
        let Some(summary) = send_live(args, settings, cfg, filter)? else {
            bail!("a source failed (said above)");
        };
        quiet_pipe(print_summary(args, &summary, &target))?;
        return Ok(summary.all_accepted());
    }
    anyhow::ensure!(
        args.envelope_key.as_deref() != Some(""),
        "--envelope-key: an empty key"
    );
    let now_ms = crate::ingest::now_ms();
    let loaded = super::load(&args.inputs, settings, now_ms);
    if !loaded.errors.is_empty() {
        bail!("{}", loaded.errors.join("; "));
    }
    let shaping = Shaping {
        ids: args.ids,
        shift_to: args.shift_timestamps.then_some(now_ms.div_euclid(1000)),
        send_invalid: args.send_invalid,
        batch_size: args.batch_size as usize,
        envelope_key: args
            .envelope_key
            .clone()
            .unwrap_or_else(|| settings.engine.walk.batch_key.clone()),
        now: now_ms.div_euclid(1000),
        seed: args.seed,
    };
    let mut prepared = prepare(&loaded.records, &settings.engine, filter.as_ref(), &shaping);
    drop(loaded.records);
    report_held(&prepared);
    if args.dry_run {
        dry_run(&cfg, &prepared)?;
        return Ok(prepared.held.is_empty());
    }
    let target = cfg.target.shown();
    let mut summary = send(args, cfg, &mut prepared)?;
    summary.too_long = loaded.too_long;
    quiet_pipe(print_summary(args, &summary, &target))?;
    Ok(summary.all_accepted())
}

/// A reader that went away (`| head`) does not change what the replay did: its exit status
/// still says whether every event was accepted.
fn quiet_pipe(r: Result<()>) -> Result<()> {
    match r {
        Err(e) if crate::output::is_broken_pipe(&e) => Ok(()),
        other => other,
    }
}

fn print_summary(args: &ReplayArgs, summary: &Summary, target: &str) -> Result<()> {
    let text = summary.to_text(target);
    match args.format {
        ReplayFormat::Text => io::stdout().write_all(text.as_bytes())?,
        ReplayFormat::Ndjson => {
            let _ = io::stderr().write_all(text.as_bytes());
        }
        ReplayFormat::Json => {
            let mut v = summary.to_json();
            v["target"] = target.into();
            let text = crate::jsontext::escape_unsafe(&v.to_string()).into_owned();
            writeln!(io::stdout(), "{text}")?;
        }
    }
    Ok(())
}

fn duration(flag: &str, text: &str) -> Result<Duration> {
    parse_duration(text)
        .with_context(|| format!("--{flag} {text:?}: expected a duration like 10s or 500ms"))
}

/// The target (allow-listed before anything is read or sent), the token and the limits.
fn send_config(args: &ReplayArgs, settings: &Settings) -> Result<SendConfig> {
    let to = target_of(args.to.as_deref(), settings);
    let mut cfg = send_config_for(
        to,
        settings,
        args.token_env.as_deref(),
        args.concurrency as usize,
    )?;
    for h in &args.headers {
        let (k, v) = crate::live::parse_header(h)?;
        check_header(&k, &v)?;
        if h.split_once(':')
            .is_some_and(|(_, v)| v.trim().starts_with("env:"))
        {
            cfg.secret_headers.push(k.clone());
        }
        cfg.headers.push((k, v));
    }
    if let Some(rate) = args.rate {
        anyhow::ensure!(rate > 0.0 && rate.is_finite(), "--rate must be more than 0");
    }
    cfg.rate = args.rate;
    cfg.retries = args.retries;
    cfg.timeout = duration("timeout", &args.timeout)?;
    cfg.backoff = duration("backoff", &args.backoff)?;
    cfg.max_backoff = duration("max-backoff", &args.max_backoff)?;
    cfg.max_wait = duration("max-wait", &args.max_wait)?;
    anyhow::ensure!(!cfg.timeout.is_zero(), "--timeout must be more than 0");
    anyhow::ensure!(
        cfg.max_backoff >= cfg.backoff,
        "--max-backoff {} is less than --backoff {}",
        args.max_backoff,
        args.backoff
    );
    Ok(cfg)
}

fn check_header(k: &str, v: &str) -> Result<()> {
    anyhow::ensure!(
        !FRAMING.contains(&k.to_ascii_lowercase().as_str()),
        "header {k:?} frames the request and is set by ecapi-scope itself; it cannot be given"
    );
    reqwest::header::HeaderName::from_bytes(k.as_bytes())
        .with_context(|| format!("header {k:?}: not a valid header name"))?;
    reqwest::header::HeaderValue::from_str(v)
        .with_context(|| format!("header {k}: the value is not a valid header value"))?;
    Ok(())
}

/// What a replay to `to` sends with, from the config (`[replay]`: allow-list, token,
/// headers) and `token_env` (a flag, over the config): the defaults of every limit.
pub fn send_config_for(
    to: &str,
    settings: &Settings,
    token_env: Option<&str>,
    concurrency: usize,
) -> Result<SendConfig> {
    let r = &settings.replay;
    let target = Target::parse(to, &r.allow).map_err(anyhow::Error::msg)?;
    let from_env = |var: &str| -> Result<Secret> {
        let t = std::env::var(var)
            .with_context(|| format!("--token-env: environment variable {var} is not set"))?;
        anyhow::ensure!(
            !t.is_empty(),
            "--token-env: environment variable {var} is empty: no token would be sent"
        );
        Ok(Secret::new(t, format!("${var}")))
    };
    let token = match (token_env, r.token_env.as_deref(), &r.token) {
        (Some(var), _, _) | (None, Some(var), _) => Some(from_env(var)?),
        (None, None, Some(t)) => {
            warn_if_readable(settings.path.as_deref());
            Some(Secret::new(t.clone(), "the config file".into()))
        }
        (None, None, None) => None,
    };
    let headers: Vec<(String, String)> = r
        .headers
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    for (k, v) in &headers {
        check_header(k, v)?;
    }
    Ok(SendConfig {
        target,
        token,
        headers,
        secret_headers: Vec::new(),
        rate: None,
        concurrency,
        retries: 5,
        timeout: Duration::from_secs(10),
        backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(10),
        max_wait: Duration::from_secs(60),
    })
}

/// A token in a config file others can read is a leaked token: say so.
fn warn_if_readable(path: Option<&str>) {
    use std::os::unix::fs::PermissionsExt;
    let Some(path) = path else { return };
    if let Ok(m) = std::fs::metadata(path) {
        if m.permissions().mode() & 0o077 != 0 {
            say(&format!(
                "warning: {path} holds a replay token and others can read it \
                 (chmod 600 {path}, or use token_env)"
            ));
        }
    }
}

fn report_held(p: &Prepared) {
    const SHOWN: usize = 5;
    for h in p.held.iter().take(SHOWN) {
        let why = h.finding.as_ref().map_or(String::new(), |f| {
            format!(
                ": {} ({})",
                f.code.name(),
                crate::output::safe::safe_short(&f.message.text(), 120)
            )
        });
        let at = match h.origin.index {
            Some(i) => format!("line {} (event {i})", h.origin.line),
            None => format!("line {}", h.origin.line),
        };
        say(&format!(
            "held back {at} of input {}: {}{why}",
            h.origin.input + 1,
            h.status.name()
        ));
    }
    if p.held.len() > SHOWN {
        say(&format!("… and {} more held back", p.held.len() - SHOWN));
    }
    if !p.held.is_empty() {
        say("invalid events are not sent; --send-invalid sends them");
    }
}

/// Each request as it would go, secrets masked; nothing is sent.
fn dry_run(cfg: &SendConfig, p: &Prepared) -> Result<()> {
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    for r in &p.requests {
        writeln!(out, "POST {} HTTP/1.1", cfg.target.shown())?;
        writeln!(out, "content-type: application/json")?;
        writeln!(out, "accept: application/json")?;
        if let Some(t) = &cfg.token {
            writeln!(out, "authorization: Bearer {t}")?;
        } else if !cfg.target.url().username().is_empty() {
            writeln!(out, "authorization: Basic **** (from the URL)")?;
        }
        for (k, v) in &cfg.headers {
            let masked = is_secret_header(k) || cfg.secret_headers.iter().any(|h| h == k);
            let v = if masked { "****" } else { v };
            writeln!(
                out,
                "{}: {}",
                k.to_ascii_lowercase(),
                crate::output::safe::safe(v)
            )?;
        }
        let body = String::from_utf8_lossy(&r.body);
        writeln!(out, "\n{}\n", crate::output::safe::safe(&body))?;
    }
    out.flush()?;
    say(&format!(
        "dry run: {} requests, {} events, nothing sent",
        p.requests.len(),
        p.events()
    ));
    Ok(())
}

/// Sends every request; stops starting new ones on INT or TERM.
fn send(args: &ReplayArgs, cfg: SendConfig, p: &mut Prepared) -> Result<Summary> {
    let rt = runtime()?;
    let sender = Arc::new(Sender::new(cfg).map_err(anyhow::Error::msg)?);
    let bodies: Vec<_> = p
        .requests
        .iter_mut()
        .enumerate()
        .map(|(i, r)| (i, std::mem::take(&mut r.body), r.events.len()))
        .collect();
    let total = p.events() as u64;
    let mut report = Report::new(
        args.format == ReplayFormat::Ndjson,
        !args.no_progress,
        Some(total),
    );
    let started = Instant::now();
    let requests = &p.requests;
    let on = &mut |x: Exchange| report.add(&x, &requests[x.request]);
    let flag = Arc::clone(&sender.stop);
    let begun = rt.block_on(async move {
        let watch = tokio::spawn(stopped(flag));
        let begun = sender.send_all(bodies, on).await;
        watch.abort();
        begun
    });
    let mut summary = report.finish(started.elapsed())?;
    summary.held_invalid = p.held.len() as u64;
    summary.filtered_out = p.filtered_out;
    summary.not_sent += p.requests[begun..]
        .iter()
        .map(|r| r.events.len() as u64)
        .sum::<u64>();
    Ok(summary)
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

/// Sets `flag` on INT or TERM.
async fn stopped(flag: Arc<AtomicBool>) {
    use tokio::signal::unix::{signal, SignalKind};
    let (Ok(mut int), Ok(mut term)) = (
        signal(SignalKind::interrupt()),
        signal(SignalKind::terminate()),
    ) else {
        return;
    };
    tokio::select! {
        _ = int.recv() => {}
        _ = term.recv() => {}
    }
    flag.store(true, Ordering::Relaxed);
}

/// Replays live sources (anything with `://`, and `file:PATH`) as their events arrive, until they end
/// (files with `--no-follow`) or INT/TERM. `Ok(None)` when a source failed.
fn send_live(
    args: &ReplayArgs,
    settings: &Settings,
    cfg: SendConfig,
    filter: Option<crate::filter::Filter>,
) -> Result<Option<Summary>> {
    use super::stream::{dispatch, source_args, Counts, Feed};
    anyhow::ensure!(
        !args.shift_timestamps && args.batch_size == 1 && !args.dry_run,
        "--shift-timestamps, --batch-size and --dry-run need files: live sources send each \
         event as it comes"
    );
    let sources: Vec<String> = args
        .inputs
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let counts = Arc::new(Counts::default());
    let (tx, rx) = tokio::sync::mpsc::channel(super::stream::QUEUED);
    let feed = Feed {
        tx,
        filter,
        ids: args.ids,
        send_invalid: args.send_invalid,
        elements: crate::jsontext::BatchElements::new(&settings.engine.walk.batch_key),
        counts: Arc::clone(&counts),
        rng: args
            .seed
            .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed),
    };
    let source_args = source_args(args.no_follow).map_err(anyhow::Error::msg)?;
    let mut pipeline =
        crate::live::Pipeline::new(&sources, &source_args, settings, Box::new(feed), None)?;
    let rt = runtime()?;
    let concurrency = cfg.concurrency;
    let sender = Arc::new(Sender::new(cfg).map_err(anyhow::Error::msg)?);
    let stop = Arc::clone(&sender.stop);
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    rt.spawn(stopped(Arc::clone(&stop)));
    rt.spawn(dispatch(
        rx,
        sender,
        concurrency,
        Arc::clone(&counts),
        done_tx,
    ));
    pipeline.spawn_sources();
    crate::live::log_states(pipeline.runtime(), &pipeline.statuses);
    let mut report = Report::new(args.format == ReplayFormat::Ndjson, !args.no_progress, None);
    let started = Instant::now();
    for (x, request) in done_rx {
        report.add(&x, &request);
    }
    let statuses = pipeline.statuses.clone();
    pipeline.stop()?;
    let mut summary = report.finish(started.elapsed())?;
    summary.held_invalid = counts.held.load(Ordering::Relaxed);
    summary.filtered_out = counts.filtered_out.load(Ordering::Relaxed);
    summary.not_sent += counts.not_sent.load(Ordering::Relaxed);
    let held = summary.held_invalid;
    if held > 5 {
        say(&format!("… and {} more held back", held - 5));
    }
    if held > 0 {
        say("invalid events are not sent; --send-invalid sends them");
    }
    Ok((!crate::live::report_failed(&statuses)).then_some(summary))
}
