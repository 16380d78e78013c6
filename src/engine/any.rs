//! Walking values that are not checked — `ext` objects, unknown members, values of the wrong
//! type — to hash them canonically and, when a finding needs it, show them shortened.

use crate::engine::canon::{self, ArrayHash, ObjectHash};
use crate::engine::preview::Preview;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Member names that appear twice in one object of a free-form value, by their path relative
/// to that value (`.a`, `.list[2].b`). RFC 8259 leaves duplicate names to each receiver's
/// parser, so they are flagged everywhere, `ext` included.
#[derive(Default)]
pub(crate) struct Dups {
    pub(crate) found: Vec<String>,
    path: String,
}

/// Any value, hashed (and shown, when a preview is asked for) but not checked.
pub(crate) struct AnySeed<'p> {
    preview: Option<&'p mut Preview>,
    /// Write a `,` before the value (an array element after the first).
    comma: bool,
    dups: Option<&'p mut Dups>,
}

impl<'p> AnySeed<'p> {
    /// Also looks for duplicate member names.
    pub(crate) fn with_dups(preview: Option<&'p mut Preview>, dups: &'p mut Dups) -> Self {
        AnySeed {
            preview,
            comma: false,
            dups: Some(dups),
        }
    }

    /// The preview, with the separator written, when one is kept.
    fn start(&mut self) -> Option<&mut Preview> {
        let p = self.preview.as_deref_mut()?;
        if self.comma {
            p.raw(",");
        }
        Some(p)
    }
}

impl<'de> DeserializeSeed<'de> for AnySeed<'_> {
    type Value = u64;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<u64, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for AnySeed<'_> {
    type Value = u64;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(mut self, v: bool) -> Result<u64, E> {
        if let Some(p) = self.start() {
            p.raw(if v { "true" } else { "false" });
        }
        Ok(canon::boolean(v))
    }
    fn visit_i64<E>(mut self, v: i64) -> Result<u64, E> {
        if let Some(p) = self.start() {
            p.raw(&v.to_string());
        }
        Ok(canon::int(v))
    }
    fn visit_u64<E>(mut self, v: u64) -> Result<u64, E> {
        if let Some(p) = self.start() {
            p.raw(&v.to_string());
        }
        Ok(canon::uint(v))
    }
    fn visit_f64<E>(mut self, v: f64) -> Result<u64, E> {
        if let Some(p) = self.start() {
            p.raw(&crate::engine::facts::format_number(v));
        }
        Ok(canon::float(v))
    }
    fn visit_str<E>(mut self, v: &str) -> Result<u64, E> {
        if let Some(p) = self.start() {
            p.string(v);
        }
        Ok(canon::string(v))
    }
    fn visit_unit<E>(mut self) -> Result<u64, E> {
        if let Some(p) = self.start() {
            p.raw("null");
        }
        Ok(canon::NULL)
    }
    fn visit_seq<A: SeqAccess<'de>>(mut self, seq: A) -> Result<u64, A::Error> {
        self.start();
        any_seq_dups(seq, self.preview, self.dups)
    }
    fn visit_map<A: MapAccess<'de>>(mut self, map: A) -> Result<u64, A::Error> {
        self.start();
        any_map_dups(map, self.preview, self.dups)
    }
}

pub(crate) fn any_seq<'de, A: SeqAccess<'de>>(
    seq: A,
    preview: Option<&mut Preview>,
) -> Result<u64, A::Error> {
    any_seq_dups(seq, preview, None)
}

fn any_seq_dups<'de, A: SeqAccess<'de>>(
    mut seq: A,
    mut preview: Option<&mut Preview>,
    mut dups: Option<&mut Dups>,
) -> Result<u64, A::Error> {
    let mut hash = ArrayHash::default();
    if let Some(p) = preview.as_deref_mut() {
        p.raw("[");
    }
    let mut first = true;
    let mut i = 0u32;
    loop {
        let at = dups.as_deref_mut().map(|d| {
            let at = d.path.len();
            let _ = std::fmt::Write::write_fmt(&mut d.path, format_args!("[{i}]"));
            at
        });
        let next = seq.next_element_seed(AnySeed {
            preview: preview.as_deref_mut(),
            comma: !first,
            dups: dups.as_deref_mut(),
        })?;
        if let (Some(d), Some(at)) = (dups.as_deref_mut(), at) {
            d.path.truncate(at);
        }
        let Some(h) = next else { break };
        first = false;
        i = i.saturating_add(1);
        hash.element(h);
    }
    if let Some(p) = preview {
        p.raw("]");
    }
    Ok(hash.finish())
}

pub(crate) fn any_map<'de, A: MapAccess<'de>>(
    map: A,
    preview: Option<&mut Preview>,
) -> Result<u64, A::Error> {
    any_map_dups(map, preview, None)
}

/// `any_map`, recording duplicate member names in `dups` when given.
pub(crate) fn any_map_dups<'de, A: MapAccess<'de>>(
    mut map: A,
    mut preview: Option<&mut Preview>,
    mut dups: Option<&mut Dups>,
) -> Result<u64, A::Error> {
    let mut names: Option<crate::fasthash::FastSet<String>> = None;
    let mut hash = ObjectHash::default();
    if let Some(p) = preview.as_deref_mut() {
        p.raw("{");
    }
    let mut first = true;
    while let Some(key) = map.next_key::<KeyText>()? {
        if let Some(p) = preview.as_deref_mut() {
            if !first {
                p.raw(",");
            }
            p.string(&key.0);
            p.raw(":");
        }
        first = false;
        let at = match dups.as_deref_mut() {
            Some(d) => {
                let at = d.path.len();
                crate::engine::path::push_member(&mut d.path, &key.0);
                let names = names.get_or_insert_with(Default::default);
                if !names.insert(key.0.clone()) {
                    d.found.push(d.path.clone());
                }
                Some(at)
            }
            None => None,
        };
        let h = map.next_value_seed(AnySeed {
            preview: preview.as_deref_mut(),
            comma: false,
            dups: dups.as_deref_mut(),
        })?;
        if let (Some(d), Some(at)) = (dups.as_deref_mut(), at) {
            d.path.truncate(at);
        }
        hash.member(canon::key(&key.0), h);
    }
    if let Some(p) = preview {
        p.raw("}");
    }
    Ok(hash.finish())
}

/// A member name of a free-form object.
struct KeyText(String);

impl<'de> serde::Deserialize<'de> for KeyText {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(KeyText)
    }
}
