//! Terminal-safe text: payload bytes never reach a terminal raw. Control characters (C0, DEL,
//! C1), bidirectional overrides and invisible characters are shown as escapes, so a payload cannot move the cursor,
//! recolour the screen or reorder what is displayed.

use std::borrow::Cow;
use std::fmt::Write as _;

/// What is escaped on screen: what drives a terminal, and characters that draw nothing
/// (zero-width space and joiners, word joiner, BOM, soft hyphen), so that `a\u{200b}b` never
/// looks like `ab`.
fn is_unsafe(c: char) -> bool {
    crate::jsontext::is_unsafe(c)
        || matches!(
            c,
            '\u{ad}' | '\u{200b}'..='\u{200d}' | '\u{2060}'..='\u{2064}' | '\u{feff}'
        )
}

/// `s` with every unsafe character replaced by `\u{…}`.
pub fn safe(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if is_unsafe(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// `safe`, cut to `max` characters with an ellipsis.
pub fn safe_short(s: &str, max: usize) -> String {
    let safe = safe(s);
    if safe.chars().count() <= max {
        return safe.into_owned();
    }
    let mut out: String = safe.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regression_invisible_characters_look_like_nothing() {
        assert_eq!(safe("zero\u{200b}width"), "zero\\u{200b}width");
        assert_eq!(safe("\u{feff}bom"), "\\u{feff}bom");
        assert_eq!(safe("plain"), "plain");
    }

    #[test]
    fn escapes_what_drives_a_terminal() {
        assert_eq!(safe("plain café"), "plain café");
        assert_eq!(safe("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(safe("\u{9b}31m"), "\\u{9b}31m");
        assert_eq!(safe("x\u{202e}y"), "x\\u{202e}y");
        assert_eq!(safe("tab\there"), "tab\\u{9}here");
        assert_eq!(safe_short("abcdef", 4), "abc…");
    }
}
