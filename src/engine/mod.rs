//! The engine: decode → validate → deduplicate → classify → aggregate. Pure and synchronous;
//! the TUI, the sources and every headless command feed it records and read its reports.

pub mod aggregate;
mod any;
pub mod canon;
pub mod dedup;
pub mod diff;
mod dupkeys;
pub mod facts;
mod fastjson;
mod idtable;
pub mod lines;
pub mod path;
pub mod preview;
pub mod rate;
pub mod recent;
pub mod report;
mod rules;
pub mod severity;
mod shards;
pub mod stage;
pub mod time;
pub mod walk;

mod commit;

use crate::ecapi::codes::Code;
use aggregate::Aggregates;
pub use commit::Committer;
use dedup::{Occurrence, Verdict};
use facts::EventFacts;
use report::{Duplicate, DuplicateKind, EventReport, Finding, Message, Seen};
use stage::StageMap;
use walk::{Walk, WalkConfig};

/// Everything that changes how records are judged.
#[derive(Clone, Debug, Default)]
pub struct EngineConfig {
    pub walk: WalkConfig,
    pub stages: StageMap,
    pub dedup_window: Option<std::time::Duration>,
    /// Severities in force where the configuration changes a code's own.
    pub severity: severity::Overrides,
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

/// Why a record yielded no event.
#[derive(Clone, Debug)]
pub struct Failure {
    pub code: Code,
    pub message: String,
    pub value: Option<String>,
}

impl Failure {
    /// The failure as the record's one finding, at `$`.
    pub fn into_finding(self) -> Finding {
        Finding {
            code: self.code,
            severity: self.code.severity(),
            path: "$".into(),
            value: self.value,
            message: self.message.into(),
            hint: None,
        }
    }
}

/// The validating half of the engine: stateless from record to record, so it can run on
/// another thread than the [`Committer`].
pub struct Validator {
    walk: Walk,
}

/// What validation made of a record.
pub enum Validation<'a> {
    Failure(Failure),
    /// The record's events; `batch` when it was an array or envelope (events carry an index).
    Events {
        events: &'a mut [EventFacts],
        batch: bool,
    },
}

impl Validator {
    pub fn new(cfg: &EngineConfig) -> Validator {
        Validator {
            walk: Walk::new(cfg.walk.clone()),
        }
    }

    /// Validates one record; `reference` is the unix second event times are compared with.
    pub fn validate(&mut self, raw: &[u8], reference: i64) -> Validation<'_> {
        if let Err(e) = self.walk.run(raw, reference) {
            let (code, message) = if e.to_string().contains("recursion limit") {
                (
                    Code::NestingTooDeep,
                    "JSON nested deeper than 128 levels".to_owned(),
                )
            } else {
                (Code::MalformedJson, e.to_string())
            };
            return Validation::Failure(Failure {
                code,
                message,
                value: Some(preview_bytes(raw)),
            });
        }
        let batch = self.walk.is_batch();
        let events = self.walk.events_mut();
        if events.is_empty() {
            return Validation::Failure(Failure {
                code: Code::EmptyBatch,
                message: "a batch with no event".into(),
                value: None,
            });
        }
        Validation::Events { events, batch }
    }

    /// Batch mode: the events of every record validated from now on stay in the validator,
    /// one record's after the other's, until `end_batch` hands them all over without a copy.
    /// `events_start` tells where the last record's are.
    pub fn begin_batch(&mut self) {
        self.walk.keep_events();
    }

    /// Where the last record's events start among the batch's (see `begin_batch`).
    pub fn events_start(&self) -> usize {
        self.walk.events_start()
    }

    /// Ends batch mode: `out` is exchanged with the validator's events, which the records'
    /// outcomes point into; `out`'s old events become the validator's reusable slots.
    pub fn end_batch(&mut self, out: &mut Vec<EventFacts>) {
        self.walk.swap_events(out);
    }
}

/// Validator and committer on one thread: what live sources use, record by record.
pub struct Engine {
    validator: Validator,
    committer: Committer,
}

impl Engine {
    pub fn new(cfg: EngineConfig) -> Engine {
        Engine {
            validator: Validator::new(&cfg),
            committer: Committer::new(cfg),
        }
    }

    pub fn config(&self) -> &EngineConfig {
        self.committer.config()
    }

    pub fn aggregates(&self) -> &Aggregates {
        &self.committer.agg
    }

    pub fn dedup_keys(&self) -> usize {
        self.committer.dedup_keys()
    }

    /// Judges one record (a line, a datagram, a request body) and reports each of its events.
    pub fn process(
        &mut self,
        raw: &[u8],
        meta: &RecordMeta,
        lookup: &mut dyn PayloadLookup,
        sink: &mut dyn FnMut(&EventReport),
    ) {
        let reference = meta.received_ms.div_euclid(1000);
        let validation = self.validator.validate(raw, reference);
        self.committer.commit(validation, raw, meta, lookup, sink);
    }

    /// Reports a record that was too long to read.
    pub fn process_too_long(
        &mut self,
        len: u64,
        limit: u64,
        meta: &RecordMeta,
        sink: &mut dyn FnMut(&EventReport),
    ) {
        self.committer.too_long(len, limit, meta, sink);
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
    // Written out only when an output shows it.
    let at = |seen: Seen, first: &Occurrence| Message::FirstAt {
        seen,
        line: first.line,
        index: first.index,
    };
    match verdict {
        Verdict::New if other_space => (
            None,
            Some(Finding {
                code: Code::IdInOtherDataSet,
                severity: Code::IdInOtherDataSet.severity(),
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
                severity: Code::DuplicateExact.severity(),
                path: "$.id".into(),
                value: None,
                message: at(Seen::Resend, &first),
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
                (Code::IdReused, at(Seen::OtherType, &first))
            } else {
                (Code::DuplicateConflict, at(Seen::Conflict, &first))
            };
            let finding = Finding {
                code,
                severity: code.severity(),
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
