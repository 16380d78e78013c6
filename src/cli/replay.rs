//! `ecapi-scope replay`'s arguments.

use super::EngineFlags;
use crate::replay::prepare::Ids;
use clap::ValueEnum;
use std::path::PathBuf;

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ReplayFormat {
    /// A summary for people.
    Text,
    /// The summary as one JSON object.
    Json,
    /// One line per request as it ends (the summary as text on standard error).
    Ndjson,
}

#[derive(Debug, clap::Args)]
#[allow(clippy::struct_field_names)]
pub struct ReplayArgs {
    /// Inputs: NDJSON files (gzip too), captures written by --capture (their labels kept), or
    /// `-` (standard input); batch records are split into their events. Or live sources, as
    /// for `watch` (tcp-listen://127.0.0.1:9000, http-listen://…, file:…): each event is
    /// sent as it arrives, until the sources end or Ctrl-C.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// With live sources: read files to their end and stop, instead of following them.
    #[arg(long)]
    pub no_follow: bool,
    /// The receiver (default: [replay] to in the config, else serve's http://127.0.0.1:4391/).
    /// Hosts other than loopback must be on the config's [replay] allow list.
    #[arg(long)]
    pub to: Option<String>,
    /// Keep each event's id (tests the receiver's deduplication) or give each a fresh one.
    #[arg(long, value_enum, default_value_t = Ids::Keep)]
    pub ids: Ids,
    /// Shift timestamps so that the latest is now, keeping their spacing (so that a stale
    /// capture is not refused for its age).
    #[arg(long)]
    pub shift_timestamps: bool,
    /// Send events that validate with errors too (they are held back otherwise).
    #[arg(long)]
    pub send_invalid: bool,
    /// Replay only the events that match this filter (the TUI's language, judged on the
    /// events as read: status:error, code:…, dup:, src:…).
    #[arg(long, allow_hyphen_values = true)]
    pub filter: Option<String>,
    /// Events per request: 1 sends each event bare; more wraps them in an envelope.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub batch_size: u32,
    /// The envelope's array key for batches (default: the config's batch_key, "events").
    #[arg(long)]
    pub envelope_key: Option<String>,
    /// Requests per second at most, retries included.
    #[arg(long)]
    pub rate: Option<f64>,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: u32,
    /// Retries of a request answered 408, 429 or 5xx, or not answered, before giving up.
    #[arg(long, default_value_t = 5)]
    pub retries: u32,
    /// Time allowed for each attempt (e.g. 10s, 500ms).
    #[arg(long, default_value = "10s")]
    pub timeout: String,
    /// First wait before a retry; it doubles each time (with jitter) up to --max-backoff.
    #[arg(long, default_value = "200ms")]
    pub backoff: String,
    #[arg(long, default_value = "10s")]
    pub max_backoff: String,
    /// Give up on a request whose Retry-After asks for a longer wait than this.
    #[arg(long, default_value = "60s")]
    pub max_wait: String,
    /// Extra request header, `Name: value`; `Name: env:VAR` reads the value from the
    /// environment (repeatable).
    #[arg(long = "header")]
    pub headers: Vec<String>,
    /// Send `Authorization: Bearer <token>`, the token read from this environment variable
    /// (default: the config's [replay] token_env or token). Never shown or written.
    #[arg(long)]
    pub token_env: Option<String>,
    /// Print what would be sent (method, URL, headers with secrets masked, body); send nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[arg(long, value_enum, default_value_t = ReplayFormat::Text)]
    pub format: ReplayFormat,
    /// No progress bar (it is drawn on standard error when that is a terminal).
    #[arg(long)]
    pub no_progress: bool,
    /// Seed for fresh ids (default: random).
    #[arg(long)]
    pub seed: Option<u64>,
    #[command(flatten)]
    pub engine: EngineFlags,
}
