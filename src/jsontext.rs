//! JSON strings that are safe to print: serde_json escapes C0 controls, and this also escapes
//! DEL, C1 controls (ESC's single-byte sibling CSI is U+009B), line/paragraph separators and
//! bidirectional overrides, so that JSON output piped to a terminal cannot drive or garble it.
//! Escaping keeps the JSON valid and the text lossless.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io::{self, Write};

/// Characters never written raw to anything a person may look at.
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
        )
}

/// Whether every byte of `s` is in `lo..=hi` (`lo <= hi`): by 256-byte blocks whose greatest
/// distance above `lo` (wrapping: a byte under `lo` is far above) is compared with the range's
/// width, which the compiler turns into vector code (an early exit per byte would not; smaller
/// blocks spend more on the reduction than on the bytes).
pub fn bytes_within(s: &[u8], lo: u8, hi: u8) -> bool {
    debug_assert!(lo <= hi);
    let width = hi.wrapping_sub(lo);
    s.chunks(256)
        .all(|c| c.iter().fold(0u8, |m, &b| m.max(b.wrapping_sub(lo))) <= width)
}

/// Re-escapes unsafe characters in JSON text (they can only stand inside strings).
pub fn escape_unsafe(json: &str) -> Cow<'_, str> {
    // ASCII without DEL (the common case) has nothing to escape.
    if bytes_within(json.as_bytes(), 0, 0x7e) || !json.chars().any(|c| is_unsafe(c) && c >= ' ') {
        return Cow::Borrowed(json);
    }
    let mut out = String::with_capacity(json.len() + 12);
    for c in json.chars() {
        if is_unsafe(c) && c >= ' ' {
            let _ = write!(out, "\\u{:04x}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `escape_unsafe` of an owned text, without a copy when nothing needed escaping.
pub fn escaped(json: String) -> String {
    match escape_unsafe(&json) {
        Cow::Borrowed(_) => json,
        Cow::Owned(escaped) => escaped,
    }
}

/// `s` as a safe JSON string literal.
pub fn quote(s: &str) -> String {
    escaped(serde_json::to_string(s).unwrap_or_default())
}

/// Writes `s` as a safe JSON string literal.
pub fn write_quoted<W: Write + ?Sized>(w: &mut W, s: &str) -> io::Result<()> {
    let bytes = s.as_bytes();
    if bytes_within(bytes, 0x20, 0x7e) && memchr::memchr2(b'"', b'\\', bytes).is_none() {
        // Printable ASCII with no quote or backslash (ids, paths, most messages): nothing to
        // escape, so the text itself, quoted, which is what serde_json would write.
        w.write_all(b"\"")?;
        w.write_all(bytes)?;
        return w.write_all(b"\"");
    }
    if bytes_within(bytes, 0, 0x7e) {
        serde_json::to_writer(&mut *w, s).map_err(io::Error::from)
    } else {
        w.write_all(quote(s).as_bytes())
    }
}

/// Appends ASCII text as a JSON string literal, byte for byte what `quote` writes (serde_json's
/// escapes, and DEL as `\u007f`), straight into `out` (no writer call per escape): the
/// capture's hot path, as every record's quotes are escaped there.
pub fn push_quoted_ascii(out: &mut Vec<u8>, s: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.reserve(s.len() + s.len() / 4 + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in s.iter().enumerate() {
        if b >= 0x20 && b != b'"' && b != b'\\' && b != 0x7f {
            continue;
        }
        out.extend_from_slice(&s[start..i]);
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => out.extend_from_slice(&[
                b'\\',
                b'u',
                b'0',
                b'0',
                HEX[usize::from(b >> 4)],
                HEX[usize::from(b & 15)],
            ]),
        }
        start = i + 1;
    }
    out.extend_from_slice(&s[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_quoted_writes_what_quote_does() {
        for s in [
            "",
            "evt-1",
            "$.user_data.emails[0]",
            "say \"hi\"",
            "back\\slash",
            "tab\there",
            "nl\n",
            "\u{7f}",
            "\u{1b}[31m",
            "caf\u{e9}",
            "\u{202e}rtl",
            "~ !#$%&'()*+,-./:;<=>?@[]^_`{|}",
        ] {
            let mut w = Vec::new();
            write_quoted(&mut w, s).unwrap();
            assert_eq!(String::from_utf8(w).unwrap(), quote(s), "{s:?}");
        }
    }
    use proptest::prelude::*;

    /// `escape_unsafe` as it was before its ASCII fast path: character by character.
    fn escape_unsafe_slowly(json: &str) -> String {
        json.chars()
            .map(|c| {
                if is_unsafe(c) && c >= ' ' {
                    format!("\\u{:04x}", c as u32)
                } else {
                    c.to_string()
                }
            })
            .collect()
    }

    #[test]
    fn escape_unsafe_escapes_del_c1_and_bidi_wherever_they_are() {
        for at in [0, 1, 63, 64, 65, 127, 128, 199] {
            for c in ['\u{7f}', '\u{9b}', '\u{202e}', 'é', '\n'] {
                let mut s: String = "a".repeat(200);
                s.replace_range(at..=at, &c.to_string());
                assert_eq!(escape_unsafe(&s), escape_unsafe_slowly(&s), "{c:?} at {at}");
            }
        }
        assert!(matches!(escape_unsafe("{\"a\":1}"), Cow::Borrowed(_)));
        assert_eq!(escaped("x\u{7f}".into()), "x\\u007f");
    }

    proptest! {
        #[test]
        fn escape_unsafe_is_the_character_by_character_escape(s in "\\PC{0,80}|[\\x00-\\x7f\\u{80}-\\u{9f}]{0,80}") {
            prop_assert_eq!(escape_unsafe(&s), escape_unsafe_slowly(&s));
        }

        #[test]
        fn ascii_quoting_is_quotes(s in "[\\x00-\\x7f]{0,64}") {
            let mut out = Vec::new();
            push_quoted_ascii(&mut out, s.as_bytes());
            prop_assert_eq!(String::from_utf8(out).unwrap(), quote(&s));
        }

        #[test]
        fn bytes_within_is_every_byte_in_the_range(
            s in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..700),
            lo in 0u8..=255,
            width in 0u8..=255,
            at in 0usize..700,
            put in proptest::prelude::any::<u8>(),
        ) {
            let hi = lo.saturating_add(width);
            // Mostly in the range, with one byte anywhere (inside a block, or past the first).
            let mut s: Vec<u8> = s.iter().map(|b| lo + b % (hi - lo).saturating_add(1).max(1)).collect();
            if let Some(b) = s.get_mut(at) {
                *b = put;
            }
            let want = s.iter().all(|b| (lo..=hi).contains(b));
            prop_assert_eq!(bytes_within(&s, lo, hi), want);
        }
    }

    #[test]
    fn escapes_beyond_serde() {
        assert_eq!(quote("a\u{1b}b"), r#""a\u001bb""#);
        assert_eq!(
            quote("x\u{9b}31m\u{202e}y\u{7f}"),
            r#""x\u009b31m\u202ey\u007f""#
        );
        assert_eq!(quote("café ✓"), "\"café ✓\"");
        let back: String = serde_json::from_str(&quote("x\u{9b}\u{2028}")).unwrap();
        assert_eq!(back, "x\u{9b}\u{2028}");
        let mut buf = Vec::new();
        write_quoted(&mut buf, "\u{85}").unwrap();
        assert_eq!(buf, br#""\u0085""#);
    }
}

/// The byte ranges of the events of a batch record: the elements of a top-level array, or of
/// the envelope's `batch_key` array. `None` when the record is not such a batch.
pub fn elements(raw: &[u8], batch_key: &str) -> Option<Vec<std::ops::Range<usize>>> {
    use serde_json::value::RawValue;
    use std::collections::BTreeMap;
    let text = std::str::from_utf8(raw).ok()?;
    let list: Vec<&RawValue> = match text.trim_start().as_bytes().first() {
        Some(b'[') => serde_json::from_str(text).ok()?,
        Some(b'{') => {
            let map: BTreeMap<Cow<'_, str>, &RawValue> = serde_json::from_str(text).ok()?;
            serde_json::from_str(map.get(batch_key)?.get()).ok()?
        }
        _ => return None,
    };
    // Each element borrows from `text`: find where, by address.
    let base = text.as_ptr() as usize;
    list.iter()
        .map(|item| {
            let start = (item.get().as_ptr() as usize).checked_sub(base)?;
            Some(start..start + item.get().len())
        })
        .collect()
}

/// The events' own text in batch records, the batch parsed once per record however many of
/// its events ask.
#[derive(Default)]
pub struct BatchElements {
    record: u64,
    spans: Option<Vec<std::ops::Range<usize>>>,
    batch_key: String,
}

impl BatchElements {
    pub fn new(batch_key: &str) -> BatchElements {
        BatchElements {
            batch_key: batch_key.to_owned(),
            ..BatchElements::default()
        }
    }

    /// The text of event `index` of the record numbered `record` (the record itself when
    /// `index` is `None`, or when the element cannot be found).
    pub fn of<'a>(&mut self, raw: &'a [u8], record: u64, index: Option<u32>) -> &'a [u8] {
        let Some(i) = index else {
            return raw;
        };
        if self.record != record || self.spans.is_none() {
            self.record = record;
            self.spans = elements(raw, &self.batch_key);
        }
        self.spans
            .as_ref()
            .and_then(|s| s.get(i as usize))
            .and_then(|range| raw.get(range.clone()))
            .unwrap_or(raw)
    }
}

/// The text of the event at `index` of a record (the record itself when `index` is `None`).
pub fn element<'a>(raw: &'a [u8], index: Option<u32>, batch_key: &str) -> Option<&'a [u8]> {
    let Some(i) = index else {
        return Some(raw);
    };
    let range = elements(raw, batch_key)?.into_iter().nth(i as usize)?;
    raw.get(range)
}

#[cfg(test)]
mod element_tests {
    use super::element;

    #[test]
    fn finds_batch_elements() {
        let arr = br#"[{"id":"a"}, {"id":"b"}]"#;
        assert_eq!(element(arr, Some(1), "events"), Some(&br#"{"id":"b"}"#[..]));
        let env = br#"{"meta":1,"events":[1,{"id":"c"}]}"#;
        assert_eq!(element(env, Some(1), "events"), Some(&br#"{"id":"c"}"#[..]));
        assert_eq!(element(env, Some(5), "events"), None);
        assert_eq!(element(env, Some(0), "data"), None);
        assert_eq!(element(b"\xff[", Some(0), "events"), None);
        assert_eq!(element(b"x", None, "events"), Some(&b"x"[..]));
    }
}
