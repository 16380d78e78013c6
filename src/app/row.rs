//! One event as the TUI keeps it: the engine's verdict, owned, with the event's own text, so
//! that the window can outlive the hub's borrowed reports. Selection is by `seq`, never by row.

use crate::engine::report::{Duplicate, EventReport, Finding, Status};
use crate::engine::stage::Stage;
use crate::filter::Subject;
use crate::ingest::hub::Origin;
use crate::ingest::{MessageDetail, Upstream};
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct Row {
    /// Arrival number in this session (1-based, increasing; gaps where the display dropped).
    pub seq: u64,
    pub received_ms: i64,
    pub source: u16,
    pub label: Arc<str>,
    /// Line (or message) of the source where the record starts, and the event's index in it.
    pub line: u64,
    pub index: Option<u32>,
    pub status: Status,
    pub event_type: Option<Box<str>>,
    pub stage: Option<Stage>,
    pub data_set_id: Option<Box<str>>,
    pub id: Option<Box<str>>,
    pub value: Option<f64>,
    pub currency: Option<Box<str>>,
    pub duplicate: Option<Duplicate>,
    pub findings: Vec<Finding>,
    /// The event's own JSON text (for batches, its element).
    pub raw: Arc<[u8]>,
    pub upstream: Option<Arc<Upstream>>,
    /// Where a Kafka record was in its topic.
    pub message: Option<Arc<MessageDetail>>,
}

fn owned(s: Option<&str>) -> Option<Box<str>> {
    s.map(Box::from)
}

impl Row {
    pub fn new(seq: u64, r: &EventReport, origin: &Origin, label: Arc<str>, raw: Arc<[u8]>) -> Row {
        Row {
            seq,
            received_ms: origin.received_ms,
            source: r.source,
            label,
            line: r.line,
            index: r.index,
            status: r.status,
            event_type: owned(r.event_type),
            stage: r.stage,
            data_set_id: owned(r.data_set_id),
            id: owned(r.id),
            value: r.value,
            currency: owned(r.currency),
            duplicate: r.duplicate.cloned(),
            findings: r.findings.to_vec(),
            raw,
            upstream: origin.upstream.map(|u| Arc::new(u.clone())),
            message: origin.message.map(|m| Arc::new(m.clone())),
        }
    }

    pub fn subject(&self) -> Subject<'_> {
        Subject {
            event_type: self.event_type.as_deref(),
            stage: self.stage,
            data_set_id: self.data_set_id.as_deref(),
            id: self.id.as_deref(),
            status: self.status,
            duplicate: self.duplicate.as_ref().map(|d| d.kind),
            findings: &self.findings,
            source: &self.label,
            raw: &self.raw,
        }
    }

    pub fn is_error(&self) -> bool {
        matches!(self.status, Status::Error | Status::Malformed)
    }

    /// Whether this row is the occurrence a duplicate points at.
    pub fn is_first_of(&self, d: &Duplicate) -> bool {
        self.source == d.first_source && self.line == d.first_line && self.index == d.first_index
    }
}
