//! The terminal UI: sets up sources, the terminal and the producer threads, then runs the one
//! loop that owns the app — drain every message, update, draw at most once a frame. The
//! terminal is restored on quit, on panic and on INT/TERM/HUP.

mod detail;
mod duplicates;
mod effects;
mod funnel;
mod help;
pub mod highlight;
mod list;
mod live;
mod problems;
mod replay;
mod sources;
mod term;
pub mod text;
pub mod theme;
pub mod views;

use crate::app::keymap::Keymap;
use crate::app::sink::{Feed, TuiSink};
use crate::app::{App, Effect, Msg, Setup, SourceView};
use crate::cli::TuiArgs;
use crate::config::Settings;
use crate::filter::Filter;
use crate::ingest::status::SourceState;
use crate::live::Pipeline;
use anyhow::{bail, Context, Result};
use ratatui::crossterm::event;
use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::sync::atomic::Ordering;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};
use theme::Theme;

const FRAME: Duration = Duration::from_millis(16);
const TICK: Duration = Duration::from_millis(250);
const MAX_WAIT: Duration = Duration::from_millis(33);

/// A valid event for the embedded endpoint, timestamped now.
pub fn curl_line(addr: &str, now_secs: i64) -> String {
    use crate::ecapi::normalize::{normalize, sha256_hex, HashField};
    let email = sha256_hex(&normalize(HashField::Email, "you@example.com"));
    // Lines under 100 columns, broken between JSON members (white space to JSON, so the
    // command pastes into a shell as it is shown).
    format!(
        "curl -sS http://{addr}/ -H 'Content-Type: application/json' -d '{{\n  \"data_set_id\": \"my-shop\", \"id\": \"order-1001\", \"timestamp\": {now_secs},\n  \"event_type\": \"purchase\", \"value\": 42.5, \"currency_code\": \"USD\", \"source\": \"website\",\n  \"user_data\": {{\"email_address\": [\n    \"{email}\"]}}}}'"
    )
}

fn now_ms() -> i64 {
    crate::ingest::now_ms()
}

/// Runs the TUI until the user quits or a signal comes.
pub fn run(args: &TuiArgs, settings: &Settings) -> Result<ExitCode> {
    let keymap = Keymap::with_overrides(&settings.keys).map_err(|e| match &settings.path {
        Some(p) => anyhow::anyhow!("config file {p}: {e}"),
        None => anyhow::anyhow!(e),
    })?;
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme_choice = args.theme.as_deref().or(settings.theme.as_deref());
    let theme = Theme::load(theme_choice, no_color).map_err(anyhow::Error::msg)?;
    let filter = match &args.filter {
        Some(text) => Some(Filter::parse(text).with_context(|| format!("--filter {text:?}"))?),
        None => None,
    };
    if !std::io::stdout().is_terminal() {
        let commands: Vec<String> = <crate::cli::Cli as clap::CommandFactory>::command()
            .get_subcommands()
            .map(|c| c.get_name().to_owned())
            .filter(|n| n != "help")
            .collect();
        bail!(
            "the terminal UI needs a terminal; for scripts and pipes use a command ({}), e.g. `ecapi-scope watch SOURCE...` (ecapi-scope --help)",
            commands.join(", ")
        );
    }
    let embedded = args.sources.is_empty();
    if args.demo && !embedded {
        bail!("--demo feeds the embedded endpoint: give no source with it");
    }
    let sources = if embedded {
        vec![format!("http-listen://{}", args.listen)]
    } else {
        args.sources.clone()
    };
    let replay_setup = replay_target(args, settings)?;
    let (sink, feed) = TuiSink::new(&sources, &settings.engine.walk.batch_key);
    let mut pipeline = Pipeline::new(&sources, &args.source, settings, Box::new(sink), None)?;
    let setup = Setup {
        curl: embedded.then(|| curl_line(&args.listen, now_ms() / 1000)),
        embedded: embedded.then(|| args.listen.clone()),
        capture: args
            .source
            .capture
            .as_ref()
            .map(|p| p.display().to_string()),
        capture_problem: pipeline.capture_problem.clone(),
        demo: args.demo,
        replay: replay_setup.0.clone(),
        engine: settings.engine.clone(),
    };
    let (ctl_tx, ctl_rx) = mpsc::channel::<Msg>();
    watch_signals(&pipeline, &ctl_tx)?;
    pipeline.spawn_sources();
    if args.demo {
        start_demo(&pipeline, args.demo_rate);
    }
    let mut app = App::new(setup, keymap, args.keep);
    app.set_filter(filter);
    let mut frames = FrameLog::new(args.frame_log.clone());
    let outcome = {
        let mut terminal = term::Terminal::enter()?;
        let gate = Arc::new(effects::InputGate::default());
        spawn_input(ctl_tx.clone(), Arc::clone(&gate));
        let runner = effects::Effects::new(
            replay_setup.1,
            ctl_tx.clone(),
            pipeline.runtime().handle().clone(),
            gate,
        );
        let (job_tx, job_rx) = mpsc::channel();
        let hl_tx = ctl_tx.clone();
        std::thread::Builder::new()
            .name("highlight".into())
            .spawn(move || highlight::worker(&job_rx, &hl_tx))?;
        let size = terminal.size()?;
        app.update(Msg::Resize(size.width, size.height));
        let looped = main_loop(
            &mut app,
            &mut terminal,
            &theme,
            &feed,
            &ctl_rx,
            &job_tx,
            &pipeline,
            &mut frames,
            &runner,
        );
        drop(terminal);
        looped
    };
    let problem = views::port_problem(&app);
    let statuses = pipeline.statuses.clone();
    let stopped = pipeline.stop();
    frames.finish(&app, feed.dropped.load(Ordering::Relaxed));
    outcome?;
    stopped?;
    if let Some(p) = problem {
        eprintln!("ecapi-scope: {p}");
    }
    for s in &statuses {
        if let SourceState::Failed(reason) = s.state() {
            eprintln!(
                "ecapi-scope: {}: failed: {}",
                crate::output::safe::safe(&s.label),
                crate::output::safe::safe(&reason)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Where `r` sends: `--replay-to`, else the config's `[replay] to`, else `serve`'s address;
/// checked against the allow-list now, so that `r` can say why it will not send.
fn replay_target(
    args: &TuiArgs,
    settings: &Settings,
) -> Result<(
    crate::app::ReplaySetup,
    Option<Arc<crate::replay::send::Sender>>,
)> {
    use crate::replay::command::{send_config_for, target_of};
    let r = &settings.replay;
    let to = target_of(args.replay_to.as_deref(), settings);
    let token_env = r.token_env.clone();
    let token_in_config = r.token_env.is_none() && r.token.is_some();
    match send_config_for(to, settings, None, 4) {
        Ok(cfg) => {
            let shown = cfg.target.shown();
            let sender = crate::replay::send::Sender::new(cfg).map_err(anyhow::Error::msg)?;
            let setup = crate::app::ReplaySetup {
                target: Some(shown),
                refusal: None,
                token_env,
                token_in_config,
            };
            Ok((setup, Some(Arc::new(sender))))
        }
        Err(e) => {
            let setup = crate::app::ReplaySetup {
                target: Some(to.to_owned()),
                refusal: Some(format!("{e:#}")),
                token_env,
                token_in_config,
            };
            Ok((setup, None))
        }
    }
}

/// INT, TERM and HUP end the loop like `q` does, so the terminal is restored.
fn watch_signals(pipeline: &Pipeline, tx: &Sender<Msg>) -> Result<()> {
    use tokio::signal::unix::{signal, SignalKind};
    let _guard = pipeline.runtime().enter();
    for kind in [
        SignalKind::interrupt(),
        SignalKind::terminate(),
        SignalKind::hangup(),
    ] {
        let mut s = signal(kind)?;
        let tx = tx.clone();
        pipeline.runtime().spawn(async move {
            if s.recv().await.is_some() {
                let _ = tx.send(Msg::Quit);
            }
        });
    }
    Ok(())
}

/// Feeds the embedded endpoint with generated traffic once it listens (never another
/// process that holds the port).
fn start_demo(pipeline: &Pipeline, rate: f64) {
    let Some(status) = pipeline.statuses.first().cloned() else {
        return;
    };
    pipeline.runtime().spawn(async move {
        let state = status
            .wait_for(|s| matches!(s, SourceState::Listening(_) | SourceState::Failed(_)))
            .await;
        let SourceState::Listening(addr) = state else {
            return;
        };
        let opts = crate::gen::GenOptions {
            seed: fastrand::u64(..),
            count: u64::MAX,
            now: now_ms() / 1000,
            invalid_rate: 0.12,
            duplicate_rate: 0.05,
            conflict_share: 0.4,
            malformed_rate: 0.02,
            ..crate::gen::GenOptions::default()
        };
        let target = crate::gen::target::Target::Http(format!("http://{addr}/"));
        let _ = std::thread::Builder::new()
            .name("demo".into())
            .spawn(move || {
                let _ = crate::gen::target::send(opts, &target, Some(rate.max(0.1)), 2, &[]);
            });
    });
}

/// Terminal input, as messages; it lets go of the terminal while `gate` holds it (an editor
/// runs). The thread ends with the process.
fn spawn_input(tx: Sender<Msg>, gate: Arc<effects::InputGate>) {
    let _ = std::thread::Builder::new()
        .name("input".into())
        .spawn(move || loop {
            if gate.hold() {
                continue;
            }
            match event::poll(Duration::from_millis(50)) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(_) => return,
            }
            let msg = match event::read() {
                Ok(event::Event::Key(k)) => Msg::Key(k),
                Ok(event::Event::Mouse(m)) => Msg::Mouse(m),
                Ok(event::Event::Resize(w, h)) => Msg::Resize(w, h),
                Ok(_) => continue,
                Err(_) => return,
            };
            if tx.send(msg).is_err() {
                return;
            }
        });
}

#[allow(clippy::too_many_arguments)]
fn main_loop(
    app: &mut App,
    terminal: &mut term::Terminal,
    theme: &Theme,
    feed: &Feed,
    ctl: &Receiver<Msg>,
    jobs: &Sender<highlight::Job>,
    pipeline: &Pipeline,
    frames: &mut FrameLog,
    runner: &effects::Effects,
) -> Result<()> {
    let mut dirty = true;
    let mut last_draw: Option<Instant> = None;
    let mut last_tick: Option<Instant> = None;
    while !app.quit {
        let mut effects = Vec::new();
        match ctl.recv_timeout(MAX_WAIT) {
            Ok(msg) => effects.extend(app.update(msg)),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => break,
        }
        while let Ok(msg) = ctl.try_recv() {
            effects.extend(app.update(msg));
            dirty = true;
        }
        while let Ok(rows) = feed.rows.try_recv() {
            app.update(Msg::Rows(rows));
            dirty = true;
        }
        if let Some(agg) = feed.aggregates.try_iter().last() {
            app.update(Msg::Aggregates(agg));
            dirty = true;
        }
        if last_tick.is_none_or(|t| t.elapsed() >= TICK) {
            last_tick = Some(Instant::now());
            app.update(Msg::Tick(now_ms()));
            let views = pipeline
                .statuses
                .iter()
                .map(|s| SourceView::of(s))
                .collect();
            app.update(Msg::Sources(views));
            app.update(Msg::Dropped(feed.dropped.load(Ordering::Relaxed)));
            dirty = true;
        }
        while !effects.is_empty() {
            dirty = true;
            for effect in std::mem::take(&mut effects) {
                match effect {
                    Effect::Highlight { seq, raw, as_text } => {
                        let _ = jobs.send(highlight::Job { seq, raw, as_text });
                    }
                    Effect::Replay { sends, ids } => runner.replay(sends, ids),
                    Effect::Edit { seq, raw } => {
                        let msg = runner.edit(terminal, seq, &raw);
                        effects.extend(app.update(msg));
                    }
                    Effect::Copy { text, name } => {
                        effects.extend(app.update(effects::Effects::copy(&text, &name)));
                    }
                }
            }
        }
        if dirty && last_draw.is_none_or(|t| t.elapsed() >= FRAME) {
            let started = Instant::now();
            terminal.draw(|f| views::draw(f, app, theme))?;
            frames.record(started.elapsed(), app.view);
            last_draw = Some(Instant::now());
            dirty = false;
        }
    }
    Ok(())
}

/// Frame times for the benchmark (`--frame-log`), written when the UI ends: one line per
/// frame, `MICROSECONDS VIEW`, then a JSON summary.
struct FrameLog {
    path: Option<std::path::PathBuf>,
    micros: Vec<(u32, crate::app::View)>,
}

impl FrameLog {
    fn new(path: Option<std::path::PathBuf>) -> FrameLog {
        FrameLog {
            path,
            micros: Vec::new(),
        }
    }

    fn record(&mut self, d: Duration, view: crate::app::View) {
        if self.path.is_some() && self.micros.len() < 10_000_000 {
            let micros = u32::try_from(d.as_micros()).unwrap_or(u32::MAX);
            self.micros.push((micros, view));
        }
    }

    fn finish(&self, app: &App, dropped: u64) {
        let Some(path) = &self.path else { return };
        let Ok(mut f) = std::fs::File::create(path) else {
            return;
        };
        for (m, view) in &self.micros {
            let _ = writeln!(f, "{m} {}", view.name());
        }
        let summary = serde_json::json!({
            "events": app.agg.events, "rows": app.received, "display_dropped": dropped,
            "frames": self.micros.len(), "window": app.window.len(),
        });
        let _ = writeln!(f, "{summary}");
    }
}
