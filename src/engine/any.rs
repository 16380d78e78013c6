//! Walking values that are not checked — `ext` objects, unknown members, values of the wrong
//! type — to hash them canonically and, when a finding needs it, show them shortened.

use crate::engine::canon::{self, ArrayHash, ObjectHash};
use crate::engine::preview::Preview;
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use std::fmt;

/// Any value, hashed (and shown, when a preview is asked for) but not checked.
pub(crate) struct AnySeed<'p> {
    preview: Option<&'p mut Preview>,
    /// Write a `,` before the value (an array element after the first).
    comma: bool,
}

impl<'p> AnySeed<'p> {
    pub(crate) fn new(preview: Option<&'p mut Preview>) -> Self {
        AnySeed {
            preview,
            comma: false,
        }
    }

    /// The preview, with the separator written, when one is kept.
    fn start(self) -> Option<&'p mut Preview> {
        let p = self.preview?;
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

    fn visit_bool<E>(self, v: bool) -> Result<u64, E> {
        if let Some(p) = self.start() {
            p.raw(if v { "true" } else { "false" });
        }
        Ok(canon::boolean(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<u64, E> {
        if let Some(p) = self.start() {
            p.raw(&v.to_string());
        }
        Ok(canon::int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<u64, E> {
        if let Some(p) = self.start() {
            p.raw(&v.to_string());
        }
        Ok(canon::uint(v))
    }
    fn visit_f64<E>(self, v: f64) -> Result<u64, E> {
        if let Some(p) = self.start() {
            p.raw(&crate::engine::facts::format_number(v));
        }
        Ok(canon::float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<u64, E> {
        if let Some(p) = self.start() {
            p.string(v);
        }
        Ok(canon::string(v))
    }
    fn visit_unit<E>(self) -> Result<u64, E> {
        if let Some(p) = self.start() {
            p.raw("null");
        }
        Ok(canon::NULL)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<u64, A::Error> {
        any_seq(seq, self.start())
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<u64, A::Error> {
        any_map(map, self.start())
    }
}

pub(crate) fn any_seq<'de, A: SeqAccess<'de>>(
    mut seq: A,
    mut preview: Option<&mut Preview>,
) -> Result<u64, A::Error> {
    let mut hash = ArrayHash::default();
    if let Some(p) = preview.as_deref_mut() {
        p.raw("[");
    }
    let mut first = true;
    while let Some(h) = seq.next_element_seed(AnySeed {
        preview: preview.as_deref_mut(),
        comma: !first,
    })? {
        first = false;
        hash.element(h);
    }
    if let Some(p) = preview {
        p.raw("]");
    }
    Ok(hash.finish())
}

pub(crate) fn any_map<'de, A: MapAccess<'de>>(
    mut map: A,
    mut preview: Option<&mut Preview>,
) -> Result<u64, A::Error> {
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
        let h = map.next_value_seed(AnySeed::new(preview.as_deref_mut()))?;
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
