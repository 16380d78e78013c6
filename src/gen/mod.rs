//! Seeded synthetic ECAPI 1.0 traffic: clean events, injected faults, re-sends and broken
//! lines, byte-identical for the same seed and options.
//!
//! Used to exercise the validator, the dedup engine and the UI without real advertiser data.
//! Everything derives from one `fastrand` stream seeded by `GenOptions::seed`; identifiers are
//! hashed once per synthetic user rather than per event, so millions of events take seconds.

mod catalog;
mod commerce;
mod events;
mod faults;
mod identity;
mod json;
mod people;
mod pick;
mod props;
pub mod target;
mod users;
mod vertical;
mod vocab;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::{self, BufWriter, Write};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use fastrand::Rng;

use crate::ecapi::normalize::sha256_hex;
use catalog::{DATA_SETS, EVENT_TYPES, GARBAGE_LINES};
use events::{Event, Factory};
use faults::FaultCtx;
use json::write_str;

pub use faults::Fault;

/// How many recent clean events are kept as candidates for re-sending.
const RECENT_EVENTS: usize = 1024;
/// Malformed lines do not count as events, so their share must stay below 1 for the stream
/// to end.
const MAX_MALFORMED_RATE: f64 = 0.95;

/// What to generate.
#[derive(Clone, Debug)]
pub struct GenOptions {
    pub seed: u64,
    /// Number of events (not lines) to produce.
    pub count: u64,
    /// Unix seconds used as "now" for timestamps.
    pub now: i64,
    /// Share (0..=1) of events that get exactly one injected fault.
    pub invalid_rate: f64,
    /// Share (0..=1) of events that re-send an earlier event.
    pub duplicate_rate: f64,
    /// Share (0..=1) of those re-sends whose content differs from the original.
    pub conflict_share: f64,
    /// Share (0..=1, capped at 0.95) of lines that are not valid JSON.
    pub malformed_rate: f64,
    /// 1: one event object per line; N > 1: N events per line, alternating a bare array and an
    /// envelope object `{"<batch_key>": [...]}`.
    pub batch_size: usize,
    pub batch_key: String,
    /// `data_set_id` values to spread events over.
    pub data_sets: Vec<String>,
}

impl Default for GenOptions {
    fn default() -> Self {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        GenOptions {
            seed: 1,
            count: 1000,
            now,
            invalid_rate: 0.0,
            duplicate_rate: 0.0,
            conflict_share: 0.0,
            malformed_rate: 0.0,
            batch_size: 1,
            batch_key: "events".to_owned(),
            data_sets: DATA_SETS.iter().map(|&d| d.to_owned()).collect(),
        }
    }
}

/// What was generated, by kind.
#[derive(Default, Debug, Clone, serde::Serialize)]
pub struct GenStats {
    pub events: u64,
    pub lines: u64,
    pub invalid: u64,
    pub exact_duplicates: u64,
    pub conflicting_duplicates: u64,
    pub malformed: u64,
    pub by_fault: BTreeMap<&'static str, u64>,
}

/// The `event_type` values the generator produces: every type of the spec.
pub fn event_types() -> impl Iterator<Item = &'static str> {
    EVENT_TYPES.iter().map(|(name, _)| *name)
}

/// A seeded stream of lines.
pub struct Generator {
    opts: GenOptions,
    rng: Rng,
    factory: Factory,
    /// Clean events that may be re-sent.
    recent: Vec<Event>,
    stats: GenStats,
    /// Batch lines written so far, to alternate arrays and envelopes.
    batches: u64,
    empty_hash: Arc<str>,
}

impl Generator {
    pub fn new(opts: GenOptions) -> Self {
        let mut opts = opts;
        opts.invalid_rate = clamp_rate(opts.invalid_rate, 1.0);
        opts.duplicate_rate = clamp_rate(opts.duplicate_rate, 1.0);
        opts.conflict_share = clamp_rate(opts.conflict_share, 1.0);
        opts.malformed_rate = clamp_rate(opts.malformed_rate, MAX_MALFORMED_RATE);
        opts.batch_size = opts.batch_size.max(1);
        if opts.data_sets.is_empty() {
            opts.data_sets = GenOptions::default().data_sets;
        }
        Generator {
            rng: Rng::with_seed(opts.seed),
            factory: Factory::new(opts.seed, opts.now, &opts.data_sets),
            recent: Vec::with_capacity(RECENT_EVENTS),
            stats: GenStats::default(),
            batches: 0,
            empty_hash: Arc::from(sha256_hex("").as_str()),
            opts,
        }
    }

    pub fn stats(&self) -> &GenStats {
        &self.stats
    }

    /// Appends the next line (without the trailing newline) to `out`; returns false when
    /// `count` events have been produced.
    pub fn next_line(&mut self, out: &mut Vec<u8>) -> bool {
        let remaining = self.opts.count.saturating_sub(self.stats.events);
        if remaining == 0 {
            return false;
        }
        self.stats.lines += 1;
        if self.draw(self.opts.malformed_rate) {
            self.write_malformed(out);
            return true;
        }
        if self.opts.batch_size == 1 {
            self.write_next_event(out);
            return true;
        }
        let n = remaining.min(self.opts.batch_size as u64);
        let envelope = self.batches % 2 == 1;
        self.batches += 1;
        if envelope {
            out.push(b'{');
            write_str(out, &self.opts.batch_key);
            out.push(b':');
        }
        out.push(b'[');
        for i in 0..n {
            if i > 0 {
                out.push(b',');
            }
            self.write_next_event(out);
        }
        out.push(b']');
        if envelope {
            out.push(b'}');
        }
        true
    }

    /// Appends one fresh event outside the stream (it counts toward neither `count` nor the
    /// stats): of `event_type` when given, with `fault` injected when given. Returns false,
    /// writing nothing, when `event_type` is not a type of the spec.
    pub fn write_event(
        &mut self,
        event_type: Option<&str>,
        fault: Option<Fault>,
        out: &mut Vec<u8>,
    ) -> bool {
        let mut event = match event_type {
            None => self.factory.build(&mut self.rng),
            Some(wanted) => match event_types().find(|&t| t == wanted) {
                Some(t) => self.factory.build_of_type(&mut self.rng, t),
                None => return false,
            },
        };
        if let Some(fault) = fault {
            self.inject(fault, &mut event);
        }
        event.write(out);
        true
    }

    /// True with probability `p`, without consuming randomness when `p` is 0.
    fn draw(&mut self, p: f64) -> bool {
        p > 0.0 && self.rng.f64() < p
    }

    fn write_next_event(&mut self, out: &mut Vec<u8>) {
        self.stats.events += 1;
        let u = self.rng.f64();
        if u < self.opts.duplicate_rate && !self.recent.is_empty() {
            self.write_duplicate(out);
            return;
        }
        let mut event = self.factory.build(&mut self.rng);
        let invalid =
            u >= self.opts.duplicate_rate && u < self.opts.duplicate_rate + self.opts.invalid_rate;
        if invalid {
            let fault = Fault::ALL[self.rng.usize(..Fault::ALL.len())];
            self.inject(fault, &mut event);
            self.stats.invalid += 1;
            *self.stats.by_fault.entry(fault.name()).or_default() += 1;
            event.write(out);
            return;
        }
        event.write(out);
        if self.recent.len() < RECENT_EVENTS {
            self.recent.push(event);
        } else {
            let slot = self.rng.usize(..self.recent.len());
            self.recent[slot] = event;
        }
    }

    /// Re-sends a recent clean event: exactly (members reordered) or changed. A changed event
    /// leaves the pool, so later exact re-sends never compare against two versions.
    fn write_duplicate(&mut self, out: &mut Vec<u8>) {
        let i = self.rng.usize(..self.recent.len());
        if self.draw(self.opts.conflict_share) {
            let mut event = self.recent.swap_remove(i);
            faults::conflict(&mut event, &mut self.rng);
            event.write(out);
            self.stats.conflicting_duplicates += 1;
        } else {
            let event = &self.recent[i];
            let by = self.rng.usize(1..event.fields.0.len().max(2));
            event.write_rotated(out, by);
            self.stats.exact_duplicates += 1;
        }
    }

    fn write_malformed(&mut self, out: &mut Vec<u8>) {
        self.stats.malformed += 1;
        if self.rng.bool() {
            let mut whole = Vec::with_capacity(2048);
            self.factory.build(&mut self.rng).write(&mut whole);
            // Any strict prefix of an object is invalid JSON; stay on a UTF-8 boundary.
            let mut cut = self.rng.usize(1..whole.len());
            while cut > 1 && whole[cut] & 0xc0 == 0x80 {
                cut -= 1;
            }
            out.extend_from_slice(&whole[..cut]);
        } else {
            out.extend_from_slice(pick::one(&mut self.rng, &GARBAGE_LINES).as_bytes());
        }
    }

    fn inject(&mut self, fault: Fault, event: &mut Event) {
        let mut cx = FaultCtx {
            rng: &mut self.rng,
            now: self.factory.now(),
            user: self.factory.pool().get(event.user),
            empty_hash: &self.empty_hash,
        };
        faults::apply(fault, event, &mut cx);
    }
}

fn clamp_rate(rate: f64, max: f64) -> f64 {
    if rate.is_nan() {
        0.0
    } else {
        rate.clamp(0.0, max)
    }
}

/// Writes every line of the stream described by `opts`, each followed by `\n`, buffered.
pub fn generate<W: Write>(opts: GenOptions, out: W) -> io::Result<GenStats> {
    let mut generator = Generator::new(opts);
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let mut line = Vec::with_capacity(1 << 14);
    while generator.next_line(&mut line) {
        line.push(b'\n');
        out.write_all(&line)?;
        line.clear();
    }
    out.flush()?;
    Ok(generator.stats.clone())
}
