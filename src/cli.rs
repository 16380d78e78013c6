//! Command-line arguments, as clap derive types. Raw arguments only: `main` resolves them.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "ecapi-scope",
    version,
    about = "Inspect and debug streams of ECAPI 1.0 events"
)]
pub struct Cli {
    /// Config file (TOML): stages, batch key, limits, dedup window.
    #[arg(long, global = true, env = "ECAPI_SCOPE_CONFIG")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Validate NDJSON files of events and report findings, duplicates and the funnel.
    Check(CheckArgs),
    /// Generate seeded synthetic ECAPI traffic.
    Gen(GenArgs),
    /// Normalize and SHA-256 a value as the spec says.
    Hash(HashArgs),
    /// Print the rules table (every finding code).
    Rules {
        #[arg(long, value_enum, default_value_t = RulesFormat::Markdown)]
        format: RulesFormat,
    },
    /// Print the funnel stage of every event type (defaults plus config overrides).
    Stages,
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

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// NDJSON files (`.gz` read decompressed); `-` for standard input.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Exit 1 when a finding of this severity or worse is found.
    #[arg(long, value_enum, default_value_t = FailOn::Error)]
    pub fail_on: FailOn,
    /// Member of a batch envelope that holds the events.
    #[arg(long)]
    pub batch_key: Option<String>,
    /// After this long (e.g. 48h) an id may be reused without counting as a duplicate.
    #[arg(long)]
    pub dedup_window: Option<String>,
    /// Longest record accepted, in bytes.
    #[arg(long)]
    pub max_line_bytes: Option<usize>,
    /// Reference time for timestamp checks (unix seconds); default: now.
    #[arg(long)]
    pub now: Option<i64>,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
    /// Use both cores (parallel validation; same results, same order).
    #[arg(long, short = 'j')]
    pub jobs: Option<usize>,
}

#[derive(Debug, clap::Args)]
pub struct GenArgs {
    /// Number of events.
    #[arg(long, short = 'n', default_value_t = 1000)]
    pub count: u64,
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// "Now" for timestamps (unix seconds); default: the current time.
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
    #[arg(long, short = 'o')]
    pub out: Option<PathBuf>,
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
