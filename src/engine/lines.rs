//! Splits a byte stream into NDJSON records: one per line, blank lines skipped, CR-LF and a
//! leading BOM tolerated, and lines over the limit skipped (not buffered) and reported.

use std::io::{self, Read};

/// One line of input.
#[derive(Debug, PartialEq, Eq)]
pub enum Line<'a> {
    Record {
        text: &'a [u8],
        /// 1-based line number.
        line: u64,
        /// Byte offset of the line's start in the stream.
        offset: u64,
    },
    TooLong {
        line: u64,
        offset: u64,
        len: u64,
    },
}

pub struct LineReader<R> {
    inner: R,
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    line: u64,
    max: usize,
    eof: bool,
}

const CHUNK: usize = 256 * 1024;

impl<R: Read> LineReader<R> {
    pub fn new(inner: R, max_line_bytes: usize) -> Self {
        LineReader {
            inner,
            buf: vec![0; CHUNK],
            start: 0,
            end: 0,
            base: 0,
            line: 0,
            max: max_line_bytes.max(1),
            eof: false,
        }
    }

    /// Bytes consumed so far.
    pub fn position(&self) -> u64 {
        self.base + self.start as u64
    }

    /// The next non-blank line, `None` at end of stream.
    pub fn next_line(&mut self) -> io::Result<Option<Line<'_>>> {
        let (s, e) = loop {
            if let Some(pos) = memchr::memchr(b'\n', &self.buf[self.start..self.end]) {
                let range = (self.start, self.start + pos);
                self.start += pos + 1;
                self.line += 1;
                if !self.is_blank(range) {
                    break range;
                }
                continue;
            }
            if self.end - self.start > self.max {
                return self.skip_long_line().map(Some);
            }
            if self.eof {
                if self.start == self.end {
                    return Ok(None);
                }
                let range = (self.start, self.end);
                self.start = self.end;
                self.line += 1;
                if !self.is_blank(range) {
                    break range;
                }
                continue;
            }
            self.fill()?;
        };
        Ok(Some(self.emit(s, e)))
    }

    fn trimmed(&self, s: usize, e: usize) -> &[u8] {
        let mut text = &self.buf[s..e];
        if self.base + s as u64 == 0 {
            text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
        }
        text.strip_suffix(b"\r").unwrap_or(text)
    }

    /// Lines made of white space only are skipped.
    fn is_blank(&self, (s, e): (usize, usize)) -> bool {
        self.trimmed(s, e).iter().all(u8::is_ascii_whitespace)
    }

    fn emit(&self, s: usize, e: usize) -> Line<'_> {
        let text = self.trimmed(s, e);
        let offset = self.base + s as u64;
        if text.len() > self.max {
            return Line::TooLong {
                line: self.line,
                offset,
                len: text.len() as u64,
            };
        }
        Line::Record {
            text,
            line: self.line,
            offset,
        }
    }

    /// Makes room and reads more; the buffer grows up to the line limit, never past it.
    fn fill(&mut self) -> io::Result<()> {
        if self.start > 0 {
            self.buf.copy_within(self.start..self.end, 0);
            self.base += self.start as u64;
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            let grown = (self.buf.len() * 2).min(self.max.saturating_add(CHUNK));
            self.buf.resize(grown.max(self.end + CHUNK), 0);
        }
        let n = loop {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        };
        if n == 0 {
            self.eof = true;
        }
        self.end += n;
        Ok(())
    }

    /// Consumes the rest of an over-long line without keeping it.
    fn skip_long_line(&mut self) -> io::Result<Line<'static>> {
        self.line += 1;
        let offset = self.position();
        // Counted like a line that fits: without a BOM at the stream's start, or the `\r`
        // of a CR-LF (which may come at the end of one read and its `\n` in the next).
        let bom = offset == 0 && self.buf[self.start..self.end].starts_with(b"\xef\xbb\xbf");
        let mut len = 0u64;
        let mut cr = false;
        loop {
            let data = &self.buf[self.start..self.end];
            if let Some(pos) = memchr::memchr(b'\n', data) {
                cr = if pos > 0 { data[pos - 1] == b'\r' } else { cr };
                len += pos as u64;
                self.start += pos + 1;
                break;
            }
            cr = data.last().map_or(cr, |b| *b == b'\r');
            len += data.len() as u64;
            self.base += self.end as u64;
            self.start = 0;
            self.end = 0;
            if self.eof {
                break;
            }
            self.fill()?;
        }
        let len = len - u64::from(cr) - if bom { 3 } else { 0 };
        Ok(Line::TooLong {
            line: self.line,
            offset,
            len,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collect(input: &[u8], max: usize) -> Vec<String> {
        collect_from(input, max)
    }

    fn collect_from(input: impl Read, max: usize) -> Vec<String> {
        let mut r = LineReader::new(input, max);
        let mut out = Vec::new();
        while let Some(line) = r.next_line().unwrap() {
            out.push(match line {
                Line::Record { text, line, offset } => {
                    format!("{line}@{offset}:{}", String::from_utf8_lossy(text))
                }
                Line::TooLong { line, offset, len } => format!("{line}@{offset}:too long {len}"),
            });
        }
        out
    }

    #[test]
    fn splits_and_numbers_lines() {
        assert_eq!(
            collect(b"\xef\xbb\xbfa\r\n\n  \nbb\nc", 100),
            vec!["1@0:a", "4@10:bb", "5@13:c"]
        );
        assert!(collect(b"", 100).is_empty());
        assert!(collect(b"\n\n", 100).is_empty());
    }

    /// Reads its parts one per call.
    struct Parts(Vec<&'static [u8]>);

    impl Read for Parts {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            if self.0.is_empty() {
                return Ok(0);
            }
            let part = self.0.remove(0);
            buf[..part.len()].copy_from_slice(part);
            Ok(part.len())
        }
    }

    #[test]
    fn regression_a_too_long_line_read_in_pieces_was_counted_with_its_cr_and_bom() {
        // Whole in one read, the line is measured without its BOM and `\r`; arriving without
        // its `\n`, it was skipped as it came and measured with them (11, then 9).
        for parts in [
            vec![&b"\xef\xbb\xbfabcdefgh\r"[..], b"\nok\n"],
            vec![&b"\xef\xbb\xbfabcdefgh"[..], b"\r", b"\nok\n"],
            vec![&b"\xef\xbb\xbfabcdefgh\r\nok\n"[..]],
        ] {
            assert_eq!(collect_from(Parts(parts), 4), ["1@0:too long 8", "2@13:ok"]);
        }
    }

    #[test]
    fn long_lines_are_skipped_and_counted() {
        let mut input = b"ok\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 1_000_000));
        input.extend(b"\nafter\n");
        assert_eq!(
            collect(&input, 1000),
            vec!["1@0:ok", "2@3:too long 1000000", "3@1000004:after"]
        );
    }

    #[test]
    fn lines_longer_than_a_chunk_within_the_limit_are_kept() {
        let long = "y".repeat(3 * CHUNK);
        let input = format!("{long}\nz\n");
        let out = collect(input.as_bytes(), 4 * CHUNK);
        assert_eq!(out.len(), 2);
        assert!(out[0].ends_with(&long));
        assert_eq!(out[1], format!("2@{}:z", 3 * CHUNK + 1));
    }
}
