//! Sources: everything that brings records in — files and stdin (followed like `tail -F`),
//! TCP/UDP/Unix sockets, WebSockets, an ECAPI HTTP endpoint and a proxy tap — and the hub that
//! runs the engine on what they bring, writes the capture and answers HTTP senders.
//!
//! Every source is a tokio task that frames records and sends them, in batches, on one bounded
//! channel; the hub (a plain thread, as the engine is synchronous) drains it.

pub mod backoff;
mod body;
pub mod capture;
pub mod conn_threads;
pub mod file;
pub mod framing;
pub mod http;
pub mod hub;
pub mod kafka;
pub mod limits;
pub mod proxy;
mod reply;
pub mod sandbox;
pub mod serve;
pub mod spec;
pub mod status;
pub mod stream;
pub mod udp;
mod writeback;
pub mod ws;

use crate::engine::report::Status;
pub use serve::serve_http;
use spec::SourceSpec;
use status::{Counters, SourceStatus};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

/// One record as a source received it.
pub struct Record {
    pub source: u16,
    pub received_ms: i64,
    /// Line, message or request number within the source, 1-based.
    pub line: u64,
    pub body: Body,
    /// The original source label, for records restored from a capture file.
    pub label: Option<Arc<str>>,
    /// Where an HTTP sender waits for the verdict on its request.
    pub reply: Option<oneshot::Sender<Reply>>,
    /// For proxied requests: what the real endpoint answered.
    pub upstream: Option<Arc<Upstream>>,
    /// Told whether the record was counted (a Kafka source commits its offset then).
    pub ack: Option<Ack>,
    /// Where in a Kafka topic the record was.
    pub message: Option<Box<MessageDetail>>,
}

/// A Kafka message's place and metadata, carried with its record to the outputs and the
/// capture.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MessageDetail {
    pub topic: Arc<str>,
    pub partition: i32,
    pub offset: i64,
    pub key: Option<Vec<u8>>,
    /// The message's timestamp (create or log-append time), unix ms.
    pub timestamp_ms: Option<i64>,
}

/// A source's handle on one record's fate: `done(true)` once it went through the engine (and
/// the capture), `done(false)` when it was refused; dropped without either, it counts as
/// refused, so that a record lost on any path is never committed as read.
pub struct Ack {
    tx: Option<std::sync::mpsc::Sender<Acked>>,
    slot: u32,
    offset: i64,
}

/// What an [`Ack`] tells its source.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acked {
    pub slot: u32,
    pub offset: i64,
    pub counted: bool,
}

impl Ack {
    pub fn new(tx: std::sync::mpsc::Sender<Acked>, slot: u32, offset: i64) -> Ack {
        Ack {
            tx: Some(tx),
            slot,
            offset,
        }
    }

    pub fn done(mut self, counted: bool) {
        self.send(counted);
    }

    fn send(&mut self, counted: bool) {
        if let Some(tx) = self.tx.take() {
            let _ = tx.send(Acked {
                slot: self.slot,
                offset: self.offset,
                counted,
            });
        }
    }
}

impl Drop for Ack {
    fn drop(&mut self) {
        self.send(false);
    }
}

pub enum Body {
    /// The record's bytes (often a slice of the chunk a stream source read it in).
    Raw(bytes::Bytes),
    /// A record over the size limit, dropped unread.
    TooLong(u64),
}

/// The upstream's answer to a proxied request.
#[derive(Clone, Debug)]
pub struct Upstream {
    pub status: Option<u16>,
    pub latency_ms: u64,
    /// The response body, shortened.
    pub body: String,
    pub error: Option<String>,
}

/// Results listed in one answer, at most (events, and findings over all of them): a small
/// body of a million empty events must not make a reply of hundreds of megabytes. Past them
/// the answer counts what it does not list.
pub const MAX_REPLY_EVENTS: usize = 1_000;
pub const MAX_REPLY_FINDINGS: usize = 10_000;

/// The hub's answer to an HTTP request: a result per event (up to the caps) and counts over
/// all of them.
#[derive(Clone, Debug, Default)]
pub struct Reply {
    /// The listed events' entries (`reply::write_event`), comma-separated: the inside of the
    /// answer's `"events"` array.
    pub events: Vec<u8>,
    /// How many events are listed in `events`.
    pub listed: usize,
    /// Events of the request, listed or not, by status (ok, warning, error, malformed).
    pub by_status: [u64; 4],
    /// Events that carry something usable (not malformed, not a non-object, not an empty batch).
    pub usable: u64,
    /// Events not listed in `events` (past the caps).
    pub omitted: u64,
    /// Events that were duplicates of one seen before (exact or conflicting).
    pub duplicates: u64,
    findings: usize,
    /// Set when the records could not be written to the capture file.
    pub capture_error: Option<String>,
}

impl Reply {
    /// Counts an event's result, listing it while the caps allow.
    pub fn add(&mut self, r: &crate::engine::report::EventReport) {
        let (status, findings) = (r.status, r.findings);
        self.by_status[status as usize] += 1;
        let unusable = status == Status::Malformed
            || findings.iter().any(|f| {
                matches!(
                    f.code,
                    crate::ecapi::codes::Code::NotAnObject | crate::ecapi::codes::Code::EmptyBatch
                )
            });
        if !unusable {
            self.usable += 1;
        }
        if findings.iter().any(|f| {
            matches!(
                f.code,
                crate::ecapi::codes::Code::DuplicateExact
                    | crate::ecapi::codes::Code::DuplicateConflict
            )
        }) {
            self.duplicates += 1;
        }
        if self.listed < MAX_REPLY_EVENTS && self.findings + findings.len() <= MAX_REPLY_FINDINGS {
            self.findings += findings.len();
            if self.listed > 0 {
                self.events.push(b',');
            } else {
                // Room for a usual event's entry, rather than growing from nothing.
                self.events.reserve(512);
            }
            self.listed += 1;
            // Writing into a Vec cannot fail.
            let _ = reply::write_event(&mut self.events, r);
        } else {
            self.omitted += 1;
        }
    }

    /// Events of the request, listed or not.
    pub fn total(&self) -> u64 {
        self.by_status.iter().sum()
    }
}

/// How sources behave; from the command line.
#[derive(Clone, Debug)]
pub struct IngestOptions {
    pub max_line_bytes: usize,
    /// Follow files after their end (`tail -F`); off with `--no-follow`.
    pub follow: bool,
    /// Allow listeners on addresses other than loopback.
    pub bind_any: bool,
    /// Bearer token the endpoint requires (the proxy forwards the sender's own credentials).
    pub token: Option<String>,
    pub max_body: usize,
    /// Requests per second the endpoint accepts before answering 429.
    pub rate_limit: Option<u32>,
    /// Extra headers for WebSocket handshakes.
    pub ws_headers: Vec<(String, String)>,
    /// Certificate authorities trusted besides the public roots (`wss://`, https upstreams).
    pub extra_roots: Vec<rustls::pki_types::CertificateDer<'static>>,
    /// How often followed files are looked at.
    pub poll: Duration,
    /// Records queued between sources and the hub (in batches).
    pub queue: usize,
    /// Set when the program stops: readers on blocking threads (gzip files) give up.
    pub stop: Arc<std::sync::atomic::AtomicBool>,
    /// Told when the program stops: HTTP listeners stop accepting and finish the answers
    /// they owe (an event counted and captured is never left unanswered).
    pub shutdown: Arc<tokio::sync::watch::Sender<bool>>,
    /// Connection cap, timeouts and byte budget of the listeners.
    pub limits: limits::Limits,
    /// `serve`: injected faults, latency and a line per request.
    pub sandbox: Option<Arc<sandbox::Sandbox>>,
    /// Kafka client properties (the config file's `[kafka]` table, then `-X`).
    pub kafka: Vec<(String, String)>,
}

impl IngestOptions {
    /// Resolves once the program is stopping.
    pub fn stopping(&self) -> impl std::future::Future<Output = ()> + Send + 'static {
        let mut rx = self.shutdown.subscribe();
        async move {
            let _ = rx.wait_for(|stop| *stop).await;
        }
    }
}

impl Default for IngestOptions {
    fn default() -> Self {
        IngestOptions {
            max_line_bytes: crate::config::DEFAULT_MAX_LINE_BYTES,
            follow: true,
            bind_any: false,
            token: None,
            max_body: 1024 * 1024,
            rate_limit: None,
            ws_headers: Vec::new(),
            extra_roots: Vec::new(),
            poll: Duration::from_millis(200),
            queue: 1024,
            stop: Arc::default(),
            shutdown: Arc::new(tokio::sync::watch::Sender::new(false)),
            limits: limits::Limits::default(),
            sandbox: None,
            kafka: Vec::new(),
        }
    }
}

/// What a source task gets.
#[derive(Clone)]
pub struct Ctx {
    pub id: u16,
    pub status: Arc<SourceStatus>,
    pub tx: mpsc::Sender<Vec<Record>>,
    pub opts: Arc<IngestOptions>,
    /// The HTTP endpoint's direct lane into the hub, when it runs one (else its records go
    /// through `tx` like every other source's).
    pub lane: Option<hub::Lane>,
}

/// What new records add to their source's counters.
#[derive(Default)]
struct Tally {
    records: u64,
    bytes: u64,
    malformed: u64,
}

impl Tally {
    fn count(&self, ctx: &Ctx) {
        let c = &ctx.status.counters;
        Counters::add(&c.bytes, self.bytes);
        if self.malformed > 0 {
            Counters::add(&c.malformed, self.malformed);
        }
        Counters::add(&c.records, self.records);
    }
}

impl Ctx {
    /// A record of this source, received now.
    pub fn record(&self, line: u64, body: Body) -> Record {
        let mut tally = Tally::default();
        let rec = self.fresh(line, now_ms(), body, &mut tally);
        tally.count(self);
        rec
    }

    /// Records of this source received now (the lines of one read), numbered from `first`:
    /// one reading of the clock and one update of the counters for them all.
    pub fn records(&self, first: u64, bodies: impl Iterator<Item = Body>) -> Vec<Record> {
        let received_ms = now_ms();
        let mut tally = Tally::default();
        let out = (first..)
            .zip(bodies)
            .map(|(line, body)| self.fresh(line, received_ms, body, &mut tally))
            .collect();
        tally.count(self);
        out
    }

    fn fresh(&self, line: u64, received_ms: i64, body: Body, tally: &mut Tally) -> Record {
        tally.records += 1;
        match &body {
            Body::Raw(raw) => tally.bytes += raw.len() as u64,
            Body::TooLong(len) => {
                tally.bytes += *len;
                tally.malformed += 1;
            }
        }
        Record {
            source: self.id,
            received_ms,
            line,
            body,
            label: None,
            reply: None,
            upstream: None,
            ack: None,
            message: None,
        }
    }

    /// Sends a batch to the hub, waiting for room (back-pressure). False once the hub is gone.
    pub async fn send(&self, batch: Vec<Record>) -> bool {
        if batch.is_empty() {
            return true;
        }
        self.tx.send(batch).await.is_ok()
    }

    /// Sends without waiting; a full queue drops the batch and counts it (datagrams).
    pub fn try_send(&self, batch: Vec<Record>) -> bool {
        let n = batch.len() as u64;
        match self.tx.try_send(batch) {
            Ok(()) => true,
            Err(mpsc::error::TrySendError::Full(_)) => {
                Counters::add(&self.status.counters.dropped, n);
                true
            }
            Err(mpsc::error::TrySendError::Closed(_)) => false,
        }
    }
}

/// Installs rustls' ring provider for the process (idempotent). The project uses ring so
/// that a fresh machine builds it without extra tools.
pub fn init_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// A TLS client configuration trusting the public roots and `extra` authorities.
pub fn client_tls(
    extra: &[rustls::pki_types::CertificateDer<'static>],
) -> Arc<rustls::ClientConfig> {
    init_tls();
    let mut roots = rustls::RootCertStore::empty();
    roots.extend(webpki_roots::TLS_SERVER_ROOTS.iter().cloned());
    for cert in extra {
        let _ = roots.add(cert.clone());
    }
    Arc::new(
        rustls::ClientConfig::builder()
            .with_root_certificates(roots)
            .with_no_client_auth(),
    )
}

/// Reads the certificates of a PEM file (for `--ca-file`).
pub fn load_certificates(
    path: &std::path::Path,
) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let certs = rustls::pki_types::CertificateDer::pem_file_iter(path)
        .map_err(|e| format!("{}: {e}", path.display()))?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate in the file", path.display()));
    }
    Ok(certs)
}

/// Unix milliseconds now.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// Checks a listener's address against the loopback rule.
pub fn check_bind(spec: &SourceSpec, opts: &IngestOptions) -> Result<(), String> {
    match spec.bind_address() {
        Some(addr) if !opts.bind_any && !spec::is_loopback(addr) => Err(format!(
            "{addr} is not a loopback address; listeners bind loopback only unless --bind-any is given"
        )),
        _ => Ok(()),
    }
}

/// Binds a listener's TCP address; on failure the source's state says why. Returns the
/// listener and the address it is bound to (the port, when 0 was asked).
pub async fn bind_tcp(addr: &str, ctx: &Ctx) -> Option<(tokio::net::TcpListener, String)> {
    match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => {
            let local = l
                .local_addr()
                .map_or_else(|_| addr.to_owned(), |a| a.to_string());
            Some((l, local))
        }
        Err(e) => {
            ctx.status.set(status::SourceState::Failed(format!(
                "cannot listen on {addr}: {e}"
            )));
            None
        }
    }
}

/// Starts a source's task.
pub fn spawn(spec: SourceSpec, ctx: Ctx) -> JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = check_bind(&spec, &ctx.opts) {
            ctx.status.set(status::SourceState::Failed(e));
            return;
        }
        match spec {
            SourceSpec::File(path) => file::run(path, ctx).await,
            SourceSpec::Stdin => stream::run_stdin(ctx).await,
            SourceSpec::Tcp(addr) => stream::run_tcp(addr, ctx).await,
            SourceSpec::TcpListen(addr) => stream::run_tcp_listen(addr, ctx).await,
            SourceSpec::Udp(addr) => udp::run(addr, ctx).await,
            SourceSpec::Unix(path) => stream::run_unix(path, ctx).await,
            SourceSpec::UnixListen(path) => stream::run_unix_listen(path, ctx).await,
            SourceSpec::WebSocket(url) => ws::run(url, ctx).await,
            SourceSpec::HttpListen { addr, path } => http::run(addr, path, ctx).await,
            SourceSpec::Proxy { addr, upstream } => proxy::run(addr, upstream, ctx).await,
            SourceSpec::Kafka(spec) => kafka::run(*spec, ctx).await,
        }
    })
}
