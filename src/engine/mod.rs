//! The engine: decode → validate → deduplicate → classify → aggregate. Pure and synchronous;
//! the TUI, the sources and every headless command feed it records and read its reports.

pub mod aggregate;
pub mod canon;
pub mod dedup;
pub mod diff;
pub mod facts;
pub mod lines;
pub mod path;
pub mod preview;
pub mod report;
mod rules;
pub mod stage;
pub mod time;
pub mod walk;

use crate::ecapi::codes::Code;
use aggregate::Aggregates;
use dedup::{Dedup, Occurrence, Probe, Verdict};
use report::{Duplicate, DuplicateKind, EventReport, Finding, Status};
use stage::StageMap;
use walk::{Walk, WalkConfig};

/// Everything that changes how records are judged.
#[derive(Clone, Debug, Default)]
pub struct EngineConfig {
    pub walk: WalkConfig,
    pub stages: StageMap,
    pub dedup_window: Option<std::time::Duration>,
}

/// Where a record came from.
#[derive(Clone, Copy, Debug, Default)]
pub struct RecordMeta {
    /// 1-based line (or message number) where the record starts.
    pub line: u64,
    pub source: u16,
    /// Receive time, unix milliseconds.
    pub received_ms: i64,
    /// Handle to fetch the raw record again (see [`PayloadLookup`]).
    pub locator: u64,
}

/// Gives back the raw bytes of an earlier record, to show how a conflicting duplicate differs
/// from its first occurrence. A source that cannot answers `None`.
pub trait PayloadLookup {
    fn payload(&mut self, locator: u64) -> Option<Vec<u8>>;
}

/// A lookup that never has anything.
pub struct NoLookup;

impl PayloadLookup for NoLookup {
    fn payload(&mut self, _: u64) -> Option<Vec<u8>> {
        None
    }
}

pub struct Engine {
    cfg: EngineConfig,
    walk: Walk,
    dedup: Dedup,
    pub agg: Aggregates,
    dup: Option<Duplicate>,
    malformed: Vec<Finding>,
}

impl Engine {
    pub fn new(cfg: EngineConfig) -> Engine {
        Engine {
            walk: Walk::new(cfg.walk.clone()),
            dedup: Dedup::new(cfg.dedup_window),
            cfg,
            agg: Aggregates::default(),
            dup: None,
            malformed: Vec::new(),
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    pub fn dedup_keys(&self) -> usize {
        self.dedup.keys()
    }

    /// Judges one record (a line, a datagram, a request body) and reports each of its events.
    pub fn process(
        &mut self,
        raw: &[u8],
        meta: &RecordMeta,
        lookup: &mut dyn PayloadLookup,
        sink: &mut dyn FnMut(&EventReport),
    ) {
        self.agg.records += 1;
        let reference = meta.received_ms.div_euclid(1000);
        if let Err(e) = self.walk.run(raw, reference) {
            let (code, message) = if e.to_string().contains("recursion limit") {
                (
                    Code::NestingTooDeep,
                    "JSON nested deeper than 128 levels".to_owned(),
                )
            } else {
                (Code::MalformedJson, e.to_string())
            };
            self.record_failure(code, message, Some(preview_bytes(raw)), meta, sink);
            return;
        }
        let n = self.walk.events().len();
        if n == 0 {
            self.record_failure(
                Code::EmptyBatch,
                "a batch with no event".into(),
                None,
                meta,
                sink,
            );
            return;
        }
        let batch = self.walk.is_batch();
        for i in 0..n {
            self.event(i, batch, raw, meta, lookup, sink);
        }
    }

    /// Reports a record that was too long to read.
    pub fn process_too_long(
        &mut self,
        len: u64,
        limit: u64,
        meta: &RecordMeta,
        sink: &mut dyn FnMut(&EventReport),
    ) {
        self.agg.records += 1;
        let message = format!("the record is {len} bytes, over the {limit}-byte limit");
        self.record_failure(Code::LineTooLong, message, None, meta, sink);
    }

    fn record_failure(
        &mut self,
        code: Code,
        message: String,
        value: Option<String>,
        meta: &RecordMeta,
        sink: &mut dyn FnMut(&EventReport),
    ) {
        self.malformed.clear();
        self.malformed.push(Finding {
            code,
            path: "$".into(),
            value,
            message,
            hint: None,
        });
        let status = if code == Code::EmptyBatch {
            Status::Warning
        } else {
            Status::Malformed
        };
        let report = EventReport {
            line: meta.line,
            index: None,
            source: meta.source,
            received_ms: meta.received_ms,
            status,
            event_type: None,
            kind: None,
            stage: None,
            data_set_id: None,
            id: None,
            timestamp: None,
            value: None,
            currency: None,
            duplicate: None,
            findings: &self.malformed,
        };
        self.agg.add(&report, 0);
        sink(&report);
    }

    fn event(
        &mut self,
        i: usize,
        batch: bool,
        raw: &[u8],
        meta: &RecordMeta,
        lookup: &mut dyn PayloadLookup,
        sink: &mut dyn FnMut(&EventReport),
    ) {
        let index = batch.then_some(i as u32);
        self.dup = None;
        let ev = &mut self.walk.events_mut()[i];
        if let (Some(ds), Some(id)) = (ev.data_set_id.get(), ev.id.get()) {
            let time = ev.f.timestamp.unwrap_or(meta.received_ms.div_euclid(1000));
            let probe = Probe {
                data_set_id: ds,
                id,
                content: ev.f.content_hash,
                event_type: ev.f.event_type,
                time,
                at: Occurrence {
                    line: meta.line,
                    index,
                    source: meta.source,
                    locator: meta.locator,
                },
            };
            let verdict = self.dedup.check(&probe);
            let other_space = verdict == Verdict::New && self.dedup.other_space(ds, id);
            let (dup, finding) = dedup_outcome(
                verdict,
                other_space,
                raw,
                index,
                lookup,
                &self.cfg.walk.batch_key,
            );
            self.dup = dup;
            ev.findings.extend(finding);
        }
        let stage =
            ev.f.event_type
                .map(|t| self.cfg.stages.stage(t, ev.custom_event.get()));
        let report = EventReport {
            line: meta.line,
            index,
            source: meta.source,
            received_ms: meta.received_ms,
            status: Status::of(&ev.findings),
            event_type: ev.event_type_text.get(),
            kind: ev.f.event_type,
            stage,
            data_set_id: ev.data_set_id.get(),
            id: ev.id.get(),
            timestamp: ev.f.timestamp,
            value: ev.f.value,
            currency: ev.currency.get(),
            duplicate: self.dup.as_ref(),
            findings: &ev.findings,
        };
        self.agg.add(&report, ev.f.match_keys);
        sink(&report);
    }
}

/// Turns the index's verdict into the report's duplicate and its finding.
fn dedup_outcome(
    verdict: Verdict,
    other_space: bool,
    raw: &[u8],
    index: Option<u32>,
    lookup: &mut dyn PayloadLookup,
    batch_key: &str,
) -> (Option<Duplicate>, Option<Finding>) {
    let at = |first: &Occurrence| match first.index {
        Some(i) => format!("line {} (event {i})", first.line),
        None => format!("line {}", first.line),
    };
    match verdict {
        Verdict::New if other_space => (
            None,
            Some(Finding {
                code: Code::IdInOtherDataSet,
                path: "$.id".into(),
                value: None,
                message: "this id was seen under another data_set_id: a separate id space".into(),
                hint: None,
            }),
        ),
        Verdict::New => (None, None),
        Verdict::Exact(first) => (
            Some(duplicate(DuplicateKind::Exact, &first, Vec::new(), true)),
            Some(Finding {
                code: Code::DuplicateExact,
                path: "$.id".into(),
                value: None,
                message: format!("an exact resend of {}", at(&first)),
                hint: None,
            }),
        ),
        Verdict::Conflict {
            first,
            type_changed,
        } => {
            let earlier = lookup
                .payload(first.locator)
                .and_then(|r| diff::event_of(&r, first.index, batch_key));
            let now = diff::event_of(raw, index, batch_key);
            let (paths, known) = match (earlier, now) {
                (Some(a), Some(b)) => (diff::differing_paths(&a, &b), true),
                _ => (Vec::new(), false),
            };
            let shown = serde_json::to_string(&paths).ok().filter(|_| known);
            let (code, message) = if type_changed {
                (
                    Code::IdReused,
                    format!("this id was used for another event_type at {}", at(&first)),
                )
            } else {
                (
                    Code::DuplicateConflict,
                    format!("same key as {}, different content", at(&first)),
                )
            };
            let finding = Finding {
                code,
                path: "$.id".into(),
                value: shown,
                message,
                hint: None,
            };
            (
                Some(duplicate(DuplicateKind::Conflict, &first, paths, known)),
                Some(finding),
            )
        }
    }
}

fn duplicate(
    kind: DuplicateKind,
    first: &Occurrence,
    paths: Vec<String>,
    known: bool,
) -> Duplicate {
    Duplicate {
        kind,
        first_line: first.line,
        first_index: first.index,
        first_source: first.source,
        paths,
        paths_known: known,
    }
}

/// The start of a raw record as a JSON string, for `malformed_json` findings.
fn preview_bytes(raw: &[u8]) -> String {
    let head = &raw[..raw.len().min(4 * facts::PREVIEW_CHARS)];
    facts::json_string(&String::from_utf8_lossy(head))
}
