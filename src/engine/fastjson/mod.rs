//! The walk's fast path: a serde `Deserializer` over JSON text already checked as UTF-8, for the
//! JSON that senders write. It reads a record only where it gives the walk's visitors exactly
//! the calls serde_json would (the same values, borrowed or unescaped alike) and otherwise gives
//! up with `Bail`: malformed JSON, a number serde_json might round otherwise, a surrogate that is
//! not half of a pair, nesting past `MAX_DEPTH`, or an error of a visitor. The walk then reads
//! the record again with serde_json, from the start, for its verdict and its error message; the
//! differential test in `walk_diff.rs` holds the two paths to the same outcome.

use serde::de::{self, Visitor};

mod access;
#[cfg(test)]
mod tests;
use std::fmt;

/// Nesting this deep is left to serde_json (whose own limit is 128).
const MAX_DEPTH: u32 = 100;

/// The fast path gave up; serde_json reads the record instead.
#[derive(Debug)]
pub(crate) struct Bail;

impl fmt::Display for Bail {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("left to serde_json")
    }
}

impl std::error::Error for Bail {}

impl de::Error for Bail {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Bail
    }
}

/// Records in a row the fast path gave up on before it pauses, and how many records it then
/// leaves to serde_json untried.
const GIVE_UP: u32 = 8;
const PAUSE: u32 = 256;

/// Whether the fast path is worth trying: after `GIVE_UP` records in a row it gave up on, the
/// next `PAUSE` go straight to serde_json, so that a sender whose every record holds something
/// the fast path leaves, late in the record (a number past 10^22, say), does not pay for two
/// readings of each. The first record tried after a pause resumes it if it is given up too.
#[derive(Debug, Default)]
pub(crate) struct Streak {
    given_up: u32,
    paused: u32,
}

impl Streak {
    #[inline]
    pub(crate) fn worth_trying(&mut self) -> bool {
        if self.paused > 0 {
            self.paused -= 1;
            false
        } else {
            true
        }
    }

    #[inline]
    pub(crate) fn tried(&mut self, read: bool) {
        if read {
            self.given_up = 0;
        } else {
            self.given_up = self.given_up.saturating_add(1);
            if self.given_up >= GIVE_UP {
                self.paused = PAUSE;
            }
        }
    }
}

/// The reader: the record's text, a position in it, and the buffer unescaped strings go to.
pub(crate) struct Fast<'de> {
    text: &'de str,
    pos: usize,
    depth: u32,
    scratch: String,
}

impl<'de> Fast<'de> {
    /// Reads `text`, unescaping into `scratch` (kept by the caller from record to record).
    pub(crate) fn new(text: &'de str, scratch: String) -> Fast<'de> {
        Fast {
            text,
            pos: 0,
            depth: 0,
            scratch,
        }
    }

    pub(crate) fn into_scratch(self) -> String {
        self.scratch
    }

    /// Only whitespace may follow the value.
    pub(crate) fn end(&mut self) -> Result<(), Bail> {
        self.skip_ws();
        if self.pos == self.text.len() {
            Ok(())
        } else {
            Err(Bail)
        }
    }

    #[inline]
    fn bytes(&self) -> &'de [u8] {
        self.text.as_bytes()
    }

    #[inline]
    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    #[inline]
    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\t' | b'\r') = self.peek() {
            self.pos += 1;
        }
    }

    /// Consumes `lit` (the rest of `true`, `false` or `null`).
    #[inline]
    fn literal(&mut self, lit: &[u8]) -> Result<(), Bail> {
        if self
            .bytes()
            .get(self.pos..)
            .is_some_and(|rest| rest.starts_with(lit))
        {
            self.pos += lit.len();
            Ok(())
        } else {
            Err(Bail)
        }
    }

    /// The string whose opening quote was just consumed, handed to `v` borrowed when it holds
    /// no escape (serde_json's `visit_borrowed_str`) and unescaped otherwise (`visit_str`).
    #[inline]
    fn string<V: Visitor<'de>>(&mut self, v: V) -> Result<V::Value, Bail> {
        let start = self.pos;
        let end = special(self.bytes(), start);
        match self.bytes().get(end) {
            Some(b'"') => {
                self.pos = end + 1;
                let text = self.text;
                v.visit_borrowed_str(text.get(start..end).ok_or(Bail)?)
            }
            Some(b'\\') => {
                self.unescape(start, end)?;
                v.visit_str(&self.scratch)
            }
            _ => Err(Bail),
        }
    }

    /// Unescapes the string from `start` (its first escape at `at`) into `scratch`, up to and
    /// past its closing quote.
    fn unescape(&mut self, start: usize, mut at: usize) -> Result<(), Bail> {
        let text = self.text;
        let bytes = self.bytes();
        self.scratch.clear();
        self.scratch.push_str(text.get(start..at).ok_or(Bail)?);
        loop {
            match bytes.get(at) {
                Some(b'"') => {
                    self.pos = at + 1;
                    return Ok(());
                }
                Some(b'\\') => {
                    let (c, len) = escape(bytes, at + 1)?;
                    self.scratch.push(c);
                    at += 1 + len;
                }
                Some(&b) if b >= 0x20 => {
                    let end = special(bytes, at);
                    self.scratch.push_str(text.get(at..end).ok_or(Bail)?);
                    at = end;
                }
                _ => return Err(Bail),
            }
        }
    }

    /// A number, from its first character: `u64`, `i64` or `f64` as serde_json gives it.
    #[inline]
    fn number<V: Visitor<'de>>(&mut self, v: V) -> Result<V::Value, Bail> {
        match self.scan_number()? {
            Number::U64(n) => v.visit_u64(n),
            Number::I64(n) => v.visit_i64(n),
            Number::F64(n) => v.visit_f64(n),
        }
    }

    /// The number here, for the numbers whose value the fast path computes as serde_json does
    /// (one visitor-independent copy of the code, as serde_json's `ParserNumber`).
    fn scan_number(&mut self) -> Result<Number, Bail> {
        let bytes = self.bytes();
        let negative = bytes.get(self.pos) == Some(&b'-');
        let start = self.pos + usize::from(negative);
        let (mut at, mut significand) = digits(bytes, start, 0)?;
        // One leading zero at most, and at least one digit.
        if at == start || (at - start > 1 && bytes[start] == b'0') {
            return Err(Bail);
        }
        let mut exponent: i32 = 0;
        let mut float = false;
        if bytes.get(at) == Some(&b'.') {
            let (end, s) = digits(bytes, at + 1, significand)?;
            if end == at + 1 {
                return Err(Bail);
            }
            exponent = -i32::try_from(end - at - 1).map_err(|_| Bail)?;
            (at, significand, float) = (end, s, true);
        }
        if matches!(bytes.get(at), Some(b'e' | b'E')) {
            let (end, e) = explicit_exponent(bytes, at + 1)?;
            exponent = exponent.checked_add(e).ok_or(Bail)?;
            (at, float) = (end, true);
        }
        self.pos = at;
        if float {
            let f = float_value(significand, exponent)?;
            return Ok(Number::F64(if negative { -f } else { f }));
        }
        match (negative, significand) {
            (false, s) => Ok(Number::U64(s)),
            // `-0` is a float to serde_json; so is a negative integer past i64.
            (true, 0) => Ok(Number::F64(-0.0)),
            (true, s) => i64::try_from(s).map(|s| Number::I64(-s)).map_err(|_| Bail),
        }
    }

    #[inline]
    fn nest(&mut self) -> Result<(), Bail> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            Err(Bail)
        } else {
            Ok(())
        }
    }

    /// After a visitor took a map or a sequence: the closing bracket, and nothing left over.
    #[inline]
    fn close(&mut self, bracket: u8) -> Result<(), Bail> {
        self.depth -= 1;
        self.skip_ws();
        if self.peek() == Some(bracket) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Bail)
        }
    }
}

/// A number as serde_json hands it to a visitor.
enum Number {
    U64(u64),
    I64(i64),
    F64(f64),
}

/// The digits from `at` appended to `significand`; where they end. Past u64, `Bail`.
#[inline]
fn digits(bytes: &[u8], mut at: usize, mut significand: u64) -> Result<(usize, u64), Bail> {
    while let Some(&d @ b'0'..=b'9') = bytes.get(at) {
        significand = significand
            .checked_mul(10)
            .and_then(|s| s.checked_add(u64::from(d - b'0')))
            .ok_or(Bail)?;
        at += 1;
    }
    Ok((at, significand))
}

/// After an `e`: a sign perhaps, and one to three digits (more are serde_json's to read).
fn explicit_exponent(bytes: &[u8], mut at: usize) -> Result<(usize, i32), Bail> {
    let negative = bytes.get(at) == Some(&b'-');
    if matches!(bytes.get(at), Some(b'-' | b'+')) {
        at += 1;
    }
    let start = at;
    let mut e: i32 = 0;
    while let Some(&d @ b'0'..=b'9') = bytes.get(at) {
        if at - start == 3 {
            return Err(Bail);
        }
        e = e * 10 + i32::from(d - b'0');
        at += 1;
    }
    if at == start {
        return Err(Bail);
    }
    Ok((at, if negative { -e } else { e }))
}

/// `significand × 10^exponent` as serde_json computes it (without its `float_roundtrip`
/// feature, which is off: a test holds it so): the significand made an f64, then one
/// multiplication or division by a power of ten exact as an f64. For a significand over 2^53
/// that is not always the correctly rounded value, but it is serde_json's, bit for bit.
/// Exponents past ±22 are serde_json's to read.
#[inline]
fn float_value(significand: u64, exponent: i32) -> Result<f64, Bail> {
    let pow = POW10.get(exponent.unsigned_abs() as usize).ok_or(Bail)?;
    #[allow(clippy::cast_precision_loss)] // rounded as serde_json rounds it
    let f = significand as f64;
    Ok(if exponent >= 0 { f * pow } else { f / pow })
}

/// 10⁰ … 10²², each exact as an f64.
const POW10: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
    1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
];

/// The index of the first quote, backslash or control character at or after `at` (or the
/// length), eight bytes at a time.
#[inline]
fn special(bytes: &[u8], mut at: usize) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    while let Some(chunk) = bytes.get(at..at + 8) {
        let Ok(chunk) = <[u8; 8]>::try_from(chunk) else {
            break;
        };
        let w = u64::from_le_bytes(chunk);
        let quote = w ^ (ONES * u64::from(b'"'));
        let backslash = w ^ (ONES * u64::from(b'\\'));
        // A byte's high bit is set where it is zero (or under 0x20 for `w`): exact for the
        // lowest such byte, which is the only one used.
        let found = (quote.wrapping_sub(ONES) & !quote)
            | (backslash.wrapping_sub(ONES) & !backslash)
            | (w.wrapping_sub(ONES * 0x20) & !w);
        let found = found & HIGHS;
        if found != 0 {
            return at + (found.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    while let Some(&b) = bytes.get(at) {
        if b == b'"' || b == b'\\' || b < 0x20 {
            return at;
        }
        at += 1;
    }
    at
}

/// The escape after a backslash at `at - 1`: the character and how many bytes it took (a
/// surrogate pair takes two `\u` escapes).
fn escape(bytes: &[u8], at: usize) -> Result<(char, usize), Bail> {
    let c = match bytes.get(at) {
        Some(b'"') => '"',
        Some(b'\\') => '\\',
        Some(b'/') => '/',
        Some(b'b') => '\u{8}',
        Some(b'f') => '\u{c}',
        Some(b'n') => '\n',
        Some(b'r') => '\r',
        Some(b't') => '\t',
        Some(b'u') => {
            let first = hex4(bytes, at + 1)?;
            if !(0xD800..0xDC00).contains(&first) {
                // A lone trailing surrogate is no char: serde_json's to judge.
                return char::from_u32(first).map(|c| (c, 5)).ok_or(Bail);
            }
            if bytes.get(at + 5..at + 7) != Some(b"\\u") {
                return Err(Bail);
            }
            let second = hex4(bytes, at + 7)?;
            if !(0xDC00..0xE000).contains(&second) {
                return Err(Bail);
            }
            let c = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00);
            return char::from_u32(c).map(|c| (c, 11)).ok_or(Bail);
        }
        _ => return Err(Bail),
    };
    Ok((c, 1))
}

fn hex4(bytes: &[u8], at: usize) -> Result<u32, Bail> {
    let digits = bytes.get(at..at + 4).ok_or(Bail)?;
    digits.iter().try_fold(0u32, |n, &d| {
        let v = match d {
            b'0'..=b'9' => d - b'0',
            b'a'..=b'f' => d - b'a' + 10,
            b'A'..=b'F' => d - b'A' + 10,
            _ => return Err(Bail),
        };
        Ok(n << 4 | u32::from(v))
    })
}
