//! Sending generated traffic somewhere live: a TCP or Unix socket (one line per event, as the
//! socket sources read it) or an ECAPI endpoint (one `POST` per line, keep-alive, several in
//! flight), optionally paced to a rate.

use super::{GenOptions, GenStats, Generator};
use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Tcp(String),
    Unix(PathBuf),
    /// An endpoint URL, `http://` or `https://`.
    Http(String),
    /// `kafka://BROKERS/TOPIC`: one message per line, keyed by `data_set_id:id`.
    Kafka(Box<crate::ingest::kafka::spec::KafkaSpec>),
}

impl Target {
    pub fn parse(text: &str) -> Result<Target, String> {
        if let Some(addr) = text.strip_prefix("tcp://") {
            return Ok(Target::Tcp(addr.to_owned()));
        }
        if let Some(path) = text.strip_prefix("unix://") {
            return Ok(Target::Unix(PathBuf::from(path)));
        }
        if text.starts_with("http://") || text.starts_with("https://") {
            return Ok(Target::Http(text.to_owned()));
        }
        if let Some(rest) = text.strip_prefix("kafka://") {
            let spec = crate::ingest::kafka::spec::KafkaSpec::parse(text, rest)?;
            return Ok(Target::Kafka(Box::new(spec)));
        }
        Err(format!(
            "{text:?}: expected tcp://HOST:PORT, unix:///PATH, http(s)://… or kafka://BROKERS/TOPIC"
        ))
    }
}

/// What was sent; for endpoints, the answers by status.
#[derive(Debug, Default, serde::Serialize)]
pub struct Sent {
    pub lines: u64,
    pub statuses: BTreeMap<u16, u64>,
    pub failed: u64,
    pub generated: GenStats,
}

impl Sent {
    /// What went wrong, when anything did: requests that could not be sent, and those answered
    /// with something other than 2xx, by status.
    pub fn problems(&self) -> Option<String> {
        let refused: Vec<(u16, u64)> = self
            .statuses
            .iter()
            .filter(|(s, _)| !(200..300).contains(*s))
            .map(|(s, n)| (*s, *n))
            .collect();
        let wrong = self.failed + refused.iter().map(|(_, n)| n).sum::<u64>();
        if wrong == 0 {
            return None;
        }
        let mut parts: Vec<String> = refused
            .iter()
            .map(|(s, n)| format!("{n} answered {s}"))
            .collect();
        if self.failed > 0 {
            parts.push(format!("{} could not be sent", self.failed));
        }
        Some(format!(
            "{wrong} of {} requests went wrong: {}",
            self.lines,
            parts.join(", ")
        ))
    }
}

/// Waits until line `n` is due at `rate` lines per second.
fn pace(start: Instant, n: u64, rate: Option<f64>) {
    if let Some(rate) = rate.filter(|r| *r > 0.0) {
        let due = start + Duration::from_secs_f64(n as f64 / rate);
        let now = Instant::now();
        if due > now {
            std::thread::sleep(due - now);
        }
    }
}

fn stream_lines<W: Write>(gen: &mut Generator, out: W, rate: Option<f64>) -> io::Result<u64> {
    let mut out = BufWriter::with_capacity(256 * 1024, out);
    let mut line = Vec::new();
    let start = Instant::now();
    let mut n = 0u64;
    while gen.next_line(&mut line) {
        pace(start, n, rate);
        line.push(b'\n');
        out.write_all(&line)?;
        if rate.is_some() {
            out.flush()?;
        }
        line.clear();
        n += 1;
    }
    out.flush()?;
    Ok(n)
}

/// Produces every line to a topic, keyed (see `ingest::kafka::produce`).
fn produce_all(
    gen: &mut Generator,
    spec: &crate::ingest::kafka::spec::KafkaSpec,
    props: &[(String, String)],
    batch_key: &str,
    rate: Option<f64>,
) -> io::Result<u64> {
    use crate::ingest::kafka::produce::{key_of, KeyedProducer};
    let mut producer = KeyedProducer::new(spec, props).map_err(io::Error::other)?;
    let mut line = Vec::new();
    let start = Instant::now();
    let mut n = 0u64;
    while gen.next_line(&mut line) {
        pace(start, n, rate);
        let key = key_of(&line, batch_key);
        producer
            .send(&line, key.as_deref())
            .map_err(io::Error::other)?;
        line.clear();
        n += 1;
    }
    producer
        .finish(Duration::from_secs(60))
        .map_err(io::Error::other)
}

/// Generates `opts` traffic into `target`; `kafka` holds client properties (`-X`).
pub fn send(
    opts: GenOptions,
    target: &Target,
    rate: Option<f64>,
    concurrency: usize,
    kafka: &[(String, String)],
) -> io::Result<Sent> {
    let batch_key = opts.batch_key.clone();
    let mut gen = Generator::new(opts);
    let mut sent = Sent::default();
    match target {
        Target::Tcp(addr) => {
            sent.lines = stream_lines(&mut gen, std::net::TcpStream::connect(addr)?, rate)?;
        }
        Target::Unix(path) => {
            sent.lines = stream_lines(
                &mut gen,
                std::os::unix::net::UnixStream::connect(path)?,
                rate,
            )?;
        }
        Target::Kafka(spec) => {
            sent.lines = produce_all(&mut gen, spec, kafka, &batch_key, rate)?;
        }
        Target::Http(url) => {
            let gen = Arc::new(Mutex::new(gen));
            post_all(&gen, url, rate, concurrency.max(1), &mut sent)?;
            gen.lock()
                .map_err(|_| io::Error::other("generator poisoned"))?
                .stats()
                .clone_into(&mut sent.generated);
            return Ok(sent);
        }
    }
    gen.stats().clone_into(&mut sent.generated);
    Ok(sent)
}

/// Posts every line, `concurrency` requests in flight on keep-alive connections.
fn post_all(
    gen: &Arc<Mutex<Generator>>,
    url: &str,
    rate: Option<f64>,
    concurrency: usize,
    sent: &mut Sent,
) -> io::Result<()> {
    crate::ingest::init_tls();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    let client = reqwest::Client::builder()
        .build()
        .map_err(io::Error::other)?;
    let start = Instant::now();
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let results: Vec<(u64, BTreeMap<u16, u64>, u64)> = rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..concurrency {
            let (gen, client, url, counter) = (
                Arc::clone(gen),
                client.clone(),
                url.to_owned(),
                Arc::clone(&counter),
            );
            tasks.push(tokio::spawn(async move {
                let (mut lines, mut statuses, mut failed) = (0u64, BTreeMap::new(), 0u64);
                let mut line = Vec::new();
                loop {
                    line.clear();
                    let more = gen.lock().is_ok_and(|mut g| g.next_line(&mut line));
                    if !more {
                        break;
                    }
                    let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    if let Some(r) = rate.filter(|r| *r > 0.0) {
                        let due = start + Duration::from_secs_f64(n as f64 / r);
                        tokio::time::sleep_until(due.into()).await;
                    }
                    let resp = client
                        .post(&url)
                        .header("content-type", "application/json")
                        .body(line.clone())
                        .send()
                        .await;
                    lines += 1;
                    match resp {
                        Ok(r) => {
                            *statuses.entry(r.status().as_u16()).or_insert(0) += 1;
                            // Reading the answer to its end lets the connection be reused.
                            let _ = r.bytes().await;
                        }
                        Err(_) => failed += 1,
                    }
                }
                (lines, statuses, failed)
            }));
        }
        let mut out = Vec::new();
        for t in tasks {
            if let Ok(r) = t.await {
                out.push(r);
            }
        }
        out
    });
    for (lines, statuses, failed) in results {
        sent.lines += lines;
        sent.failed += failed;
        for (s, n) in statuses {
            *sent.statuses.entry(s).or_insert(0) += n;
        }
    }
    Ok(())
}
