//! The `kafka://` source: a member of a consumer group (or of a private group that commits
//! nothing) reading one or more topics, one record per message, on a thread of its own (the
//! client is synchronous; librdkafka calls back into [`context::KafkaContext`] from `poll`).
//!
//! A message's offset is committed only after its record went through the engine (and the
//! capture), acknowledged by the hub; the capture refusing a record rewinds its partition to
//! it (see [`offsets`]). Before partitions go to another member, the hub finishes their
//! records and their offsets are committed, so that the group sees every event once.

pub mod context;
pub mod offsets;
pub mod produce;
pub mod spec;

use super::status::SourceState;
use super::{Ack, Body, Ctx, MessageDetail, Record};
use context::{KafkaContext, Part, Shared, Tp, BROKER_TIMEOUT};
use offsets::Take;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{BorrowedMessage, Message, Timestamp};
use spec::KafkaSpec;
use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

/// Records handed to the hub at once, at most.
const BATCH: usize = 512;
/// How often moved commit points are committed while reading.
const COMMIT_EVERY: Duration = Duration::from_millis(500);

/// Properties a user may not override: they are what makes commits follow the engine.
const OWN: [&str; 3] = [
    "enable.auto.commit",
    "enable.auto.offset.store",
    "enable.partition.eof",
];

/// The client configuration of a consumer for `spec`, with `props` (`-X key=value`, the
/// config file's `[kafka]` table) applied over the defaults.
pub fn client_config(spec: &KafkaSpec, props: &[(String, String)]) -> Result<ClientConfig, String> {
    let mut cfg = ClientConfig::new();
    let group = spec.group.clone().unwrap_or_else(|| {
        format!(
            "ecapi-scope-private-{}-{}",
            std::process::id(),
            super::now_ms()
        )
    });
    cfg.set("bootstrap.servers", spec.brokers.join(","))
        .set("group.id", group)
        .set("client.id", "ecapi-scope")
        .set("enable.auto.commit", "false")
        .set("enable.auto.offset.store", "false")
        .set("auto.offset.reset", "earliest")
        .set("statistics.interval.ms", "1000")
        .set(
            "enable.partition.eof",
            if spec.until_end { "true" } else { "false" },
        );
    for (k, v) in props {
        if OWN.contains(&k.as_str()) {
            return Err(format!(
                "-X {k}: set by ecapi-scope (offsets are committed after the engine has the records)"
            ));
        }
        cfg.set(k, v);
    }
    Ok(cfg)
}

/// Parses `-X key=value` client properties.
pub fn parse_props(items: &[String]) -> Result<Vec<(String, String)>, String> {
    items
        .iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_owned(), v.to_owned())),
            _ => Err(format!(
                "-X {kv:?}: expected key=value (a librdkafka property)"
            )),
        })
        .collect()
}

/// Runs the source until it ends (a bounded run read its partitions to their end) or the
/// program stops.
pub async fn run(mut spec: KafkaSpec, ctx: Ctx) {
    // Not following (`check`, `watch --no-follow`) reads a topic to its end like a file.
    spec.until_end |= !ctx.opts.follow;
    let (done_tx, done_rx) = tokio::sync::oneshot::channel();
    let status = Arc::clone(&ctx.status);
    let started = std::thread::Builder::new()
        .name("kafka".into())
        .spawn(move || {
            consume(&spec, &ctx);
            let _ = done_tx.send(());
        });
    if started.is_err() {
        status.set(SourceState::Failed(
            "the consumer thread could not be started".into(),
        ));
        return;
    }
    let _ = done_rx.await;
}

fn consume(spec: &KafkaSpec, ctx: &Ctx) {
    let cfg = match client_config(spec, &ctx.opts.kafka) {
        Ok(cfg) => cfg,
        Err(e) => return ctx.status.set(SourceState::Failed(e)),
    };
    let (ack_tx, ack_rx) = mpsc::channel();
    let context = KafkaContext {
        status: Arc::clone(&ctx.status),
        shared: std::sync::Mutex::new(Shared {
            parts: HashMap::new(),
            slots: Vec::new(),
            slot_of: HashMap::new(),
            seen: std::collections::HashSet::new(),
            acks: ack_rx,
            bounds: HashMap::new(),
            assigned_once: false,
            errors: 0,
        }),
        from: spec.from.clone(),
        start_ms: spec.start_ms(super::now_ms()),
        commits: spec.group.is_some(),
    };
    let consumer: BaseConsumer<KafkaContext> = match cfg.create_with_context(context) {
        Ok(c) => c,
        Err(e) => {
            return ctx
                .status
                .set(SourceState::Failed(format!("kafka client: {e}")))
        }
    };
    if spec.until_end {
        if let Err(e) = bounds(&consumer, spec) {
            return ctx.status.set(SourceState::Failed(e));
        }
    }
    let topics: Vec<&str> = spec.topics.iter().map(String::as_str).collect();
    if let Err(e) = consumer.subscribe(&topics) {
        return ctx
            .status
            .set(SourceState::Failed(format!("subscribing: {e}")));
    }
    let mut l = Loop {
        consumer: &consumer,
        ctx,
        spec,
        ack_tx,
        batch: Vec::new(),
        line: 0,
        last_commit: Instant::now(),
    };
    l.run();
    l.flush();
    l.finish();
}

/// The end offsets (and low watermarks) of every partition of the topics, taken at start.
fn bounds(c: &BaseConsumer<KafkaContext>, spec: &KafkaSpec) -> Result<(), String> {
    let mut found = HashMap::new();
    for topic in &spec.topics {
        let meta = c
            .fetch_metadata(Some(topic), BROKER_TIMEOUT)
            .map_err(|e| format!("{topic}: metadata: {e}"))?;
        let parts: Vec<i32> = meta
            .topics()
            .iter()
            .filter(|t| t.name() == topic && t.error().is_none())
            .flat_map(|t| {
                t.partitions()
                    .iter()
                    .map(rdkafka::metadata::MetadataPartition::id)
            })
            .collect();
        if parts.is_empty() {
            return Err(format!(
                "{topic}: no such topic (or no partitions) on the brokers"
            ));
        }
        for p in parts {
            let (low, high) = c
                .fetch_watermarks(topic, p, BROKER_TIMEOUT)
                .map_err(|e| format!("{topic}[{p}]: end offsets: {e}"))?;
            found.insert((Arc::<str>::from(topic.as_str()), p), (low, high));
        }
    }
    c.context().lock().bounds = found;
    Ok(())
}

struct Loop<'a> {
    consumer: &'a BaseConsumer<KafkaContext>,
    ctx: &'a Ctx,
    spec: &'a KafkaSpec,
    ack_tx: mpsc::Sender<super::Acked>,
    batch: Vec<Record>,
    line: u64,
    last_commit: Instant,
}

impl Loop<'_> {
    fn run(&mut self) {
        loop {
            if self.ctx.opts.stop.load(Ordering::Relaxed) || self.ctx.tx.is_closed() {
                return;
            }
            self.housekeeping();
            if self.spec.until_end && self.finished() {
                return;
            }
            let wait = if self.batch.is_empty() { 100 } else { 0 };
            match self.consumer.poll(Duration::from_millis(wait)) {
                None => {
                    if !self.flush() {
                        return;
                    }
                }
                Some(Ok(m)) => self.message(&m),
                Some(Err(KafkaError::PartitionEOF(p))) => self.eof(p),
                Some(Err(e)) => self.ctx.status.error(format!("{e}")),
            }
            if self.batch.len() >= BATCH && !self.flush() {
                return;
            }
        }
    }

    /// Verdicts, rewinds after refusals and commits.
    fn housekeeping(&mut self) {
        let rewinds: Vec<(Tp, i64)> = {
            let mut sh = self.consumer.context().lock();
            sh.drain_acks();
            let now = Instant::now();
            sh.parts
                .iter_mut()
                .filter(|(_, p)| p.retry_at.is_some_and(|t| t <= now))
                .filter_map(|(tp, p)| {
                    p.retry_at = None;
                    Some((tp.clone(), p.offsets.rewind()?))
                })
                .collect()
        };
        for ((t, p), o) in rewinds {
            let to = rdkafka::Offset::Offset(o);
            if let Err(e) = self.consumer.seek(&t, p, to, BROKER_TIMEOUT) {
                self.ctx
                    .status
                    .error(format!("{t}[{p}]: reading {o} again: {e}"));
                if let Some(part) = self.consumer.context().lock().parts.get_mut(&(t, p)) {
                    part.retry_at = Some(Instant::now() + Duration::from_secs(1));
                }
            }
        }
        if self.last_commit.elapsed() >= COMMIT_EVERY {
            self.commit(CommitMode::Async);
        }
    }

    fn commit(&mut self, mode: CommitMode) {
        self.last_commit = Instant::now();
        let context = self.consumer.context();
        if !context.commits {
            return;
        }
        let Some(list) = context.lock().to_commit() else {
            return;
        };
        match self.consumer.commit(&list, mode) {
            Ok(()) => context.lock().committed(&list),
            Err(e) => self.ctx.status.error(format!("committing offsets: {e}")),
        }
    }

    /// A bounded run is over: every assigned partition read to its end, every record counted.
    fn finished(&self) -> bool {
        let sh = self.consumer.context().lock();
        sh.assigned_once
            && self.ctx.status.state() != SourceState::Rebalancing
            && self.batch.is_empty()
            && sh
                .parts
                .values()
                .all(|p| p.done && p.offsets.rewind().is_none())
            && sh.in_flight() == 0
    }

    fn eof(&mut self, partition: i32) {
        let mut sh = self.consumer.context().lock();
        for ((_, p), part) in &mut sh.parts {
            let at_end = match (part.next, part.end) {
                (Some(n), Some(e)) => n >= e,
                (None, Some(e)) => e == 0,
                _ => false,
            };
            if *p == partition && (at_end || self.spec.topics.len() == 1) {
                part.done = true;
            }
        }
    }

    fn message(&mut self, m: &BorrowedMessage<'_>) {
        let tp: Tp = (Arc::from(m.topic()), m.partition());
        let offset = m.offset();
        let timestamp_ms = match m.timestamp() {
            Timestamp::CreateTime(t) | Timestamp::LogAppendTime(t) => Some(t),
            Timestamp::NotAvailable => None,
        };
        let start_ms = self.consumer.context().start_ms;
        let (slot, take) = {
            let mut sh = self.consumer.context().lock();
            sh.errors = 0;
            let slot = sh.slot(&tp);
            let Some(part) = sh.parts.get_mut(&tp) else {
                return;
            };
            let take = decide(part, offset, timestamp_ms, start_ms);
            (slot, take)
        };
        if matches!(
            self.ctx.status.state(),
            SourceState::Reconnecting { .. } | SourceState::Starting
        ) {
            let parts = context::describe(&self.consumer.assignment().unwrap_or_default());
            self.ctx.status.set(SourceState::Assigned(parts));
        }
        if take != Take::Dispatch {
            return;
        }
        self.line += 1;
        let payload = m.payload().unwrap_or_default();
        let body = if payload.len() > self.ctx.opts.max_line_bytes {
            Body::TooLong(payload.len() as u64)
        } else {
            Body::Raw(bytes::Bytes::copy_from_slice(payload))
        };
        let mut rec = self.ctx.record(self.line, body);
        rec.ack = Some(Ack::new(self.ack_tx.clone(), slot, offset));
        rec.message = Some(Box::new(MessageDetail {
            topic: tp.0,
            partition: tp.1,
            offset,
            key: m.key().map(<[u8]>::to_vec),
            timestamp_ms,
        }));
        self.batch.push(rec);
    }

    /// Hands the batch to the hub (waiting for room); false once the hub is gone.
    fn flush(&mut self) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let batch = std::mem::take(&mut self.batch);
        self.ctx.tx.blocking_send(batch).is_ok()
    }

    /// At the end: the hub's last verdicts (briefly), a last commit, and the final state.
    fn finish(&mut self) {
        let deadline = Instant::now() + Duration::from_secs(5);
        while self.consumer.context().lock().in_flight() > 0 && Instant::now() < deadline {
            let _ = self.consumer.poll(Duration::from_millis(20));
            self.consumer.context().lock().drain_acks();
        }
        self.commit(CommitMode::Sync);
        self.ctx.status.set(SourceState::Ended);
    }
}

/// What to do with a message of `part`: dispatch it, or pass over it.
fn decide(part: &mut Part, offset: i64, timestamp_ms: Option<i64>, start_ms: Option<i64>) -> Take {
    if part.end.is_some_and(|e| offset >= e) {
        // Past a bounded run's end: left for the next run, not committed.
        part.done = true;
        return Take::Skip;
    }
    part.next = Some(offset + 1);
    if part.end.is_some_and(|e| offset + 1 >= e) {
        part.done = true;
    }
    // A start by time: some brokers answer an offset before it; what is older is skipped.
    if let (Some(start), Some(ts)) = (start_ms, timestamp_ms) {
        if ts < start {
            part.offsets.pass(offset);
            return Take::Skip;
        }
    }
    part.offsets.take(offset)
}
