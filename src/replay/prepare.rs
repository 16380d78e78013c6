//! From records to requests: batches split into their events, a filter applied, ids kept or
//! made fresh, timestamps shifted to now with their spacing kept, every event validated as it
//! will be sent (invalid ones held back unless asked), then grouped into request bodies.
//! Each event's text is sent byte for byte as read, but for the members that were rewritten.

use super::edit::{rewrite, timestamp_of, Edit};
use crate::engine::report::{Finding, Status};
use crate::engine::{EngineConfig, NoLookup, RecordMeta, Validation, Validator};
use crate::filter::{Filter, Subject};

/// Where an event came from.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Origin {
    /// Input number (0-based), and the 1-based line in it.
    pub input: usize,
    pub line: u64,
    /// Position in its batch record.
    pub index: Option<u32>,
    /// The source label a capture recorded.
    pub label: Option<String>,
}

/// A record as read.
#[derive(Clone, Debug)]
pub struct Record {
    pub text: Vec<u8>,
    pub origin: Origin,
    pub received_ms: i64,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Ids {
    /// Each event keeps its id (the receiver's deduplication is tested on purpose).
    Keep,
    /// Each event gets a new random id (the receiver sees new events).
    Fresh,
}

/// How events become requests.
#[derive(Clone, Debug)]
pub struct Shaping {
    pub ids: Ids,
    /// Shift timestamps so that the latest is this unix second, keeping their spacing.
    pub shift_to: Option<i64>,
    pub send_invalid: bool,
    /// Events per request: 1 sends each event bare, more wraps them in `{KEY: [...]}`.
    pub batch_size: usize,
    pub envelope_key: String,
    /// Reference time for validation, unix seconds.
    pub now: i64,
    /// Seed for fresh ids (random when `None`).
    pub seed: Option<u64>,
}

/// An event in a request.
#[derive(Clone, Debug)]
pub struct Sent {
    pub origin: Origin,
    pub id: Option<String>,
    /// The id it had, when a fresh one replaced it.
    pub original_id: Option<String>,
    pub status: Status,
}

/// One request body and what it carries.
#[derive(Clone, Debug)]
pub struct Request {
    pub body: Vec<u8>,
    pub events: Vec<Sent>,
}

/// An event held back: invalid as it would be sent.
#[derive(Clone, Debug)]
pub struct Held {
    pub origin: Origin,
    pub status: Status,
    pub finding: Option<Finding>,
}

#[derive(Debug, Default)]
pub struct Prepared {
    pub requests: Vec<Request>,
    pub held: Vec<Held>,
    /// Events the filter left out.
    pub filtered_out: u64,
    /// Records over the line limit, never read.
    pub too_long: u64,
}

impl Prepared {
    pub fn events(&self) -> usize {
        self.requests.iter().map(|r| r.events.len()).sum()
    }
}

/// An event cut out of its record, with what the engine said of the original.
struct Piece {
    text: Vec<u8>,
    origin: Origin,
    timestamp: Option<i64>,
}

/// Splits records into events, keeping those the filter matches (judged on the original
/// records, duplicates included, as `check` would).
fn pieces(records: &[Record], cfg: &EngineConfig, filter: Option<&Filter>) -> (Vec<Piece>, u64) {
    let mut engine = crate::engine::Engine::new(cfg.clone());
    let key = &cfg.walk.batch_key;
    let mut out = Vec::new();
    let mut filtered_out = 0;
    for r in records {
        let spans = crate::jsontext::elements(&r.text, key);
        let meta = RecordMeta {
            line: r.origin.line,
            source: u16::try_from(r.origin.input).unwrap_or(u16::MAX),
            received_ms: r.received_ms,
            locator: 0,
        };
        let label = r.origin.label.as_deref().unwrap_or("");
        engine.process(&r.text, &meta, &mut NoLookup, &mut |rep| {
            let text = match (&spans, rep.index) {
                (Some(s), Some(i)) => s.get(i as usize).and_then(|g| r.text.get(g.clone())),
                _ => Some(&r.text[..]),
            };
            let Some(text) = text else { return };
            if filter.is_some_and(|f| !f.matches(&Subject::of(rep, label, text))) {
                filtered_out += 1;
                return;
            }
            out.push(Piece {
                text: text.to_vec(),
                origin: Origin {
                    index: rep.index,
                    ..r.origin.clone()
                },
                timestamp: timestamp_of(text),
            });
        });
    }
    (out, filtered_out)
}

/// Turns records into requests.
pub fn prepare(
    records: &[Record],
    cfg: &EngineConfig,
    filter: Option<&Filter>,
    shaping: &Shaping,
) -> Prepared {
    let (pieces, filtered_out) = pieces(records, cfg, filter);
    let latest = pieces
        .iter()
        .filter_map(|p| p.timestamp)
        .max_by_key(|t| seconds(*t));
    let shift = shaping
        .shift_to
        .zip(latest)
        .map_or(0, |(to, latest)| to - seconds(latest));
    let mut rng = shaping
        .seed
        .map_or_else(fastrand::Rng::new, fastrand::Rng::with_seed);
    let mut validator = Validator::new(cfg);
    let mut prepared = Prepared {
        filtered_out,
        ..Prepared::default()
    };
    let mut batch: Vec<(Vec<u8>, Sent)> = Vec::new();
    for piece in pieces {
        let fresh = (shaping.ids == Ids::Fresh).then(|| fresh_id(&mut rng));
        let edit = Edit {
            id: fresh.as_deref(),
            shift_secs: shift,
        };
        let (text, original_id) = rewrite(&piece.text, &edit);
        let (status, id, finding) = judge(&mut validator, cfg, &text, shaping.now);
        if matches!(status, Status::Error | Status::Malformed) && !shaping.send_invalid {
            prepared.held.push(Held {
                origin: piece.origin,
                status,
                finding,
            });
            continue;
        }
        let sent = Sent {
            origin: piece.origin,
            id,
            original_id: fresh.is_some().then_some(original_id).flatten(),
            status,
        };
        if status == Status::Malformed && shaping.batch_size > 1 {
            // Not JSON: in an envelope it would spoil every event with it; it goes alone.
            prepared
                .requests
                .push(request(&mut vec![(text, sent)], shaping, true));
            continue;
        }
        batch.push((text, sent));
        if batch.len() >= shaping.batch_size.max(1) {
            prepared
                .requests
                .push(request(&mut batch, shaping, shaping.batch_size <= 1));
        }
    }
    if !batch.is_empty() {
        prepared
            .requests
            .push(request(&mut batch, shaping, shaping.batch_size <= 1));
    }
    prepared
}

/// A timestamp in seconds (13-digit millisecond times are recognized).
fn seconds(t: i64) -> i64 {
    if t.abs() >= 100_000_000_000 {
        t.div_euclid(1000)
    } else {
        t
    }
}

/// The event's status as it will be sent, its id, and its worst finding.
fn judge(
    validator: &mut Validator,
    cfg: &EngineConfig,
    text: &[u8],
    now: i64,
) -> (Status, Option<String>, Option<Finding>) {
    let (status, id, findings) = validate(validator, cfg, text, now);
    let top = findings.iter().max_by_key(|f| f.severity()).cloned();
    (status, id, top)
}

/// Validates one event's text as it will be sent (severities in force applied): its status,
/// id and findings. A batch gives its worst event's.
pub fn validate(
    validator: &mut Validator,
    cfg: &EngineConfig,
    text: &[u8],
    now: i64,
) -> (Status, Option<String>, Vec<Finding>) {
    match validator.validate(text, now) {
        Validation::Failure(f) => (Status::Malformed, None, vec![f.into_finding()]),
        Validation::Events { events, .. } => {
            let mut worst: Option<(Status, Option<String>, Vec<Finding>)> = None;
            for ev in events.iter_mut() {
                cfg.severity.apply(&mut ev.findings);
                let status = Status::of(&ev.findings);
                if worst.as_ref().is_none_or(|w| status > w.0) {
                    worst = Some((status, ev.id.get().map(str::to_owned), ev.findings.clone()));
                }
            }
            worst.unwrap_or((Status::Ok, None, Vec::new()))
        }
    }
}

/// Random 128 bits in the UUID version 4 layout.
pub fn fresh_id(rng: &mut fastrand::Rng) -> String {
    let (a, b) = (rng.u64(..), rng.u64(..));
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0x0fff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// One request of the batch's events: `bare` sends a single event as it is, else they go in
/// the envelope.
fn request(batch: &mut Vec<(Vec<u8>, Sent)>, shaping: &Shaping, bare: bool) -> Request {
    let taken = std::mem::take(batch);
    let mut body = Vec::new();
    if bare && taken.len() == 1 {
        body.clone_from(&taken[0].0);
    } else {
        body.push(b'{');
        body.extend_from_slice(crate::jsontext::quote(&shaping.envelope_key).as_bytes());
        body.extend_from_slice(b":[");
        for (i, (text, _)) in taken.iter().enumerate() {
            if i > 0 {
                body.push(b',');
            }
            body.extend_from_slice(text);
        }
        body.extend_from_slice(b"]}");
    }
    Request {
        body,
        events: taken.into_iter().map(|(_, s)| s).collect(),
    }
}
