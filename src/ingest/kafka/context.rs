//! The consumer's context: what librdkafka calls back into (rebalances, statistics, errors), and
//! the per-partition state it shares with the consuming loop (both run on the consumer's one
//! thread: callbacks come from inside `poll`).

use super::offsets::PartitionOffsets;
use super::spec::From;
use crate::ingest::status::{PartitionView, SourceState, SourceStatus};
use crate::ingest::Acked;
use rdkafka::consumer::{BaseConsumer, Consumer, ConsumerContext};
use rdkafka::error::KafkaError;
use rdkafka::statistics::Statistics;
use rdkafka::topic_partition_list::{Offset, TopicPartitionList};
use rdkafka::types::RDKafkaRespErr;
use rdkafka::ClientContext;
use std::collections::{HashMap, HashSet};
use std::sync::{mpsc, Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime};

/// How long a revocation waits for the hub to finish the partitions' records in flight.
const REVOKE_WAIT: Duration = Duration::from_secs(30);
pub const BROKER_TIMEOUT: Duration = Duration::from_secs(10);

pub type Tp = (Arc<str>, i32);

/// One assigned partition.
#[derive(Default)]
pub struct Part {
    pub offsets: PartitionOffsets,
    /// A bounded run's end (the high watermark at start).
    pub end: Option<i64>,
    /// The next offset to read, as far as known.
    pub next: Option<i64>,
    /// A bounded run has read this partition to its end.
    pub done: bool,
    /// The high watermark, from the last statistics.
    pub high: Option<i64>,
    /// When a refused message may be read again.
    pub retry_at: Option<Instant>,
}

pub struct Shared {
    pub parts: HashMap<Tp, Part>,
    /// Ack slots: index → partition.
    pub slots: Vec<Tp>,
    pub slot_of: HashMap<Tp, u32>,
    /// Partitions assigned at least once in this process (later assignments resume from the
    /// group's commits, not from `from`).
    pub seen: HashSet<Tp>,
    pub acks: mpsc::Receiver<Acked>,
    /// A bounded run's end offsets and low watermarks, by partition.
    pub bounds: HashMap<Tp, (i64, i64)>,
    pub assigned_once: bool,
    /// Errors since the last message, for the reconnecting state.
    pub errors: u32,
}

impl Shared {
    pub fn slot(&mut self, tp: &Tp) -> u32 {
        if let Some(s) = self.slot_of.get(tp) {
            return *s;
        }
        let s = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
        self.slots.push(tp.clone());
        self.slot_of.insert(tp.clone(), s);
        s
    }

    /// Applies the hub's verdicts that arrived.
    pub fn drain_acks(&mut self) {
        while let Ok(a) = self.acks.try_recv() {
            self.ack(a);
        }
    }

    fn ack(&mut self, a: Acked) {
        let Some(tp) = self.slots.get(a.slot as usize) else {
            return;
        };
        if let Some(p) = self.parts.get_mut(tp) {
            p.offsets.ack(a.offset, a.counted);
            if !a.counted && p.retry_at.is_none() {
                p.retry_at = Some(Instant::now() + Duration::from_secs(1));
            }
        }
    }

    pub fn in_flight(&self) -> usize {
        self.parts.values().map(|p| p.offsets.in_flight()).sum()
    }

    /// The commit points that moved, as a list to commit.
    pub fn to_commit(&self) -> Option<TopicPartitionList> {
        let mut tpl = TopicPartitionList::new();
        for ((t, p), part) in &self.parts {
            if let Some(o) = part.offsets.to_commit() {
                let _ = tpl.add_partition_offset(t, *p, Offset::Offset(o));
            }
        }
        (tpl.count() > 0).then_some(tpl)
    }

    pub fn committed(&mut self, tpl: &TopicPartitionList) {
        for e in tpl.elements() {
            let tp: Tp = (Arc::from(e.topic()), e.partition());
            if let (Some(part), Offset::Offset(o)) = (self.parts.get_mut(&tp), e.offset()) {
                part.offsets.committed(o);
            }
        }
    }

    pub fn views(&self) -> Vec<PartitionView> {
        let mut v: Vec<PartitionView> = self
            .parts
            .iter()
            .map(|((t, p), part)| PartitionView {
                topic: t.to_string(),
                partition: *p,
                position: part.next,
                committed: part.offsets.commit_point(),
                high_watermark: part.high,
                // Ours, not librdkafka's consumer_lag (measured from the committed offset,
                // unknown for a private group that commits nothing).
                lag: part.high.zip(part.next).map(|(h, n)| (h - n).max(0)),
            })
            .collect();
        v.sort_by(|a, b| (&a.topic, a.partition).cmp(&(&b.topic, b.partition)));
        v
    }
}

pub struct KafkaContext {
    pub status: Arc<SourceStatus>,
    pub shared: Mutex<Shared>,
    pub from: From,
    pub start_ms: Option<i64>,
    /// Commits are made (a named group); a private group commits nothing.
    pub commits: bool,
}

impl KafkaContext {
    pub fn lock(&self) -> MutexGuard<'_, Shared> {
        self.shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Sets where each partition seen for the first time starts, as `from` says.
    fn position(&self, c: &BaseConsumer<KafkaContext>, tpl: &mut TopicPartitionList) {
        let fresh: Vec<Tp> = {
            let sh = self.lock();
            tpl.elements()
                .iter()
                .map(|e| (Arc::from(e.topic()), e.partition()))
                .filter(|tp| !sh.seen.contains(tp))
                .collect()
        };
        let by_time = self.start_ms.filter(|_| !fresh.is_empty()).map(|ms| {
            let mut q = TopicPartitionList::new();
            for (t, p) in &fresh {
                let _ = q.add_partition_offset(t, *p, Offset::Offset(ms));
            }
            c.offsets_for_times(q, BROKER_TIMEOUT)
        });
        for (t, p) in &fresh {
            let offset = match (&self.from, &by_time) {
                (From::Earliest, _) => Offset::Beginning,
                (From::Latest, _) => Offset::End,
                (_, Some(Ok(found))) => match found.find_partition(t, *p).map(|e| e.offset()) {
                    Some(Offset::Offset(o)) if o >= 0 => Offset::Offset(o),
                    _ => Offset::End,
                },
                (_, Some(Err(e))) => {
                    self.status.error(format!(
                        "{t}[{p}]: offsets by time: {e}; reading from the earliest offset (records before the start are skipped)"
                    ));
                    Offset::Beginning
                }
                _ => continue,
            };
            let _ = tpl.set_partition_offset(t, *p, offset);
        }
    }

    /// Where a bounded run starts each partition: known now, so that a partition already at its
    /// end is done without waiting for a message.
    fn starts(&self, c: &BaseConsumer<KafkaContext>, tpl: &TopicPartitionList) -> HashMap<Tp, i64> {
        let committed = c.committed_offsets(tpl.clone(), BROKER_TIMEOUT).ok();
        let sh = self.lock();
        let mut out = HashMap::new();
        for e in tpl.elements() {
            let tp: Tp = (Arc::from(e.topic()), e.partition());
            let Some(&(low, end)) = sh.bounds.get(&tp) else {
                continue;
            };
            let from_commit = committed
                .as_ref()
                .and_then(|c| c.find_partition(e.topic(), e.partition()))
                .and_then(|x| match x.offset() {
                    Offset::Offset(o) => Some(o),
                    _ => None,
                });
            let start = match e.offset() {
                Offset::Offset(o) => o,
                Offset::End => end,
                Offset::Beginning => low,
                _ => from_commit.unwrap_or(low),
            };
            out.insert(tp, start.max(low));
        }
        out
    }

    fn assign(&self, c: &BaseConsumer<KafkaContext>, tpl: &mut TopicPartitionList) {
        self.position(c, tpl);
        let starts = self.starts(c, tpl);
        {
            let mut sh = self.lock();
            sh.assigned_once = true;
            for e in tpl.elements() {
                let tp: Tp = (Arc::from(e.topic()), e.partition());
                sh.seen.insert(tp.clone());
                sh.slot(&tp);
                let bound = sh.bounds.get(&tp).copied();
                let part = sh.parts.entry(tp.clone()).or_default();
                if let Some((_, end)) = bound {
                    part.end = Some(end);
                    let start = starts.get(&tp).copied();
                    part.next = start;
                    part.done = start.is_some_and(|s| s >= end);
                }
            }
            let views = sh.views();
            drop(sh);
            self.status.set_partitions(views);
        }
        if let Err(e) = c.assign(tpl) {
            self.status.error(format!("assigning partitions: {e}"));
        }
        self.status.set(SourceState::Assigned(describe(tpl)));
    }

    /// Before partitions go to another member: the hub finishes their records, their commit
    /// points are committed, and they are forgotten here.
    fn revoke(&self, c: &BaseConsumer<KafkaContext>, tpl: &TopicPartitionList) {
        self.status.set(SourceState::Rebalancing);
        let revoked: Vec<Tp> = tpl
            .elements()
            .iter()
            .map(|e| (Arc::from(e.topic()), e.partition()))
            .collect();
        let deadline = Instant::now() + REVOKE_WAIT;
        let mut sh = self.lock();
        loop {
            sh.drain_acks();
            let open: usize = revoked
                .iter()
                .filter_map(|tp| sh.parts.get(tp))
                .map(|p| p.offsets.in_flight())
                .sum();
            if open == 0 || Instant::now() >= deadline {
                break;
            }
            match sh.acks.recv_timeout(Duration::from_millis(50)) {
                Ok(a) => sh.ack(a),
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
        }
        if self.commits {
            if let Some(list) = sh.to_commit() {
                match c.commit(&list, rdkafka::consumer::CommitMode::Sync) {
                    Ok(()) => sh.committed(&list),
                    Err(e) => self.status.error(format!("committing offsets: {e}")),
                }
            }
        }
        for tp in &revoked {
            sh.parts.remove(tp);
        }
        let views = sh.views();
        drop(sh);
        self.status.set_partitions(views);
        if let Err(e) = c.unassign() {
            self.status.error(format!("unassigning partitions: {e}"));
        }
    }
}

/// `events[0,1] more[3]`, or what an empty assignment means.
pub fn describe(tpl: &TopicPartitionList) -> String {
    let elements = tpl.elements();
    let mut by_topic: std::collections::BTreeMap<&str, Vec<i32>> =
        std::collections::BTreeMap::new();
    for e in &elements {
        by_topic.entry(e.topic()).or_default().push(e.partition());
    }
    if by_topic.is_empty() {
        return "no partitions (the group has more members than partitions)".into();
    }
    by_topic
        .into_iter()
        .map(|(t, mut ps)| {
            ps.sort_unstable();
            let ps: Vec<String> = ps.iter().map(i32::to_string).collect();
            format!("{t}[{}]", ps.join(","))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

impl ClientContext for KafkaContext {
    fn stats(&self, statistics: Statistics) {
        let mut sh = self.lock();
        for (topic, t) in &statistics.topics {
            for (pid, p) in &t.partitions {
                let tp: Tp = (Arc::from(topic.as_str()), *pid);
                if let Some(part) = sh.parts.get_mut(&tp) {
                    part.high = (p.hi_offset >= 0).then_some(p.hi_offset);
                }
            }
        }
        let views = sh.views();
        drop(sh);
        self.status.set_partitions(views);
    }

    fn error(&self, error: KafkaError, reason: &str) {
        let text = format!("{error}: {reason}");
        self.status.error(text.clone());
        let down = matches!(
            error.rdkafka_error_code(),
            Some(
                rdkafka::types::RDKafkaErrorCode::AllBrokersDown
                    | rdkafka::types::RDKafkaErrorCode::BrokerTransportFailure
                    | rdkafka::types::RDKafkaErrorCode::Resolve
            )
        );
        if down {
            let attempt = {
                let mut sh = self.lock();
                sh.errors = sh.errors.saturating_add(1);
                sh.errors
            };
            self.status.set(SourceState::Reconnecting {
                attempt,
                next_attempt: SystemTime::now() + Duration::from_secs(1),
                reason: text,
            });
        }
    }

    fn log(&self, _level: rdkafka::config::RDKafkaLogLevel, _fac: &str, _message: &str) {
        // Errors reach `error` above; librdkafka's log lines would only clutter the terminal.
    }
}

impl ConsumerContext for KafkaContext {
    fn rebalance(
        &self,
        c: &BaseConsumer<KafkaContext>,
        err: RDKafkaRespErr,
        tpl: &mut TopicPartitionList,
    ) {
        match err {
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS => self.assign(c, tpl),
            RDKafkaRespErr::RD_KAFKA_RESP_ERR__REVOKE_PARTITIONS => self.revoke(c, tpl),
            other => {
                let code: rdkafka::types::RDKafkaErrorCode = other.into();
                self.status.error(format!("rebalancing: {code}"));
                self.status.set(SourceState::Rebalancing);
                let _ = c.unassign();
            }
        }
    }
}
