//! The serde side of the fast path: `Deserializer` for the reader and for member names, and
//! the access to an object's members and an array's elements.

use super::{Bail, Fast};
use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};

/// The `Deserializer` methods the walk does not call, whose readings by serde_json (options,
/// newtypes and raw values, enums, numbers in member names…) the fast path does not copy: a
/// seed that calls one is served by serde_json.
macro_rules! leave_to_serde_json {
    () => {
        leave_to_serde_json!(
            deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32 deserialize_i64
            deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32 deserialize_u64
            deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char deserialize_bytes
            deserialize_byte_buf deserialize_option deserialize_unit deserialize_seq
            deserialize_map deserialize_ignored_any
        );
        fn deserialize_unit_struct<V: Visitor<'de>>(self, _: &'static str, _: V) -> Result<V::Value, Bail> {
            Err(Bail)
        }
        fn deserialize_newtype_struct<V: Visitor<'de>>(self, _: &'static str, _: V) -> Result<V::Value, Bail> {
            Err(Bail)
        }
        fn deserialize_tuple<V: Visitor<'de>>(self, _: usize, _: V) -> Result<V::Value, Bail> {
            Err(Bail)
        }
        fn deserialize_tuple_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            _: usize,
            _: V,
        ) -> Result<V::Value, Bail> {
            Err(Bail)
        }
        fn deserialize_struct<V: Visitor<'de>>(
            self,
            _: &'static str,
            _: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Bail> {
            Err(Bail)
        }
        fn deserialize_enum<V: Visitor<'de>>(
            self,
            _: &'static str,
            _: &'static [&'static str],
            _: V,
        ) -> Result<V::Value, Bail> {
            Err(Bail)
        }
    };
    ($($method:ident)*) => {
        $(fn $method<V: Visitor<'de>>(self, _: V) -> Result<V::Value, Bail> {
            Err(Bail)
        })*
    };
}

impl<'de> Deserializer<'de> for &mut Fast<'de> {
    type Error = Bail;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Bail> {
        self.skip_ws();
        match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                self.string(v)
            }
            Some(b'{') => {
                self.pos += 1;
                self.nest()?;
                let value = v.visit_map(Members {
                    de: &mut *self,
                    first: true,
                })?;
                self.close(b'}')?;
                Ok(value)
            }
            Some(b'[') => {
                self.pos += 1;
                self.nest()?;
                let value = v.visit_seq(Elements {
                    de: &mut *self,
                    first: true,
                })?;
                self.close(b']')?;
                Ok(value)
            }
            Some(b'-' | b'0'..=b'9') => self.number(v),
            Some(b't') => self.literal(b"true").and_then(|()| v.visit_bool(true)),
            Some(b'f') => self.literal(b"false").and_then(|()| v.visit_bool(false)),
            Some(b'n') => self.literal(b"null").and_then(|()| v.visit_unit()),
            _ => Err(Bail),
        }
    }

    #[inline]
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Bail> {
        self.skip_ws();
        if self.peek() != Some(b'"') {
            return Err(Bail);
        }
        self.pos += 1;
        self.string(v)
    }

    #[inline]
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Bail> {
        self.deserialize_str(v)
    }

    #[inline]
    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Bail> {
        self.deserialize_str(v)
    }

    leave_to_serde_json!();
}

/// A member name: always a string (the caller has seen its opening quote).
struct Name<'a, 'de>(&'a mut Fast<'de>);

impl<'de> Deserializer<'de> for Name<'_, 'de> {
    type Error = Bail;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Bail> {
        self.0.pos += 1;
        self.0.string(v)
    }

    #[inline]
    fn deserialize_str<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Bail> {
        self.deserialize_any(v)
    }

    #[inline]
    fn deserialize_string<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Bail> {
        self.deserialize_any(v)
    }

    #[inline]
    fn deserialize_identifier<V: Visitor<'de>>(self, v: V) -> Result<V::Value, Bail> {
        self.deserialize_any(v)
    }

    leave_to_serde_json!();
}

impl Fast<'_> {
    /// Before an object's member or an array's element: whether one follows (`false` at the
    /// closing `bracket`, left for `close`), past the comma that must separate it from the last.
    #[inline]
    fn next_item(&mut self, first: &mut bool, bracket: u8) -> Result<bool, Bail> {
        self.skip_ws();
        match self.peek() {
            Some(b) if b == bracket => return Ok(false),
            Some(b',') if !*first => {
                self.pos += 1;
                self.skip_ws();
            }
            _ if *first => {}
            _ => return Err(Bail),
        }
        *first = false;
        Ok(true)
    }
}

struct Members<'a, 'de> {
    de: &'a mut Fast<'de>,
    first: bool,
}

impl<'de> MapAccess<'de> for Members<'_, 'de> {
    type Error = Bail;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Bail> {
        if !self.de.next_item(&mut self.first, b'}')? {
            return Ok(None);
        }
        if self.de.peek() != Some(b'"') {
            return Err(Bail);
        }
        seed.deserialize(Name(&mut *self.de)).map(Some)
    }

    #[inline]
    fn next_value_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<T::Value, Bail> {
        self.de.skip_ws();
        if self.de.peek() != Some(b':') {
            return Err(Bail);
        }
        self.de.pos += 1;
        seed.deserialize(&mut *self.de)
    }
}

struct Elements<'a, 'de> {
    de: &'a mut Fast<'de>,
    first: bool,
}

impl<'de> SeqAccess<'de> for Elements<'_, 'de> {
    type Error = Bail;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Bail> {
        if !self.de.next_item(&mut self.first, b']')? {
            return Ok(None);
        }
        // After a comma, `]` is no value: a trailing comma is left to serde_json there.
        seed.deserialize(&mut *self.de).map(Some)
    }
}
