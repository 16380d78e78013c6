//! The `ecapi-scope` binary: parse the command line, run the command, map the outcome to an
//! exit status (0 clean, 1 findings at or above `--fail-on`, 2 usage or I/O error).

use anyhow::{Context, Result};
use clap::Parser;
use ecapi_scope::check::{self, CheckOptions};
use ecapi_scope::cli::{Cli, Command, EngineFlags, GenArgs, HashArgs, RulesFormat};
use ecapi_scope::config::Settings;
use ecapi_scope::ecapi::codes::{rules_markdown, RULES};
use ecapi_scope::ecapi::normalize::{normalize, sha256_hex, HashField};
use ecapi_scope::engine::time::parse_duration;
use ecapi_scope::gen::{self, GenOptions};
use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

fn main() -> ExitCode {
    // An empty ECAPI_SCOPE_CONFIG means no config file, as if it were unset.
    if std::env::var_os("ECAPI_SCOPE_CONFIG").is_some_and(|v| v.is_empty()) {
        std::env::remove_var("ECAPI_SCOPE_CONFIG");
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitCode::from(2)
            } else {
                ExitCode::SUCCESS
            };
        }
    };
    match run(cli) {
        Ok(code) => code,
        Err(e) if ecapi_scope::output::is_broken_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            // A closed standard error must not turn an error into a panic.
            let _ = writeln!(io::stderr(), "ecapi-scope: {e:#}");
            ExitCode::from(2)
        }
    }
}

/// `merge`: reads every report (all or nothing), prints the merged one.
fn run_merge(paths: &[std::path::PathBuf], fail_on: ecapi_scope::cli::FailOn) -> Result<ExitCode> {
    let mut reports = Vec::with_capacity(paths.len());
    for path in paths {
        let name = path.display().to_string();
        let text = if name == "-" {
            let mut s = String::new();
            io::Read::read_to_string(&mut io::stdin(), &mut s).context("standard input")?;
            s
        } else {
            std::fs::read_to_string(path).with_context(|| name.clone())?
        };
        let doc: serde_json::Value =
            serde_json::from_str(&text).with_context(|| format!("{name}: not JSON"))?;
        reports.push((name, doc));
    }
    let merged = ecapi_scope::merge::merge(&reports).map_err(anyhow::Error::msg)?;
    let mut out = io::stdout().lock();
    serde_json::to_writer_pretty(&mut out, &merged)?;
    writeln!(out)?;
    Ok(if ecapi_scope::merge::fails(&merged, fail_on.threshold()) {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// The config file's `[kafka]` properties.
fn settings_kafka(settings: &Settings) -> Result<Vec<(String, String)>> {
    settings.kafka.properties().map_err(anyhow::Error::msg)
}

/// `-X key=value` client properties.
fn kafka_props(items: &[String]) -> Result<Vec<(String, String)>> {
    ecapi_scope::ingest::kafka::parse_props(items).map_err(anyhow::Error::msg)
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn run(cli: Cli) -> Result<ExitCode> {
    let mut settings = Settings::load(cli.config.as_deref())?;
    let Some(command) = cli.command else {
        apply_engine_flags(&cli.tui.source.engine, &mut settings)?;
        return ecapi_scope::tui::run(&cli.tui, &settings);
    };
    match command {
        Command::Check(args) => {
            apply_engine_flags(&args.engine, &mut settings)?;
            let filter = match &args.filter {
                Some(text) => Some(
                    ecapi_scope::filter::Filter::parse(text)
                        .with_context(|| format!("--filter {text:?}"))?,
                ),
                None => None,
            };
            let opts = CheckOptions {
                settings,
                format: args.format,
                fail_on: args.fail_on,
                now: args.now.unwrap_or_else(now_secs),
                progress: !args.no_progress,
                jobs: jobs(args.jobs),
                filter,
            };
            let stdout = io::stdout();
            let names: Vec<String> = args.files.iter().map(|p| p.display().to_string()).collect();
            let live = names.iter().filter(|n| check::live::is_live(n)).count();
            anyhow::ensure!(
                live == 0 || live == names.len(),
                "check reads files or kafka:// topics, not both at once"
            );
            let outcome = if live > 0 {
                let mut props = settings_kafka(&opts.settings)?;
                props.extend(kafka_props(&args.kafka)?);
                // Not locked: with --format ndjson the hub's thread prints the records.
                check::live::run(&names, &opts, props, &mut io::stdout())?
            } else {
                check::run(&args.files, &opts, &mut stdout.lock())?
            };
            for e in &outcome.io_errors {
                let _ = writeln!(io::stderr(), "ecapi-scope: {e}");
            }
            Ok(if !outcome.io_errors.is_empty() {
                ExitCode::from(2)
            } else if outcome.failed {
                ExitCode::from(1)
            } else {
                ExitCode::SUCCESS
            })
        }
        Command::Watch(args) => {
            apply_engine_flags(&args.source.engine, &mut settings)?;
            Ok(source_failed(ecapi_scope::watch::run(&args, &settings)?))
        }
        Command::Serve(args) => {
            apply_engine_flags(&args.source.engine, &mut settings)?;
            Ok(source_failed(ecapi_scope::serve::run(&args, &settings)?))
        }
        Command::Replay(args) => {
            apply_engine_flags(&args.engine, &mut settings)?;
            let all = ecapi_scope::replay::command::run(&args, &settings)?;
            Ok(if all {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Command::Gen(args) => run_gen(args),
        Command::Merge { reports, fail_on } => run_merge(&reports, fail_on),
        Command::Completions { shell } => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "ecapi-scope", &mut io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man => {
            let cmd = <Cli as clap::CommandFactory>::command();
            let mut out = io::stdout().lock();
            clap_mangen::Man::new(cmd.clone()).render(&mut out)?;
            // One section per command, so that every command's flags are in the page.
            for sub in cmd.get_subcommands().filter(|c| c.get_name() != "help") {
                let name = format!("ecapi-scope-{}", sub.get_name());
                writeln!(out)?;
                clap_mangen::Man::new(sub.clone())
                    .title(name)
                    .render(&mut out)?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Hash(args) => run_hash(&args),
        Command::Rules {
            code,
            format,
            severity,
        } => {
            for s in &severity {
                settings
                    .engine
                    .severity
                    .set_from_flag(s)
                    .map_err(anyhow::Error::msg)?;
            }
            let o = &settings.engine.severity;
            let one = match &code {
                Some(c) => {
                    Some(ecapi_scope::engine::severity::parse_code(c).map_err(anyhow::Error::msg)?)
                }
                None => None,
            };
            let text = match format {
                RulesFormat::Markdown if one.is_some() => {
                    let r = RULES.iter().find(|r| Some(r.code) == one);
                    r.map(|r| {
                        let (level, source) = o.get(r.code);
                        let from = source.map_or(String::new(), |s| format!(" (set by {s})"));
                        format!(
                            "{}\n  severity  {}{from}\n  spec      {}\n  what      {}\n  fix       {}\n",
                            r.name,
                            level.name(),
                            r.spec,
                            r.what,
                            r.fix
                        )
                    })
                    .unwrap_or_default()
                }
                RulesFormat::Markdown => rules_markdown(o),
                RulesFormat::Json => {
                    let rows: Vec<_> = RULES
                        .iter()
                        .filter(|r| one.is_none_or(|c| c == r.code))
                        .map(|r| {
                            let (level, source) = o.get(r.code);
                            serde_json::json!({"code": r.name, "severity": level.name(),
                                "default_severity": r.severity.name(),
                                "severity_source": source.map(ToString::to_string),
                                "spec": r.spec, "what": r.what, "fix": r.fix})
                        })
                        .collect();
                    serde_json::to_string_pretty(&rows)? + "\n"
                }
            };
            io::stdout().write_all(text.as_bytes())?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Stages => {
            let mut out = io::stdout().lock();
            let (types, custom) = settings.engine.stages.rows();
            let from = settings.path.as_deref().unwrap_or("the config");
            for (name, stage, changed) in types {
                let mark = if changed {
                    format!("   (set in {from})")
                } else {
                    String::new()
                };
                let row = format!("{name:<24} {:<7}{mark}", stage.name());
                writeln!(out, "{}", row.trim_end())?;
            }
            for (name, stage) in custom {
                let name = ecapi_scope::output::safe::safe(name);
                writeln!(
                    out,
                    "{:<24} {:<7}   (custom_event, set in {from})",
                    format!("custom:{name}"),
                    stage.name()
                )?;
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Validation threads: as asked (said when more than the machine has), else up to two.
fn jobs(asked: Option<u16>) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    match asked {
        Some(n) => {
            let n = usize::from(n);
            if n > cores {
                eprintln!(
                    "ecapi-scope: warning: -j {n} is more threads than this machine's {cores} cores; it will not be faster"
                );
            }
            n
        }
        None => cores.min(2),
    }
}

/// Flags override the config file.
fn apply_engine_flags(flags: &EngineFlags, settings: &mut Settings) -> Result<()> {
    if let Some(k) = &flags.batch_key {
        settings.engine.walk.batch_key.clone_from(k);
    }
    if let Some(n) = flags.max_line_bytes {
        anyhow::ensure!(n > 0, "--max-line-bytes must be more than 0");
        settings.max_line_bytes = n;
    }
    for s in &flags.severity {
        settings
            .engine
            .severity
            .set_from_flag(s)
            .map_err(anyhow::Error::msg)?;
    }
    if let Some(w) = &flags.dedup_window {
        let d = parse_duration(w)
            .with_context(|| format!("--dedup-window: expected a duration like 48h, got {w:?}"))?;
        settings.engine.dedup_window = Some(d);
    }
    Ok(())
}

fn run_gen(args: GenArgs) -> Result<ExitCode> {
    for (name, v) in [
        ("--invalid-rate", args.invalid_rate),
        ("--duplicate-rate", args.duplicate_rate),
        ("--conflict-share", args.conflict_share),
        ("--malformed-rate", args.malformed_rate),
    ] {
        anyhow::ensure!(
            (0.0..=1.0).contains(&v),
            "{name} must be between 0 and 1, got {v}"
        );
    }
    anyhow::ensure!(args.batch_size >= 1, "--batch-size must be at least 1");
    let opts = GenOptions {
        seed: args.seed,
        count: args.count,
        now: args.now.unwrap_or_else(now_secs),
        invalid_rate: args.invalid_rate,
        duplicate_rate: args.duplicate_rate,
        conflict_share: args.conflict_share,
        malformed_rate: args.malformed_rate,
        batch_size: args.batch_size,
        batch_key: args.batch_key,
        ..GenOptions::default()
    };
    if let Some(to) = &args.to {
        let target = gen::target::Target::parse(to).map_err(anyhow::Error::msg)?;
        let sent = gen::target::send(
            opts,
            &target,
            args.rate,
            args.concurrency,
            &kafka_props(&args.kafka)?,
        )
        .with_context(|| format!("sending to {to}"))?;
        if args.stats {
            eprintln!("{}", serde_json::to_string_pretty(&sent)?);
        }
        if let Some(problem) = sent.problems() {
            eprintln!("ecapi-scope: gen --to {to}: {problem}");
            return Ok(ExitCode::from(1));
        }
        return Ok(ExitCode::SUCCESS);
    }
    let stats = match &args.out {
        Some(path) => {
            let file = std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?;
            gen::generate(opts, file)?
        }
        None => gen::generate(opts, io::stdout().lock())?,
    };
    if args.stats {
        eprintln!("{}", serde_json::to_string_pretty(&stats)?);
    }
    Ok(ExitCode::SUCCESS)
}

/// What `check` would flag in the hash of `raw`: an empty value, a placeholder, a phone
/// number without its country code.
fn hash_warnings(field: HashField, raw: &str, normalized: &str) -> Vec<String> {
    let shown = ecapi_scope::output::safe::safe_short(raw, 60);
    let mut out = Vec::new();
    if normalized.is_empty() {
        out.push(format!(
            "{shown:?} is empty once normalized: its hash is that of the empty string, which receivers discard (check reports hash_of_empty)"
        ));
    } else if let Some(p) =
        ecapi_scope::ecapi::placeholders::placeholder_for(&sha256_hex(normalized))
    {
        out.push(format!(
            "{shown:?} is a placeholder ({p:?}), not a person: receivers discard it (check reports hash_of_placeholder)"
        ));
    }
    let t = raw.trim();
    if field == HashField::Phone && !t.is_empty() && !t.starts_with('+') && !t.starts_with("00") {
        out.push(format!(
            "{shown:?} has no country code: it was hashed as {normalized:?}, which is not that number; give it as +CC…, e.g. +1 555 123 4567"
        ));
    }
    out
}

fn run_hash(args: &HashArgs) -> Result<ExitCode> {
    let field = HashField::parse(&args.field).with_context(|| {
        let names: Vec<_> = HashField::ALL.iter().map(|f| f.name()).collect();
        format!(
            "unknown field {:?}; one of: {}",
            args.field,
            names.join(", ")
        )
    })?;
    let mut out = io::stdout().lock();
    let mut emit = |raw: &str| -> io::Result<()> {
        let normalized = normalize(field, raw);
        for warning in hash_warnings(field, raw, &normalized) {
            eprintln!("ecapi-scope: warning: {warning}");
        }
        if args.verbose {
            writeln!(
                out,
                "{}\t{}",
                sha256_hex(&normalized),
                serde_json::to_string(&normalized).unwrap_or_default()
            )
        } else {
            writeln!(out, "{}", sha256_hex(&normalized))
        }
    };
    if args.values.is_empty() {
        if io::stdin().is_terminal() {
            eprintln!("reading values from standard input, one per line");
        }
        for line in io::stdin().lock().lines() {
            emit(&line?)?;
        }
    } else {
        for v in &args.values {
            emit(v)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A source that failed (a port in use, a directory, a socket path taken by a file) is an
/// I/O error, as for check.
fn source_failed(failed: bool) -> ExitCode {
    if failed {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    }
}
