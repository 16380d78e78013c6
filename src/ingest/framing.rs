//! Newline framing of byte streams (TCP, Unix sockets, stdin, files being followed), with a
//! limit: a line over it is dropped as it arrives, never buffered, and reported by length.
//! A line that arrived whole in one chunk is a slice of that chunk (no copy, no allocation of
//! its own); only a line split across chunks is copied.

use bytes::Bytes;

/// What the framer found in the bytes fed to it, with the 1-based line it started on.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Line(u64, Bytes),
    TooLong(u64, u64),
}

pub struct LineFramer {
    buf: Vec<u8>,
    max: usize,
    /// Bytes of an over-long line dropped so far (`Some` while inside one).
    skipping: Option<u64>,
    /// Whether the last byte dropped was a `\r` (not counted if the line ends after it).
    skipped_cr: bool,
    /// Lines completed so far (blank ones included).
    lines: u64,
}

impl LineFramer {
    pub fn new(max: usize) -> Self {
        LineFramer {
            buf: Vec::new(),
            max: max.max(1),
            skipping: None,
            skipped_cr: false,
            lines: 0,
        }
    }

    /// Feeds bytes (copied once, as one chunk); complete non-blank lines (without `\r\n`) go
    /// to `out`.
    pub fn feed(&mut self, data: &[u8], out: &mut Vec<Frame>) {
        self.feed_shared(&Bytes::copy_from_slice(data), out);
    }

    /// Feeds a chunk; lines within it are handed out as slices of it.
    pub fn feed_shared(&mut self, chunk: &Bytes, out: &mut Vec<Frame>) {
        let mut at = 0;
        while at < chunk.len() {
            let data = &chunk[at..];
            let newline = memchr::memchr(b'\n', data);
            if let Some(skipped) = self.skipping.as_mut() {
                match newline {
                    Some(pos) => {
                        let cr = match pos {
                            0 => self.skipped_cr,
                            _ => data[pos - 1] == b'\r',
                        };
                        let total = *skipped + pos as u64 - u64::from(cr);
                        self.lines += 1;
                        out.push(Frame::TooLong(self.lines, total));
                        self.skipping = None;
                        at += pos + 1;
                    }
                    None => {
                        *skipped += data.len() as u64;
                        self.skipped_cr = data.last() == Some(&b'\r');
                        return;
                    }
                }
                continue;
            }
            match newline {
                // A whole line in this chunk: a slice of it.
                Some(pos) if self.buf.is_empty() => {
                    self.lines += 1;
                    self.emit(chunk.slice(at..at + pos), out);
                    at += pos + 1;
                }
                Some(pos) => {
                    self.buf.extend_from_slice(&data[..pos]);
                    at += pos + 1;
                    self.lines += 1;
                    let line = Bytes::copy_from_slice(&self.buf);
                    self.buf.clear();
                    self.emit(line, out);
                }
                None => {
                    self.buf.extend_from_slice(data);
                    // A `\r` that may end the line is not counted, as `emit` strips it.
                    let cr = usize::from(self.buf.last() == Some(&b'\r'));
                    if self.buf.len() - cr > self.max {
                        self.skipping = Some(self.buf.len() as u64);
                        self.skipped_cr = cr == 1;
                        self.buf.clear();
                        self.buf.shrink_to(64 * 1024);
                    }
                    return;
                }
            }
        }
    }

    /// Pushes a completed line (already counted), unless it is blank.
    fn emit(&self, mut line: Bytes, out: &mut Vec<Frame>) {
        if line.last() == Some(&b'\r') {
            line.truncate(line.len() - 1);
        }
        if line.len() > self.max {
            out.push(Frame::TooLong(self.lines, line.len() as u64));
        } else if !line.iter().all(u8::is_ascii_whitespace) {
            out.push(Frame::Line(self.lines, line));
        }
    }

    /// Bytes of an unfinished line held (counted against a listener's byte budget).
    pub fn pending(&self) -> usize {
        self.buf.len()
    }

    /// At end of stream: the last line, if it had no newline.
    pub fn finish(&mut self, out: &mut Vec<Frame>) {
        if let Some(skipped) = self.skipping.take() {
            self.lines += 1;
            out.push(Frame::TooLong(
                self.lines,
                skipped - u64::from(self.skipped_cr),
            ));
        } else if !self.buf.is_empty() {
            self.lines += 1;
            let line = Bytes::from(std::mem::take(&mut self.buf));
            self.emit(line, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(chunks: &[&[u8]], max: usize) -> Vec<Frame> {
        let mut f = LineFramer::new(max);
        let mut out = Vec::new();
        for c in chunks {
            f.feed(c, &mut out);
        }
        f.finish(&mut out);
        out
    }

    #[test]
    fn splits_across_chunks() {
        assert_eq!(
            frames(&[b"ab", b"c\r\n\n", b"  \nd"], 10),
            vec![
                Frame::Line(1, Bytes::from_static(b"abc")),
                Frame::Line(4, Bytes::from_static(b"d"))
            ]
        );
    }

    #[test]
    fn whole_lines_in_one_chunk_are_framed_like_split_ones() {
        let chunk: &[u8] = b"a\r\n\n \t\n0123456789xyz\nb\nrest";
        let expected = vec![
            Frame::Line(1, Bytes::from_static(b"a")),
            Frame::TooLong(4, 13),
            Frame::Line(5, Bytes::from_static(b"b")),
            Frame::Line(6, Bytes::from_static(b"rest")),
        ];
        assert_eq!(frames(&[chunk], 10), expected);
        let bytes: Vec<&[u8]> = chunk.chunks(1).collect();
        assert_eq!(frames(&bytes, 10), expected);
    }

    #[test]
    fn a_line_that_arrived_whole_is_a_slice_of_its_chunk() {
        let chunk = Bytes::from_static(b"{\"a\":1}\r\n{\"b\"");
        let mut f = LineFramer::new(100);
        let mut out = Vec::new();
        f.feed_shared(&chunk, &mut out);
        f.feed_shared(&Bytes::from_static(b":2}\n"), &mut out);
        let [Frame::Line(1, first), Frame::Line(2, second)] = &out[..] else {
            panic!("{out:?}");
        };
        assert_eq!(&first[..], b"{\"a\":1}");
        assert_eq!(first.as_ptr(), chunk.as_ptr(), "not copied");
        assert_eq!(&second[..], b"{\"b\":2}");
    }

    #[test]
    fn regression_a_cr_counts_against_the_limit_only_when_the_line_is_split() {
        let mut line = vec![b'x'; 50];
        line.extend_from_slice(b"\r\n");
        let whole = frames(&[&line], 50);
        assert!(
            matches!(&whole[..], [Frame::Line(1, l)] if l.len() == 50),
            "{whole:?}"
        );
        let split = frames(&[&line[..30], &line[30..51], &line[51..]], 50);
        assert_eq!(split, whole);
        let mut long = vec![b'x'; 51];
        long.extend_from_slice(b"\r\n");
        let too_long = vec![Frame::TooLong(1, 51)];
        assert_eq!(frames(&[&long], 50), too_long);
        assert_eq!(
            frames(&[&long[..30], &long[30..52], &long[52..]], 50),
            too_long
        );
        assert_eq!(
            frames(&[&long[..30], &long[30..51], &long[51..]], 50),
            too_long
        );
        assert_eq!(
            frames(&[&long[..30], &long[30..52]], 50),
            too_long,
            "at the end"
        );
    }

    #[test]
    fn drops_long_lines_without_buffering() {
        let big = vec![b'x'; 100];
        let out = frames(&[b"ok\n", &big, &big, b"\nnext\n"], 50);
        assert_eq!(
            out,
            vec![
                Frame::Line(1, Bytes::from_static(b"ok")),
                Frame::TooLong(2, 200),
                Frame::Line(3, Bytes::from_static(b"next"))
            ]
        );
        assert_eq!(frames(&[&big], 50), vec![Frame::TooLong(1, 100)]);
    }
}
