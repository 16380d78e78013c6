//! Short JSON renderings of offending values, built while the value is consumed, so that a
//! finding can show what was sent without keeping (or re-parsing) the payload.

use crate::engine::facts::PREVIEW_CHARS;

/// A bounded JSON writer: stops recording past the limit but remembers it did.
#[derive(Default)]
pub struct Preview {
    buf: String,
    full: bool,
}

impl Preview {
    pub fn raw(&mut self, s: &str) {
        if self.full {
            return;
        }
        let room = PREVIEW_CHARS.saturating_sub(self.buf.len());
        if s.len() <= room {
            self.buf.push_str(s);
        } else {
            let mut cut = room;
            while !s.is_char_boundary(cut) {
                cut -= 1;
            }
            self.buf.push_str(&s[..cut]);
            self.full = true;
        }
    }

    pub fn string(&mut self, s: &str) {
        if self.full {
            return;
        }
        // Escape only what can be shown: a multi-megabyte string costs no more than a short one.
        let mut end = s.len().min(PREVIEW_CHARS);
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        let escaped = crate::jsontext::quote(&s[..end]);
        if end < s.len() {
            self.raw(&escaped[..escaped.len() - 1]);
            self.full = true;
        } else {
            self.raw(&escaped);
        }
    }

    pub fn is_full(&self) -> bool {
        self.full
    }

    /// Valid JSON text: the value itself when it fit, else a string of its start and "…".
    pub fn finish(self) -> String {
        if self.full {
            crate::jsontext::quote(&format!("{}…", self.buf))
        } else {
            self.buf
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_values_are_kept_whole() {
        let mut p = Preview::default();
        p.raw("{");
        p.string("a\"b");
        p.raw(":1}");
        assert_eq!(p.finish(), r#"{"a\"b":1}"#);
    }

    #[test]
    fn long_values_become_a_shortened_string() {
        let mut p = Preview::default();
        p.string(&"é".repeat(10_000));
        let out = p.finish();
        let parsed: String = serde_json::from_str(&out).unwrap();
        assert!(parsed.ends_with('…'));
        assert!(parsed.chars().count() <= PREVIEW_CHARS + 1);
    }
}
