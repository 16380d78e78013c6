//! The stateful half of the engine: deduplication, funnel stage, aggregates and the report
//! for each event, in input order. Runs on one thread; validation may run on another.

use super::{dedup_outcome, EngineConfig, Failure, PayloadLookup, RecordMeta, Validation};
use crate::ecapi::codes::Code;
use crate::engine::aggregate::Aggregates;
use crate::engine::dedup::{Dedup, Occurrence, Probe};
use crate::engine::facts::EventFacts;
use crate::engine::report::{Duplicate, EventReport, Finding, Status};

pub struct Committer {
    cfg: EngineConfig,
    dedup: Dedup,
    pub agg: Aggregates,
    dup: Option<Duplicate>,
    failure: Vec<Finding>,
}

impl Committer {
    pub fn new(cfg: EngineConfig) -> Committer {
        Committer {
            dedup: Dedup::new(cfg.dedup_window),
            cfg,
            agg: Aggregates::default(),
            dup: None,
            failure: Vec::new(),
        }
    }

    pub fn config(&self) -> &EngineConfig {
        &self.cfg
    }

    pub fn dedup_keys(&self) -> usize {
        self.dedup.keys()
    }

    /// Looks ahead at events about to be committed: fetches the dedup index's lines where
    /// their ids are or will be, for all of them at once, so that those waits (the index is far
    /// larger than any cache) overlap rather than add up; `event` then finds them cached, and
    /// the keys computed. Changes nothing else. With the small batches of a one-thread check,
    /// 6% off `check -j 1` on a million ids (about half of it the batches alone).
    pub fn warm(&self, events: &mut [EventFacts]) {
        let mut found = 0usize;
        for ev in events {
            if let Some(id) = ev.id.get().filter(|id| !id.is_empty()) {
                let (key, seen) = self.dedup.warm(id);
                ev.f.id_key = Some(key);
                found += usize::from(seen);
            }
        }
        // The lookups are made for their loads: keep them from being optimized away.
        std::hint::black_box(found);
    }

    /// Commits a validated record: each event, or the record's failure.
    pub fn commit(
        &mut self,
        validation: Validation,
        raw: &[u8],
        meta: &RecordMeta,
        lookup: &mut dyn PayloadLookup,
        sink: &mut dyn FnMut(&EventReport),
    ) {
        match validation {
            Validation::Failure(f) => self.failure(f, meta, sink),
            Validation::Events { events, batch } => {
                self.agg.records += 1;
                for (i, ev) in events.iter_mut().enumerate() {
                    let index = batch.then_some(i as u32);
                    self.event(ev, index, raw, meta, lookup, sink);
                }
            }
        }
    }

    /// Reports a record that was too long to read.
    pub fn too_long(
        &mut self,
        len: u64,
        limit: u64,
        meta: &RecordMeta,
        sink: &mut dyn FnMut(&EventReport),
    ) {
        let message = format!("the record is {len} bytes, over the {limit}-byte limit");
        let f = Failure {
            code: Code::LineTooLong,
            message,
            value: None,
        };
        self.failure(f, meta, sink);
    }

    /// Reports a record that yielded no event.
    pub fn failure(&mut self, f: Failure, meta: &RecordMeta, sink: &mut dyn FnMut(&EventReport)) {
        self.agg.records += 1;
        let status = if f.code == Code::EmptyBatch {
            Status::Warning
        } else {
            Status::Malformed
        };
        self.failure.clear();
        self.failure.push(f.into_finding());
        self.cfg.severity.apply(&mut self.failure);
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
            findings: &self.failure,
        };
        self.agg.add(&report, 0);
        sink(&report);
    }

    /// Deduplicates, classifies, counts and reports one event.
    pub fn event(
        &mut self,
        ev: &mut EventFacts,
        index: Option<u32>,
        raw: &[u8],
        meta: &RecordMeta,
        lookup: &mut dyn PayloadLookup,
        sink: &mut dyn FnMut(&EventReport),
    ) {
        self.dup = None;
        // An empty id is no id: it cannot tell events apart (reported as id_empty).
        let id = ev.id.get().filter(|id| !id.is_empty());
        if let (Some(ds), Some(id)) = (ev.data_set_id.get(), id) {
            let time = ev.f.timestamp.unwrap_or(crate::engine::dedup::NO_TIME);
            let probe = Probe {
                data_set_id: ds,
                id,
                id_key: ev.f.id_key,
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
            let other_space = self.dedup.other_space();
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
        if ev.f.findings_over > 0 {
            ev.findings.push(Finding {
                code: Code::TooManyFindings,
                severity: Code::TooManyFindings.severity(),
                path: "$".into(),
                value: Some(ev.f.findings_over.to_string()),
                message: format!(
                    "{} more findings were not listed (at most {} are kept per event)",
                    ev.f.findings_over,
                    crate::engine::facts::MAX_FINDINGS
                )
                .into(),
                hint: None,
            });
        }
        self.cfg.severity.apply(&mut ev.findings);
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
