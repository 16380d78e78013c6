//! Deduplication by `(data_set_id, id)`, as the spec's "ID Based Records Processing" describes.
//!
//! Memory is what bounds a long session, so the index keeps no strings: an id is a 128-bit
//! seeded hash, a data_set_id a 64-bit one, and content a 64-bit canonical hash. One probe by
//! id answers both questions asked of every event (seen before? first seen under another
//! data_set_id?); the few ids sent under a second data_set_id have a table of their own. An event
//! is an exact duplicate when its content equals any content seen before under its key (so
//! the verdicts do not depend on arrival order), and a conflict otherwise.

use super::shards::Shards;
use crate::ecapi::event_type::EventType;
use crate::fasthash::FastMap;
use std::collections::hash_map::Entry as Entry_;
use xxhash_rust::xxh3::{xxh3_128_with_seed, xxh3_64_with_seed};

/// Where an occurrence was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Occurrence {
    pub line: u64,
    pub index: Option<u32>,
    pub source: u16,
    /// Opaque handle the caller can turn back into the raw record (file offset, window slot).
    pub locator: u64,
}

#[derive(Clone, Copy)]
struct Entry {
    content: u64,
    line: u64,
    locator: u64,
    /// Seconds since the epoch of the first occurrence, for the window.
    time: i64,
    /// Hash of the data_set_id the id was first seen under.
    data_set: u64,
    index: u32,
    source: u16,
    event_type: u8,
    /// Distinct other contents recorded in `variants` (at most `MAX_VARIANTS`).
    variants: u8,
}

/// Distinct contents remembered per key beyond the first: enough for any real resend
/// pattern, and a bound when one id (say `"undefined"`) is sent for everything.
const MAX_VARIANTS: u8 = 32;

const NO_INDEX: u32 = u32::MAX;
/// `Probe::time` when the event has no valid timestamp.
pub const NO_TIME: i64 = i64::MIN;
const NO_TYPE: u8 = u8::MAX;

impl Entry {
    fn occurrence(&self) -> Occurrence {
        Occurrence {
            line: self.line,
            index: (self.index != NO_INDEX).then_some(self.index),
            source: self.source,
            locator: self.locator,
        }
    }
}

/// What the index says about an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    New,
    Exact(Occurrence),
    /// Different content under the same key; `type_changed` when the first occurrence had
    /// another `event_type` (an id reused for a different event).
    Conflict {
        first: Occurrence,
        type_changed: bool,
    },
}

/// One event to look up.
pub struct Probe<'a> {
    pub data_set_id: &'a str,
    pub id: &'a str,
    /// `id`'s key, if `Dedup::warm` gave it.
    pub id_key: Option<u128>,
    pub content: u64,
    pub event_type: Option<EventType>,
    /// The event's timestamp (unix seconds), or `NO_TIME`.
    pub time: i64,
    pub at: Occurrence,
}

pub struct Dedup {
    window_secs: Option<i64>,
    /// Per-process seed of the key hash: ids are chosen by senders.
    seed: u64,
    /// By id: its first occurrence under the data_set_id it was first seen with (in shards,
    /// which grow one at a time: see `shards`).
    first: Shards<Entry>,
    /// By (data_set_id, id), for ids also sent under another data_set_id than their first.
    other: FastMap<u128, Entry>,
    /// Other contents seen under keys that have more than one, by (key, content), with the
    /// locator of the first occurrence they were seen after (a window restart makes them stale).
    variants: FastMap<(u128, u64), (Occurrence, u64)>,
    /// Whether the last event checked was new and its id first seen under another data_set_id.
    last_other_space: bool,
}

impl Dedup {
    pub fn new(window: Option<std::time::Duration>) -> Dedup {
        Dedup {
            window_secs: window.map(|w| i64::try_from(w.as_secs()).unwrap_or(i64::MAX)),
            seed: fastrand::u64(..),
            first: Shards::default(),
            other: FastMap::default(),
            variants: FastMap::default(),
            last_other_space: false,
        }
    }

    pub fn keys(&self) -> usize {
        self.first.len() + self.other.len()
    }

    /// Looks the event up and records it.
    pub fn check(&mut self, p: &Probe) -> Verdict {
        let data_set = xxh3_64_with_seed(p.data_set_id.as_bytes(), self.seed);
        let id_key = p.id_key.unwrap_or_else(|| self.key(p.id));
        let fresh = Entry {
            content: p.content,
            line: p.at.line,
            locator: p.at.locator,
            time: p.time,
            data_set,
            index: p.at.index.unwrap_or(NO_INDEX),
            source: p.at.source,
            event_type: p.event_type.map_or(NO_TYPE, |t| t.index() as u8),
            variants: 0,
        };
        self.last_other_space = false;
        let (key, entry) = match self.first.shard(id_key).find_or_insert(id_key, || fresh) {
            (_, true) => return Verdict::New,
            (entry, false) if entry.data_set == data_set => (id_key, entry),
            (_, false) => {
                // Another id space: keyed by both hashes (the id's own seeded by the set's).
                let key = xxh3_128_with_seed(p.id.as_bytes(), data_set);
                let verdict = match self.other.entry(key) {
                    Entry_::Vacant(v) => {
                        v.insert(fresh);
                        Verdict::New
                    }
                    Entry_::Occupied(o) => judge(
                        o.into_mut(),
                        key,
                        &fresh,
                        p,
                        self.window_secs,
                        &mut self.variants,
                    ),
                };
                self.last_other_space = verdict == Verdict::New;
                return verdict;
            }
        };
        judge(entry, key, &fresh, p, self.window_secs, &mut self.variants)
    }

    /// The key of `id` (for `Probe::id_key`), and whether it is in the index; the lookup
    /// brings the index's line into the cache (see `Committer::warm`).
    pub fn warm(&self, id: &str) -> (u128, bool) {
        let key = self.key(id);
        (key, self.first.get(key).is_some())
    }

    fn key(&self, id: &str) -> u128 {
        xxh3_128_with_seed(id.as_bytes(), self.seed)
    }

    /// Whether the event last checked was new, and its id was first seen under another
    /// data_set_id: a separate id space, not a duplicate.
    pub fn other_space(&self) -> bool {
        self.last_other_space
    }
}

/// The verdict for an event whose key was seen before (as `entry`).
fn judge(
    entry: &mut Entry,
    key: u128,
    fresh: &Entry,
    p: &Probe,
    window_secs: Option<i64>,
    variants: &mut FastMap<(u128, u64), (Occurrence, u64)>,
) -> Verdict {
    if let Some(window) = window_secs {
        // Both times must be real event times: receive times are another clock.
        let timed = p.time != NO_TIME && entry.time != NO_TIME;
        if timed && p.time.saturating_sub(entry.time) > window {
            *entry = *fresh;
            return Verdict::New;
        }
    }
    if entry.content == p.content {
        return Verdict::Exact(entry.occurrence());
    }
    let first = entry.occurrence();
    // An invalid event_type on either side says nothing about reuse.
    let type_changed = entry.event_type != NO_TYPE
        && fresh.event_type != NO_TYPE
        && entry.event_type != fresh.event_type;
    if let Some((seen, after)) = variants.get(&(key, p.content)) {
        if *after == entry.locator {
            return Verdict::Exact(*seen);
        }
    }
    if entry.variants < MAX_VARIANTS {
        entry.variants += 1;
        variants.insert((key, p.content), (p.at, entry.locator));
    }
    Verdict::Conflict {
        first,
        type_changed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn probe<'a>(ds: &'a str, id: &'a str, content: u64, line: u64) -> Probe<'a> {
        Probe {
            data_set_id: ds,
            id,
            id_key: None,
            content,
            event_type: EventType::parse("purchase"),
            time: 1_700_000_000 + line as i64,
            at: Occurrence {
                line,
                index: None,
                source: 0,
                locator: line,
            },
        }
    }

    #[test]
    fn exact_conflict_and_separate_spaces() {
        let mut d = Dedup::new(None);
        assert_eq!(d.check(&probe("a", "1", 10, 1)), Verdict::New);
        assert!(matches!(d.check(&probe("a", "1", 10, 2)), Verdict::Exact(o) if o.line == 1));
        assert!(matches!(
            d.check(&probe("a", "1", 11, 3)),
            Verdict::Conflict { first, type_changed: false } if first.line == 1
        ));
        // The conflicting content, sent again, is an exact duplicate of its own first copy.
        assert!(matches!(d.check(&probe("a", "1", 11, 4)), Verdict::Exact(o) if o.line == 3));
        assert_eq!(d.check(&probe("b", "1", 10, 5)), Verdict::New);
        assert!(
            d.other_space(),
            "b/1 is new, and id 1 was first seen under a"
        );
        assert_eq!(d.check(&probe("a", "2", 10, 6)), Verdict::New);
        assert!(!d.other_space());
        assert_eq!(d.check(&probe("b", "2", 12, 7)), Verdict::New);
        assert!(d.other_space());
        // Within the second id space, deduplication is as exact as in the first.
        assert!(matches!(d.check(&probe("b", "2", 12, 8)), Verdict::Exact(o) if o.line == 7));
        assert!(!d.other_space());
        assert!(matches!(
            d.check(&probe("b", "2", 13, 9)),
            Verdict::Conflict { first, .. } if first.line == 7
        ));
        assert!(matches!(d.check(&probe("a", "2", 10, 10)), Verdict::Exact(o) if o.line == 6));
        assert_eq!(d.keys(), 4);
    }

    /// (data_set_id, id) → first line, first content, other contents with their first line.
    type Seen = std::collections::HashMap<
        (String, String),
        (u64, u64, std::collections::HashMap<u64, u64>),
    >;

    /// The one-probe index against a plain model with the strings themselves, over random
    /// traffic in three data sets: every verdict and every "other id space" the same.
    #[test]
    fn one_probe_index_agrees_with_a_plain_model() {
        use std::collections::HashMap;
        let mut rng = fastrand::Rng::with_seed(7);
        let mut d = Dedup::new(None);
        let mut first_set: HashMap<String, String> = HashMap::new();
        let mut seen = Seen::new();
        // Ids in thousands: each seen about three times, and every shard of the index grows.
        for line in 1..60_000u64 {
            let ds = ["a", "b", "c"][rng.usize(..3)].to_owned();
            let id = rng.u32(..20_000).to_string();
            let content = rng.u64(..3);
            let verdict = d.check(&probe(&ds, &id, content, line));
            let (want, want_other) = match seen.get_mut(&(ds.clone(), id.clone())) {
                None => {
                    seen.insert((ds.clone(), id.clone()), (line, content, HashMap::new()));
                    let first = first_set.entry(id.clone()).or_insert(ds.clone());
                    (None, *first != ds)
                }
                Some((first_line, first_content, _)) if *first_content == content => {
                    (Some(("exact", *first_line)), false)
                }
                Some((first_line, _, variants)) => match variants.get(&content) {
                    Some(at) => (Some(("exact", *at)), false),
                    None => {
                        variants.insert(content, line);
                        (Some(("conflict", *first_line)), false)
                    }
                },
            };
            let got = match verdict {
                Verdict::New => None,
                Verdict::Exact(o) => Some(("exact", o.line)),
                Verdict::Conflict { first, .. } => Some(("conflict", first.line)),
            };
            assert_eq!(
                (got, d.other_space()),
                (want, want_other),
                "line {line}: {ds}/{id}"
            );
        }
        assert_eq!(d.keys(), seen.len());
    }

    #[test]
    fn type_change_is_reported() {
        let mut d = Dedup::new(None);
        d.check(&probe("a", "1", 10, 1));
        let mut p = probe("a", "1", 12, 2);
        p.event_type = EventType::parse("refund");
        assert!(matches!(
            d.check(&p),
            Verdict::Conflict {
                type_changed: true,
                ..
            }
        ));
    }

    #[test]
    fn one_id_for_everything_stays_fast_and_bounded() {
        let mut d = Dedup::new(None);
        for i in 0..100_000u64 {
            d.check(&probe("a", "undefined", i, i));
        }
        assert!(d.variants.len() <= usize::from(MAX_VARIANTS));
    }

    #[test]
    fn window_lets_keys_be_reused() {
        let mut d = Dedup::new(Some(std::time::Duration::from_secs(60)));
        d.check(&probe("a", "1", 10, 1));
        let mut late = probe("a", "1", 11, 2);
        late.time += 3600;
        assert_eq!(d.check(&late), Verdict::New);
    }

    /// A key looked up ahead (`warm`) is the key `check` would compute: the same verdicts,
    /// whether or not events were warmed, and `warm` sees what was recorded.
    #[test]
    fn warmed_keys_give_the_same_verdicts() {
        let mut rng = fastrand::Rng::with_seed(3);
        let (mut cold, mut warm) = (Dedup::new(None), Dedup::new(None));
        for line in 1..5_000u64 {
            let ds = ["a", "b"][rng.usize(..2)];
            let id = rng.u32(..1_500).to_string();
            let content = rng.u64(..2);
            let mut p = probe(ds, &id, content, line);
            let (key, known) = warm.warm(&id);
            p.id_key = Some(key);
            let verdict = warm.check(&p);
            assert_eq!(known, verdict != Verdict::New || warm.other_space());
            assert_eq!(
                cold.check(&probe(ds, &id, content, line)),
                verdict,
                "line {line}"
            );
            assert_eq!(cold.other_space(), warm.other_space());
        }
    }
}
