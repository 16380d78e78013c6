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

/// Re-escapes unsafe characters in JSON text (they can only stand inside strings).
pub fn escape_unsafe(json: &str) -> Cow<'_, str> {
    if !json.chars().any(|c| is_unsafe(c) && c >= ' ') {
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

/// `s` as a safe JSON string literal.
pub fn quote(s: &str) -> String {
    let json = serde_json::to_string(s).unwrap_or_default();
    match escape_unsafe(&json) {
        Cow::Borrowed(_) => json,
        Cow::Owned(escaped) => escaped,
    }
}

/// Writes `s` as a safe JSON string literal.
pub fn write_quoted<W: Write + ?Sized>(w: &mut W, s: &str) -> io::Result<()> {
    if s.bytes().all(|b| b < 0x7f) {
        serde_json::to_writer(&mut *w, s).map_err(io::Error::from)
    } else {
        w.write_all(quote(s).as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
