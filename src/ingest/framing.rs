//! Newline framing of byte streams (TCP, Unix sockets, stdin, files being followed), with a
//! limit: a line over it is dropped as it arrives, never buffered, and reported by length.

/// What the framer found in the bytes fed to it, with the 1-based line it started on.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    Line(u64, Vec<u8>),
    TooLong(u64, u64),
}

pub struct LineFramer {
    buf: Vec<u8>,
    max: usize,
    /// Bytes of an over-long line dropped so far (`Some` while inside one).
    skipping: Option<u64>,
    /// Lines completed so far (blank ones included).
    lines: u64,
}

impl LineFramer {
    pub fn new(max: usize) -> Self {
        LineFramer {
            buf: Vec::new(),
            max: max.max(1),
            skipping: None,
            lines: 0,
        }
    }

    /// Feeds bytes; complete non-blank lines (without `\r\n`) go to `out`.
    pub fn feed(&mut self, mut data: &[u8], out: &mut Vec<Frame>) {
        while !data.is_empty() {
            let newline = memchr::memchr(b'\n', data);
            if let Some(skipped) = self.skipping.as_mut() {
                match newline {
                    Some(pos) => {
                        let total = *skipped + pos as u64;
                        self.lines += 1;
                        out.push(Frame::TooLong(self.lines, total));
                        self.skipping = None;
                        data = &data[pos + 1..];
                    }
                    None => {
                        *skipped += data.len() as u64;
                        return;
                    }
                }
                continue;
            }
            match newline {
                // A whole line in this chunk: copied once, at its size.
                Some(pos) if self.buf.is_empty() => {
                    self.lines += 1;
                    self.emit(&data[..pos], out);
                    data = &data[pos + 1..];
                }
                Some(pos) => {
                    self.buf.extend_from_slice(&data[..pos]);
                    data = &data[pos + 1..];
                    self.lines += 1;
                    let buf = std::mem::take(&mut self.buf);
                    self.emit(&buf, out);
                    self.buf = buf;
                    self.buf.clear();
                }
                None => {
                    self.buf.extend_from_slice(data);
                    if self.buf.len() > self.max {
                        self.skipping = Some(self.buf.len() as u64);
                        self.buf.clear();
                        self.buf.shrink_to(64 * 1024);
                    }
                    return;
                }
            }
        }
    }

    /// Pushes a completed line (already counted), unless it is blank.
    fn emit(&self, line: &[u8], out: &mut Vec<Frame>) {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.len() > self.max {
            out.push(Frame::TooLong(self.lines, line.len() as u64));
        } else if !line.iter().all(u8::is_ascii_whitespace) {
            out.push(Frame::Line(self.lines, line.to_vec()));
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
            out.push(Frame::TooLong(self.lines, skipped));
        } else if !self.buf.is_empty() {
            self.lines += 1;
            let buf = std::mem::take(&mut self.buf);
            self.emit(&buf, out);
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
                Frame::Line(1, b"abc".to_vec()),
                Frame::Line(4, b"d".to_vec())
            ]
        );
    }

    #[test]
    fn whole_lines_in_one_chunk_are_framed_like_split_ones() {
        let chunk: &[u8] = b"a\r\n\n \t\n0123456789xyz\nb\nrest";
        let expected = vec![
            Frame::Line(1, b"a".to_vec()),
            Frame::TooLong(4, 13),
            Frame::Line(5, b"b".to_vec()),
            Frame::Line(6, b"rest".to_vec()),
        ];
        assert_eq!(frames(&[chunk], 10), expected);
        let bytes: Vec<&[u8]> = chunk.chunks(1).collect();
        assert_eq!(frames(&bytes, 10), expected);
    }

    #[test]
    fn drops_long_lines_without_buffering() {
        let big = vec![b'x'; 100];
        let out = frames(&[b"ok\n", &big, &big, b"\nnext\n"], 50);
        assert_eq!(
            out,
            vec![
                Frame::Line(1, b"ok".to_vec()),
                Frame::TooLong(2, 200),
                Frame::Line(3, b"next".to_vec())
            ]
        );
        assert_eq!(frames(&[&big], 50), vec![Frame::TooLong(1, 100)]);
    }
}
