//! A small ordered JSON tree for synthetic events.
//!
//! `serde_json::Value` sorts object keys and allocates every key; generated events need the
//! opposite: member order under our control (exact duplicates are re-sent with the top-level
//! keys reordered), `&'static` keys, strings shared with the user pool, and money kept as exact
//! minor units so that sums and rounding never drift.

use std::sync::Arc;

/// Text that is either a literal, shared with a precomputed pool, or built for one event.
#[derive(Clone, Debug, PartialEq)]
pub enum Text {
    Static(&'static str),
    Shared(Arc<str>),
    Owned(String),
}

impl Text {
    pub fn as_str(&self) -> &str {
        match self {
            Text::Static(s) => s,
            Text::Shared(s) => s,
            Text::Owned(s) => s,
        }
    }
}

/// One JSON value. Numbers come in the three shapes events need.
#[derive(Clone, Debug, PartialEq)]
pub enum Json {
    Bool(bool),
    Int(i64),
    /// An amount in minor units with its number of decimals (2 for cents, 0 for yen).
    Money(i64, u8),
    Str(Text),
    Arr(Vec<Json>),
    Obj(Obj),
}

impl Json {
    pub fn lit(s: &'static str) -> Json {
        Json::Str(Text::Static(s))
    }

    pub fn shared(s: &Arc<str>) -> Json {
        Json::Str(Text::Shared(Arc::clone(s)))
    }

    pub fn owned(s: String) -> Json {
        Json::Str(Text::Owned(s))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(t) => Some(t.as_str()),
            _ => None,
        }
    }

    pub fn as_obj_mut(&mut self) -> Option<&mut Obj> {
        match self {
            Json::Obj(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_obj(&self) -> Option<&Obj> {
        match self {
            Json::Obj(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_arr(&self) -> Option<&[Json]> {
        match self {
            Json::Arr(a) => Some(a),
            _ => None,
        }
    }

    /// Appends the compact serialization of `self` to `out`.
    pub fn write(&self, out: &mut Vec<u8>) {
        match self {
            Json::Bool(b) => out.extend_from_slice(if *b { b"true" } else { b"false" }),
            Json::Int(i) => write_int(out, *i),
            Json::Money(minor, decimals) => write_money(out, *minor, *decimals),
            Json::Str(t) => write_str(out, t.as_str()),
            Json::Arr(items) => {
                out.push(b'[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    item.write(out);
                }
                out.push(b']');
            }
            Json::Obj(obj) => obj.write(out),
        }
    }
}

/// An object whose members keep their insertion order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Obj(pub Vec<(&'static str, Json)>);

impl Obj {
    pub fn with_capacity(n: usize) -> Obj {
        Obj(Vec::with_capacity(n))
    }

    pub fn push(&mut self, key: &'static str, value: Json) {
        self.0.push((key, value));
    }

    pub fn get(&self, key: &str) -> Option<&Json> {
        self.0.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Json> {
        self.0.iter_mut().find(|(k, _)| *k == key).map(|(_, v)| v)
    }

    pub fn contains(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// Replaces the member in place, or appends it.
    pub fn set(&mut self, key: &'static str, value: Json) {
        match self.get_mut(key) {
            Some(slot) => *slot = value,
            None => self.push(key, value),
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<Json> {
        let at = self.0.iter().position(|(k, _)| *k == key)?;
        Some(self.0.remove(at).1)
    }

    /// Renames a member in place, keeping its position; false when it is absent.
    pub fn rename(&mut self, from: &str, to: &'static str) -> bool {
        match self.0.iter_mut().find(|(k, _)| *k == from) {
            Some(member) => {
                member.0 = to;
                true
            }
            None => false,
        }
    }

    /// The object under `key`, created empty when absent (or replacing a non-object).
    pub fn obj_mut(&mut self, key: &'static str) -> &mut Obj {
        let at = if let Some(at) = self.0.iter().position(|(k, _)| *k == key) {
            at
        } else {
            self.push(key, Json::Obj(Obj::default()));
            self.0.len() - 1
        };
        let slot = &mut self.0[at].1;
        if !matches!(slot, Json::Obj(_)) {
            *slot = Json::Obj(Obj::default());
        }
        match slot {
            Json::Obj(o) => o,
            _ => unreachable!("the member was just made an object"),
        }
    }

    pub fn write(&self, out: &mut Vec<u8>) {
        out.push(b'{');
        for (i, (key, value)) in self.0.iter().enumerate() {
            if i > 0 {
                out.push(b',');
            }
            write_str(out, key);
            out.push(b':');
            value.write(out);
        }
        out.push(b'}');
    }
}

/// Writes minor units as a decimal number with exactly `decimals` fraction digits.
fn write_money(out: &mut Vec<u8>, minor: i64, decimals: u8) {
    if decimals == 0 {
        write_int(out, minor);
        return;
    }
    let scale = 10_i64.pow(u32::from(decimals));
    if minor < 0 {
        out.push(b'-');
    }
    let abs = minor.unsigned_abs() as i64;
    write_int(out, abs / scale);
    out.push(b'.');
    let fraction = abs % scale;
    for digit in (0..u32::from(decimals)).rev() {
        out.push(b'0' + (fraction / 10_i64.pow(digit) % 10) as u8);
    }
}

/// The decimal text of an amount in minor units ("12.50" for 1250 cents).
pub fn format_money(minor: i64, decimals: u8) -> String {
    if decimals == 0 {
        return minor.to_string();
    }
    let scale = 10_i64.pow(u32::from(decimals));
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let scale = scale.unsigned_abs();
    let width = usize::from(decimals);
    format!("{sign}{}.{:0width$}", abs / scale, abs % scale)
}

/// Writes a JSON string literal, escaping what JSON requires.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    // Nearly every generated string is plain ASCII without quotes: one branch-free
    // (vectorizable) scan, one copy.
    let needs_escape = bytes.iter().fold(0_u8, |acc, &b| {
        acc | u8::from(b < 0x20) | u8::from(b == b'"') | u8::from(b == b'\\')
    });
    if needs_escape == 0 {
        out.extend_from_slice(bytes);
        out.push(b'"');
        return;
    }
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0..=0x1f => b"",
            _ => continue,
        };
        out.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            out.extend_from_slice(format!("\\u{b:04x}").as_bytes());
        } else {
            out.extend_from_slice(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

/// Writes a decimal integer without going through `fmt`.
fn write_int(out: &mut Vec<u8>, n: i64) {
    let mut buf = [0_u8; 20];
    let mut at = buf.len();
    let mut rest = n.unsigned_abs();
    loop {
        at -= 1;
        buf[at] = b'0' + (rest % 10) as u8;
        rest /= 10;
        if rest == 0 {
            break;
        }
    }
    if n < 0 {
        out.push(b'-');
    }
    out.extend_from_slice(&buf[at..]);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(j: &Json) -> String {
        let mut out = Vec::new();
        j.write(&mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn money_keeps_exact_decimals() {
        assert_eq!(text(&Json::Money(1250, 2)), "12.50");
        assert_eq!(text(&Json::Money(5, 2)), "0.05");
        assert_eq!(text(&Json::Money(1800, 0)), "1800");
        assert_eq!(text(&Json::Money(-5, 2)), "-0.05");
        assert_eq!(format_money(-5, 2), "-0.05");
        assert_eq!(text(&Json::Int(-1_746_558_464)), "-1746558464");
        assert_eq!(text(&Json::Int(i64::MIN)), i64::MIN.to_string());
    }

    #[test]
    fn strings_are_escaped() {
        let j = Json::owned("a\"b\\c\n\u{1}é".to_owned());
        let back: String = serde_json::from_str(&text(&j)).unwrap();
        assert_eq!(back, "a\"b\\c\n\u{1}é");
    }

    #[test]
    fn objects_keep_order_and_edit_in_place() {
        let mut o = Obj::default();
        o.push("b", Json::Int(1));
        o.push("a", Json::Bool(true));
        o.set("b", Json::Int(2));
        assert!(o.rename("a", "z"));
        o.obj_mut("p").push("k", Json::lit("v"));
        assert_eq!(text(&Json::Obj(o)), r#"{"b":2,"z":true,"p":{"k":"v"}}"#);
    }
}
