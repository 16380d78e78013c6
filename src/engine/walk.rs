//! The validating walk: serde visitors that check an event while the JSON is parsed, without
//! building a `serde_json::Value` tree. Keys are matched against the schema tables, values are
//! checked as they stream past, and a canonical content hash is computed on the way.

use crate::ecapi::schema::{Kind, ObjDef, ObjId, CORE};
use crate::engine::any::{any_map, any_map_dups, any_seq, AnySeed, Dups};
use crate::engine::canon::{self, ArrayHash, ObjectHash};
use crate::engine::facts::{EventFacts, ItemTotals};
use crate::engine::fastjson::{Fast, Streak};
use crate::engine::path::{PathStack, Seg};
use crate::engine::preview::Preview;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

#[cfg(test)]
#[path = "walk_diff.rs"]
mod diff;

/// Limits and clocks the walk needs.
#[derive(Clone, Debug)]
pub struct WalkConfig {
    /// The member of a batch envelope that holds the events.
    pub batch_key: String,
    /// Events older than this (seconds) get `timestamp_stale`.
    pub max_age_secs: i64,
    /// Allowed clock skew (seconds) before `timestamp_future`.
    pub skew_secs: i64,
}

impl Default for WalkConfig {
    fn default() -> Self {
        WalkConfig {
            batch_key: "events".into(),
            max_age_secs: 7 * 86_400,
            skew_secs: 300,
        }
    }
}

/// State of one record's walk; reused from record to record.
pub struct Walk {
    pub(crate) path: PathStack,
    pool: Vec<EventFacts>,
    used: usize,
    pub(crate) cur: usize,
    envelope: bool,
    batch: bool,
    /// Unix seconds the event times are compared with (receive time, or now).
    pub(crate) reference_time: i64,
    pub(crate) cfg: WalkConfig,
    /// Whether the record holds DEL or a C1 lead byte (0xC2) anywhere: one scan of the record
    /// spares the per-string scan of all its strings when it does not.
    pub(crate) may_hold_controls: bool,
    /// Keeping mode (`keep_events`): records' events stay in the pool one after another
    /// until `swap_events` hands them all over at once; `base` is the last record's first slot.
    keep: bool,
    base: usize,
    /// Where the fast path unescapes strings, kept from record to record.
    scratch: String,
    /// Whether the fast path is worth trying on the next record.
    streak: Streak,
}

impl Walk {
    pub fn new(cfg: WalkConfig) -> Walk {
        Walk {
            path: PathStack::default(),
            pool: Vec::new(),
            used: 0,
            cur: 0,
            envelope: false,
            batch: false,
            reference_time: 0,
            cfg,
            may_hold_controls: true,
            keep: false,
            base: 0,
            scratch: String::new(),
            streak: Streak::default(),
        }
    }

    /// Walks one record. On `Err` the record is not valid JSON and the events are meaningless.
    pub fn run(&mut self, raw: &[u8], reference_time: i64) -> Result<(), serde_json::Error> {
        self.start(raw, reference_time);
        // UTF-8 checked once for the whole record (SIMD) rather than string by string; a
        // record that is not UTF-8 is parsed from bytes, for the parser's own error.
        match simdutf8::basic::from_utf8(raw) {
            Ok(text) => {
                if self.streak.worth_trying() {
                    let read = self.run_fast(text);
                    self.streak.tried(read);
                    if read {
                        return Ok(());
                    }
                    // The fast path gave up: serde_json reads the record again, from the start.
                    self.used = self.base;
                    self.start(raw, reference_time);
                }
                self.parse(serde_json::Deserializer::from_str(text))
            }
            Err(_) => self.parse(serde_json::Deserializer::from_slice(raw)),
        }
    }

    /// The fast path (`fastjson`): whether it read the whole record. When it did not, the
    /// walk's state is meaningless and the record is to be read again.
    fn run_fast(&mut self, text: &str) -> bool {
        let mut de = Fast::new(text, std::mem::take(&mut self.scratch));
        let read = RecordSeed { w: self }.deserialize(&mut de).is_ok() && de.end().is_ok();
        self.scratch = de.into_scratch();
        // One huge escaped string is not kept for every record after it.
        if self.scratch.capacity() > 1 << 16 {
            self.scratch = String::new();
        }
        read
    }

    /// Forgets the last record.
    fn start(&mut self, raw: &[u8], reference_time: i64) {
        self.may_hold_controls = memchr::memchr2(0x7f, 0xc2, raw).is_some();
        if !self.keep {
            self.used = 0;
        }
        self.base = self.used;
        self.cur = self.base;
        self.envelope = false;
        self.batch = false;
        self.path.clear();
        self.reference_time = reference_time;
    }

    fn parse<'de, R: serde_json::de::Read<'de>>(
        &mut self,
        mut de: serde_json::Deserializer<R>,
    ) -> Result<(), serde_json::Error> {
        RecordSeed { w: self }.deserialize(&mut de)?;
        de.end()
    }

    /// The events of the last record, in order (empty for an empty batch).
    pub fn events(&self) -> &[EventFacts] {
        &self.pool[self.events_start()..self.used]
    }

    /// Where the last record's events start in the pool (after an envelope's own slot).
    pub(crate) fn events_start(&self) -> usize {
        (self.base + usize::from(self.envelope)).min(self.used)
    }

    /// Keeping mode on: from now on every record's events stay in the pool after the previous
    /// record's (no copy per record), until `swap_events`.
    pub(crate) fn keep_events(&mut self) {
        self.keep = true;
        self.used = 0;
        self.base = 0;
    }

    /// Hands every kept event over by exchanging the pool with `out` (whose old events become
    /// the pool's reusable slots), and leaves keeping mode. `out[..n]` holds them, `n`
    /// returned; slots past `n` are stale.
    pub(crate) fn swap_events(&mut self, out: &mut Vec<EventFacts>) -> usize {
        std::mem::swap(&mut self.pool, out);
        let n = self.used;
        self.keep = false;
        self.used = 0;
        self.base = 0;
        n
    }

    /// Whether the last record was a batch (array or envelope), so events carry an index.
    pub fn is_batch(&self) -> bool {
        self.batch
    }

    pub(crate) fn events_mut(&mut self) -> &mut [EventFacts] {
        let start = self.events_start();
        &mut self.pool[start..self.used]
    }

    pub(crate) fn ev(&mut self) -> &mut EventFacts {
        &mut self.pool[self.cur]
    }

    fn new_event(&mut self) -> usize {
        if self.used == self.pool.len() {
            self.pool.push(EventFacts::default());
        }
        self.pool[self.used].reset();
        self.used += 1;
        self.used - 1
    }
}

/// The top of a record: an event, an array of events, or an envelope.
struct RecordSeed<'w> {
    w: &'w mut Walk,
}

impl<'de> DeserializeSeed<'de> for RecordSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RecordSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an ECAPI event, an array of events or a batch envelope")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let w = self.w;
        w.batch = false;
        w.cur = w.new_event();
        let hash = walk_object(w, &CORE, true, map)?;
        if !w.envelope {
            w.cur = w.base;
            w.ev().f.content_hash = hash;
            w.ev().finish();
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.w.batch = true;
        walk_batch(self.w, seq)
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.w.scalar_record(&v.to_string());
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.w.scalar_record(&v.to_string());
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.w.scalar_record(&v.to_string());
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.w
            .scalar_record(&crate::engine::facts::format_number(v));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.w.scalar_record(&crate::engine::facts::json_string(v));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.w.scalar_record("null");
        Ok(())
    }
}

impl Walk {
    fn scalar_record(&mut self, shown: &str) {
        self.cur = self.new_event();
        self.not_an_object(shown.to_owned());
    }
}

/// Walks the elements of a batch, each one an event from `$`.
fn walk_batch<'de, A: SeqAccess<'de>>(w: &mut Walk, mut seq: A) -> Result<(), A::Error> {
    let saved_path = w.path.take();
    let saved_cur = w.cur;
    loop {
        w.cur = w.new_event();
        if seq.next_element_seed(EventSeed { w: &mut *w })?.is_none() {
            w.used -= 1;
            break;
        }
    }
    w.path.restore(saved_path);
    w.cur = saved_cur;
    Ok(())
}

/// One element of a batch.
struct EventSeed<'w> {
    w: &'w mut Walk,
}

impl<'de> DeserializeSeed<'de> for EventSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for EventSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an ECAPI event object")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        let hash = walk_object(self.w, &CORE, false, map)?;
        self.w.ev().f.content_hash = hash;
        self.w.ev().finish();
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        let mut p = Preview::default();
        any_seq(seq, Some(&mut p))?;
        self.w.not_an_object(p.finish());
        Ok(())
    }

    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.w.not_an_object(v.to_string());
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.w.not_an_object(v.to_string());
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.w.not_an_object(v.to_string());
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.w.not_an_object(crate::engine::facts::format_number(v));
        Ok(())
    }
    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.w.not_an_object(crate::engine::facts::json_string(v));
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        self.w.not_an_object("null".into());
        Ok(())
    }
}

/// A key, already looked up in the object's table.
enum KeyOut {
    Known(usize),
    Unknown(String),
    Batch,
}

struct KeySeed<'a> {
    def: &'static ObjDef,
    batch_key: Option<&'a str>,
}

impl<'de> DeserializeSeed<'de> for KeySeed<'_> {
    type Value = KeyOut;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<KeyOut, D::Error> {
        d.deserialize_str(self)
    }
}

impl Visitor<'_> for KeySeed<'_> {
    type Value = KeyOut;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a member name")
    }

    fn visit_str<E>(self, s: &str) -> Result<KeyOut, E> {
        if let Some(i) = self.def.lookup(s) {
            return Ok(KeyOut::Known(i));
        }
        if self.batch_key == Some(s) {
            return Ok(KeyOut::Batch);
        }
        Ok(KeyOut::Unknown(s.to_owned()))
    }
}

/// Walks an object of the schema; returns its canonical hash.
fn walk_object<'de, A: MapAccess<'de>>(
    w: &mut Walk,
    def: &'static ObjDef,
    top: bool,
    mut map: A,
) -> Result<u64, A::Error> {
    if def.id == ObjId::Item {
        let items = w.ev().f.items.get_or_insert(ItemTotals {
            all_priced: true,
            ..ItemTotals::default()
        });
        items.price = None;
        items.discount = 0.0;
        items.quantity = 1.0;
    }
    let mut seen: u64 = 0;
    // Unknown member names met in this object (none in a clean event: no allocation; a set,
    // so that an object of a million unknown members stays linear).
    let mut unknown: Option<crate::fasthash::FastSet<String>> = None;
    let mut hash = ObjectHash::default();
    loop {
        let batch_key = if top {
            Some(w.cfg.batch_key.as_str())
        } else {
            None
        };
        let Some(key) = map.next_key_seed(KeySeed { def, batch_key })? else {
            break;
        };
        match key {
            KeyOut::Known(i) => {
                let field = &def.fields[i];
                w.path.push(Seg::Field(field.name));
                if seen & (1 << i) != 0 {
                    w.duplicate_key();
                }
                seen |= 1 << i;
                let h = map.next_value_seed(FieldSeed {
                    w: &mut *w,
                    kind: field.kind,
                    element: false,
                })?;
                w.path.pop();
                hash.member(field.key_hash, h);
            }
            KeyOut::Unknown(name) => {
                let repeated = !unknown
                    .get_or_insert_with(Default::default)
                    .insert(name.clone());
                if repeated {
                    w.duplicate_unknown(&name);
                }
                let mut p = Preview::default();
                let mut dups = Dups::default();
                let h = map.next_value_seed(AnySeed::with_dups(Some(&mut p), &mut dups))?;
                for rel in &dups.found {
                    w.duplicate_inside(Some(&name), rel);
                }
                // Reported whatever its value (a sender who writes `"method": null` means an
                // ECAPI member), once per name.
                if !repeated {
                    w.unknown_member(def, &name, p.finish());
                }
                hash.member(canon::key(&name), h);
            }
            KeyOut::Batch => {
                let name = w.cfg.batch_key.clone();
                let h = map.next_value_seed(BatchSeed { w: &mut *w })?;
                if let Some(shown) = h.1 {
                    w.unknown_member(def, &name, shown);
                }
                hash.member(canon::key(&name), h.0);
            }
        }
    }
    if def.id == ObjId::Item {
        if let Some(items) = w.ev().f.items.as_mut() {
            items.count += 1;
            match items.price {
                Some(price) => items.total += (price - items.discount) * items.quantity,
                None => items.all_priced = false,
            }
        }
    }
    Ok(hash.finish())
}

/// The value of the batch key at the top level: an array makes the record an envelope;
/// anything else is an unknown member of an event (returned with its preview).
struct BatchSeed<'w> {
    w: &'w mut Walk,
}

impl<'de> DeserializeSeed<'de> for BatchSeed<'_> {
    type Value = (u64, Option<String>);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for BatchSeed<'_> {
    type Value = (u64, Option<String>);

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
        self.w.envelope = true;
        self.w.batch = true;
        walk_batch(self.w, seq)?;
        Ok((0, None))
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let mut p = Preview::default();
        let h = any_map(map, Some(&mut p))?;
        Ok((h, Some(p.finish())))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok((canon::boolean(v), Some(v.to_string())))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok((canon::int(v), Some(v.to_string())))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok((canon::uint(v), Some(v.to_string())))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok((
            canon::float(v),
            Some(crate::engine::facts::format_number(v)),
        ))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok((canon::string(v), Some(crate::engine::facts::json_string(v))))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok((canon::NULL, None))
    }
}

/// A member's value, checked against its kind.
pub(crate) struct FieldSeed<'w> {
    pub w: &'w mut Walk,
    pub kind: Kind,
    /// Walking an element of an array member rather than the member itself.
    pub element: bool,
}

impl<'de> DeserializeSeed<'de> for FieldSeed<'_> {
    type Value = u64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for FieldSeed<'_> {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.kind.describe())
    }

    fn visit_bool<E>(self, v: bool) -> Result<u64, E> {
        self.w.mark_seen(self.kind);
        if !matches!(self.kind, Kind::Bool) {
            self.w
                .wrong_type(self.kind, "a boolean", v.to_string(), None);
        }
        Ok(canon::boolean(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<u64, E> {
        self.w.number(self.kind, self.element, Num::Int(v));
        Ok(canon::int(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<u64, E> {
        // Past i64, an integer is still an integer (a timestamp in nanoseconds, say).
        let n = Num::Int(i64::try_from(v).unwrap_or(i64::MAX));
        self.w.number(self.kind, self.element, n);
        Ok(canon::uint(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<u64, E> {
        self.w.number(self.kind, self.element, Num::Float(v));
        Ok(canon::float(v))
    }

    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<u64, E> {
        self.w.string(self.kind, self.element, v, false);
        Ok(canon::string(v))
    }

    /// Strings the parser had to unescape (or could not borrow) come here.
    fn visit_str<E>(self, v: &str) -> Result<u64, E> {
        self.w.string(self.kind, self.element, v, true);
        Ok(canon::string(v))
    }

    fn visit_unit<E>(self) -> Result<u64, E> {
        if self.element {
            self.w.wrong_type(self.kind, "null", "null".into(), None);
        }
        Ok(canon::NULL)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u64, A::Error> {
        let w = self.w;
        w.mark_seen(self.kind);
        let element = match self.kind {
            Kind::StrArray(rule) if !self.element => Kind::Str(rule),
            Kind::IntArray(rule) if !self.element => Kind::Int(rule),
            Kind::ObjArray(def) if !self.element => Kind::Obj(def),
            other => {
                let mut p = Preview::default();
                let h = any_seq(seq, Some(&mut p))?;
                w.wrong_type(other, "an array", p.finish(), None);
                return Ok(h);
            }
        };
        let mut hash = ArrayHash::default();
        let mut i: u32 = 0;
        loop {
            w.path.push(Seg::Index(i));
            let next = seq.next_element_seed(FieldSeed {
                w: &mut *w,
                kind: element,
                element: true,
            })?;
            w.path.pop();
            match next {
                Some(h) => hash.element(h),
                None => break,
            }
            i = i.saturating_add(1);
        }
        Ok(hash.finish())
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<u64, A::Error> {
        let w = self.w;
        w.mark_seen(self.kind);
        match self.kind {
            Kind::Obj(def) => walk_object(w, def, false, map),
            Kind::ObjArray(def) if !self.element => {
                w.not_an_array("an object");
                walk_object(w, def, false, map)
            }
            Kind::Ext => {
                let mut dups = Dups::default();
                let h = any_map_dups(map, None, Some(&mut dups))?;
                for rel in &dups.found {
                    w.duplicate_inside(None, rel);
                }
                Ok(h)
            }
            other => {
                let mut p = Preview::default();
                let h = any_map(map, Some(&mut p))?;
                w.wrong_type(other, "an object", p.finish(), None);
                Ok(h)
            }
        }
    }
}

/// A JSON number as the visitor received it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Num {
    Int(i64),
    Float(f64),
}
