//! Command-line arguments, as clap derive types. Raw arguments only: `main` resolves them.

mod replay;

use clap::{Parser, Subcommand, ValueEnum};
pub use replay::{ReplayArgs, ReplayFormat};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "ecapi-scope",
    version,
    about = "Inspect and debug streams of ECAPI 1.0 events",
    long_about = "Inspect and debug streams of ECAPI 1.0 events.\n\nWithout a command, opens the \
terminal UI on the given sources, or on an ECAPI endpoint at 127.0.0.1:4390 when none is given."
)]
pub struct Cli {
    /// Config file (TOML): stages, batch key, limits, dedup window, severities, keys, theme,
    /// and [replay]: the default target, the allow-list, the token and headers.
    #[arg(long, global = true, env = "ECAPI_SCOPE_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,

    #[command(flatten)]
    pub tui: TuiArgs,
}

/// The terminal UI's arguments (no command given).
#[derive(Debug, clap::Args)]
pub struct TuiArgs {
    /// Sources to open (as for `watch`); none: an ECAPI endpoint on --listen.
    pub sources: Vec<String>,
    /// Address of the embedded endpoint used when no source is given.
    #[arg(long, default_value = "127.0.0.1:4390")]
    pub listen: String,
    /// Also feed the embedded endpoint with synthetic traffic (invalid events, duplicates,
    /// malformed bodies) over real HTTP.
    #[arg(long)]
    pub demo: bool,
    /// Events per second sent by --demo.
    #[arg(long, default_value_t = 20.0)]
    pub demo_rate: f64,
    /// Recent events kept in memory with their payloads (counts cover everything).
    #[arg(long, default_value_t = 100_000)]
    pub keep: usize,
    /// Colour theme: dark, light, high-contrast, or a path to a theme file.
    #[arg(long)]
    pub theme: Option<String>,
    /// Show only the events that match this filter at start (see `/` in the UI).
    #[arg(long, allow_hyphen_values = true)]
    pub filter: Option<String>,
    /// Where `r` replays events (default: the config's [replay] to, else serve's
    /// http://127.0.0.1:4391/); hosts other than loopback must be on [replay] allow.
    #[arg(long)]
    pub replay_to: Option<String>,
    /// Append each frame's drawing time (microseconds) and the final counters to this file.
    #[arg(long, hide = true)]
    pub frame_log: Option<PathBuf>,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate NDJSON files of events and report findings, duplicates and the funnel.
    Check(CheckArgs),
    /// Follow live sources; print each event as it arrives (the `check --format ndjson` record
    /// plus `source` and `received`).
    Watch(Box<WatchArgs>),
    /// Generate seeded synthetic ECAPI traffic.
    Gen(GenArgs),
    /// Normalize and SHA-256 a value as the spec says.
    Hash(HashArgs),
    /// Print the rules table (every finding code).
    Rules {
        /// Show only this rule (a finding code, e.g. timestamp_stale).
        code: Option<String>,
        #[arg(long, value_enum, default_value_t = RulesFormat::Markdown)]
        format: RulesFormat,
        /// Show the effect of severity overrides: CODE=LEVEL (repeatable).
        #[arg(long = "severity", value_name = "CODE=LEVEL")]
        severity: Vec<String>,
    },
    /// Print the funnel stage of every event type (defaults plus config overrides).
    Stages,
    /// A sandbox ECAPI endpoint: validates, deduplicates and answers like a receiver, with
    /// faults and latency injected on request; one NDJSON line per request on standard output.
    Serve(Box<ServeArgs>),
    /// Send events from files or captures to a receiver (loopback or allow-listed), with
    /// retries, and report what it accepted, rejected and failed.
    Replay(Box<ReplayArgs>),
    /// Merge `check --format json` reports of instances that each read a share of one stream
    /// (the members of a consumer group) into one report, on standard output.
    Merge {
        /// Reports (`-` for standard input).
        #[arg(required = true)]
        reports: Vec<PathBuf>,
        /// Exit 1 when the merged report has findings at or above this severity.
        #[arg(long, value_enum, default_value_t = FailOn::Error)]
        fail_on: FailOn,
    },
    /// Print a shell completion script: `ecapi-scope completions bash > /etc/bash_completion.d/ecapi-scope`.
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `ecapi-scope man | man -l -`.
    Man,
}

#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:4391")]
    pub listen: String,
    /// Answer only this path (others get 404).
    #[arg(long)]
    pub path: Option<String>,
    /// Answer STATUS (400–599) instead of processing, at RATE (0–1), e.g. 503:0.1, or reset
    /// the connection without an answer: reset:0.05; repeatable (429 and 503 carry
    /// Retry-After).
    #[arg(long = "fault", value_name = "STATUS:RATE")]
    pub faults: Vec<String>,
    /// Seconds said in Retry-After on injected 429 and 503 answers.
    #[arg(long, default_value_t = 1)]
    pub retry_after: u64,
    /// Latency added to every answer: a duration or a range, e.g. 100ms or 50ms..300ms.
    #[arg(long)]
    pub latency: Option<String>,
    /// Seed of the fault and latency draws (default: random).
    #[arg(long)]
    pub seed: Option<u64>,
    /// At the end, print counters as JSON on standard error.
    #[arg(long)]
    pub stats: bool,
    #[command(flatten)]
    pub source: SourceArgs,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    Markdown,
    Json,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Ndjson,
    Json,
    Junit,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Error,
    Warning,
    Info,
    Never,
}

/// Engine settings that `check` and `watch` share (they override the config file).
#[derive(Debug, clap::Args)]
pub struct EngineFlags {
    /// Member of a batch envelope that holds the events.
    #[arg(long)]
    pub batch_key: Option<String>,
    /// After this long (e.g. 48h) an id may be reused without counting as a duplicate.
    #[arg(long)]
    pub dedup_window: Option<String>,
    /// Longest record accepted, in bytes.
    #[arg(long)]
    pub max_line_bytes: Option<usize>,
    /// Change a finding code's severity: CODE=error|warning|info|off (repeatable; overrides
    /// the config file's [severity] table).
    #[arg(long = "severity", value_name = "CODE=LEVEL")]
    pub severity: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// NDJSON files (`.gz` read decompressed); `-` for standard input; or kafka:// topics,
    /// read to the end offsets they have when the check starts.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// A Kafka client property for kafka:// inputs: -X key=value (repeatable).
    #[arg(short = 'X', value_name = "KEY=VALUE")]
    pub kafka: Vec<String>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 1 when a finding of this severity or worse is found.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub engine: EngineFlags,
    /// Reference time for timestamp checks (unix seconds); default: now.
    #[arg(long)]
    pub now: Option<i64>,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Validation threads (default: up to 2; same results, same order whatever the number).
    #[arg(long, short = 'j', value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
    /// Report only the events that match this filter in ndjson and junit output (the TUI's
    /// language); summaries still count every event and say how many matched.
    #[arg(long, allow_hyphen_values = true)]
    pub filter: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct GenArgs {
    /// Number of events.
    #[arg(long, short = 'n', default_value_t = 1000)]
    pub count: u64,
    /// The same seed and --now give byte-identical output.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// "Now" for timestamps (unix seconds); default: the current time, so that events are
    /// fresh (then only the timestamps differ from run to run).
    #[arg(long)]
    pub now: Option<i64>,
    /// Share of events with one injected validation fault (0–1).
    #[arg(long, default_value_t = 0.0)]
    pub invalid_rate: f64,
    /// Share of events that resend an earlier event's key (0–1).
    #[arg(long, default_value_t = 0.0)]
    pub duplicate_rate: f64,
    /// Share of duplicates whose content differs (0–1).
    #[arg(long, default_value_t = 0.5)]
    pub conflict_share: f64,
    /// Share of lines that are not valid JSON (0–1).
    #[arg(long, default_value_t = 0.0)]
    pub malformed_rate: f64,
    /// Events per line (more than 1: arrays and batch envelopes).
    #[arg(long, default_value_t = 1)]
    pub batch_size: usize,
    #[arg(long, default_value = "events")]
    pub batch_key: String,
    /// Write here instead of standard output.
    #[arg(long, short = 'o', conflicts_with = "to")]
    pub out: Option<PathBuf>,
    /// Send to a live target instead: tcp://HOST:PORT, unix:///PATH (one line per event), or
    /// an endpoint http(s)://… (one POST per line).
    #[arg(long)]
    pub to: Option<String>,
    /// Lines per second (default: as fast as possible).
    #[arg(long)]
    pub rate: Option<f64>,
    /// POSTs in flight at once, with --to http(s)://….
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// A Kafka client property for `--to kafka://…`, as kcat takes them: -X key=value
    /// (repeatable; e.g. -X security.protocol=SASL_SSL).
    #[arg(short = 'X', value_name = "KEY=VALUE")]
    pub kafka: Vec<String>,
    /// Print what was generated (counts by fault) to standard error.
    #[arg(long)]
    pub stats: bool,
}

#[derive(Debug, clap::Args)]
pub struct HashArgs {
    /// Field whose normalization applies: email_address, phone_numbers, customer_identifier,
    /// first_name, last_name, street, postal_code, gender, uids.id.
    #[arg(long, short = 'f')]
    pub field: String,
    /// Values to hash (standard input, one per line, when none).
    pub values: Vec<String>,
    /// Also print the normalized form.
    #[arg(long, short = 'v')]
    pub verbose: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum SlowOutput {
    Drop,
    Block,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum WatchFormat {
    /// One readable line per event (coloured on a terminal without NO_COLOR), with source
    /// state changes and refused requests in line.
    Text,
    /// One JSON object per event.
    Ndjson,
    /// Nothing per event (with `--stats`, for counting and benchmarks).
    None,
}

/// How live sources behave: shared by `watch` and the terminal UI.
#[derive(Debug, clap::Args)]
pub struct SourceArgs {
    /// Append every record received to this file (NDJSON, mode 0600).
    #[arg(long)]
    pub capture: Option<PathBuf>,
    /// Read files to their end and stop, instead of following them (kafka:// topics: to the
    /// end offsets they had at start, as `until=end`).
    #[arg(long)]
    pub no_follow: bool,
    /// Allow listeners on addresses other than loopback.
    #[arg(long)]
    pub bind_any: bool,
    /// Require `Authorization: Bearer <token>` on the endpoint, the token read from this
    /// environment variable.
    #[arg(long)]
    pub token_env: Option<String>,
    /// Largest HTTP body accepted, in bytes.
    #[arg(long, default_value_t = 1024 * 1024)]
    pub max_body: usize,
    /// Requests per second the endpoint accepts before answering 429.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    pub rate_limit: Option<u32>,
    /// Extra WebSocket handshake header, `Name: value`; `Name: env:VAR` reads the value from
    /// the environment (repeatable).
    #[arg(long = "header")]
    pub headers: Vec<String>,
    /// PEM file of certificate authorities to trust besides the public roots (for wss://
    /// sources and https upstreams of a proxy).
    #[arg(long)]
    pub ca_file: Option<PathBuf>,
    /// A Kafka client property for kafka:// sources, as kcat takes them: -X key=value
    /// (repeatable; over the config file's [kafka] table).
    #[arg(short = 'X', value_name = "KEY=VALUE")]
    pub kafka: Vec<String>,
    #[command(flatten)]
    pub limits: LimitFlags,
    #[command(flatten)]
    pub engine: EngineFlags,
}

/// Limits of the listeners (http-listen, proxy, tcp-listen, unix-listen), so that no client
/// can hold them.
#[derive(Debug, clap::Args)]
#[command(next_help_heading = "Listener limits")]
pub struct LimitFlags {
    /// Connections open at once per listener (lowered to fit `ulimit -n`); at the cap the
    /// connection idle longest is closed to make room.
    #[arg(long, default_value_t = 1024, value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,
    /// Close an HTTP connection with no request for this long (e.g. 60s, 500ms).
    #[arg(long, default_value = "60s")]
    pub idle_timeout: String,
    /// Request headers must arrive within this.
    #[arg(long, default_value = "10s")]
    pub header_timeout: String,
    /// A request body (or, on a socket listener, waiting for budget) must complete within this.
    #[arg(long, default_value = "30s")]
    pub body_timeout: String,
    /// Bytes of request bodies and unfinished lines held at once per listener (at least
    /// --max-body): a request over it waits, then is answered 503.
    #[arg(long, default_value_t = 32 * 1024 * 1024)]
    pub inflight_bytes: usize,
}

#[derive(Debug, clap::Args)]
pub struct WatchArgs {
    /// Sources: PATH, -, tcp://H:P, tcp-listen://H:P, udp://H:P, unix:///P, unix-listen:///P,
    /// ws(s)://…, http-listen://H:P[/PATH], proxy://H:P?upstream=URL.
    #[arg(required = true)]
    pub sources: Vec<String>,
    /// How events are printed (default: text on a terminal, else ndjson).
    #[arg(long, value_enum)]
    pub format: Option<WatchFormat>,
    /// Print only the events that match this filter (the TUI's language: type: stage: ds:
    /// status: code: path: src: id: dup:, free text, - to negate).
    #[arg(long, allow_hyphen_values = true)]
    pub filter: Option<String>,
    /// When standard output cannot keep up: drop what it cannot take (counted, said at the
    /// end and in --stats) so that senders are never slowed, or block and slow everything.
    #[arg(long, value_enum, default_value_t = SlowOutput::Drop)]
    pub slow_output: SlowOutput,
    /// Stop after this many events.
    #[arg(long)]
    pub max_events: Option<u64>,
    /// Stop after this long (e.g. 30s, 5m).
    #[arg(long)]
    pub duration: Option<String>,
    /// At the end, print counters (per source, and the hub's) as JSON on standard error.
    #[arg(long)]
    pub stats: bool,
    /// At the end, write the `check --format json` report of everything seen to this file (the
    /// members of a consumer group each write one; `merge` adds them up).
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Do not report source state changes on standard error.
    #[arg(long, short = 'q')]
    pub quiet: bool,
    #[command(flatten)]
    pub source: SourceArgs,
}
