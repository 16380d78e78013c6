//! The capture file: every record received, one NDJSON line each, with its receive time and
//! source label, written with owner-only permissions. A capture opened as a file source gives
//! back the original records, receive times and labels.
//!
//! Line shape: `{"_capture":1,"received":MS,"source":"LABEL","raw":"TEXT"}`, with `json` (the
//! record itself, verbatim) instead of `raw` for a record that parsed as JSON and is printable
//! ASCII from its opening to its closing bracket, `raw_b64` for bytes that are not UTF-8, and
//! `too_long` (a length) for records that were over the size limit and never kept. A Kafka record also has
//! `"kafka":{"topic","partition","offset","key","timestamp"}` after its source.

use base64::Engine as _;
use serde::Deserialize;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

const MARK: &[u8] = b"{\"_capture\":1,";

/// Bytes buffered before they are handed to the operating system within a flush.
const SPILL: usize = 1024 * 1024;

pub struct Capture {
    path: PathBuf,
    file: File,
    /// Lines written since the last flush; a flush writes them in one go or not at all.
    out: Vec<u8>,
    pending: u64,
    /// Length of the file after the last good flush, to cut a partial write back to.
    good_len: u64,
    /// Bytes of this flush's lines already handed over (a large batch is written in parts).
    spilled: u64,
    /// The first write error since the last flush.
    failed: Option<io::Error>,
    /// Lines known to be in the file.
    pub lines: u64,
    /// Has what is written reach the disk and leave the page cache.
    writeback: super::writeback::Writeback,
    /// The last record's source label, and that label as a JSON string: records of one
    /// source come in runs, and quoting the same label for each cost about 350 instructions.
    label: String,
    label_json: Vec<u8>,
}

impl Capture {
    /// Opens (creating, mode 0600) or appends to the capture at `path`.
    pub fn open(path: &Path) -> io::Result<Capture> {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        // An existing capture is tightened too; a device (say /dev/full) is left alone.
        if file.metadata()?.is_file() {
            file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
        }
        let good_len = file.metadata()?.len();
        let writeback = super::writeback::Writeback::new(&file, good_len);
        Ok(Capture {
            path: path.to_owned(),
            file,
            out: Vec::with_capacity(SPILL),
            pending: 0,
            good_len,
            spilled: 0,
            failed: None,
            lines: 0,
            writeback,
            label: String::new(),
            label_json: Vec::new(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one record (buffered; see `flush`).
    pub fn write(
        &mut self,
        received_ms: i64,
        label: &str,
        raw: Result<&[u8], u64>,
    ) -> io::Result<()> {
        self.write_from(received_ms, label, None, raw)
    }

    /// Appends one record the engine parsed as JSON: verbatim, as the line's `json` value, when
    /// that is byte-exact and safe to print (printable ASCII, no whitespace around it); as
    /// `write_from` otherwise. Embedding skips the escaping and keeps the file at the
    /// records' own size.
    pub fn write_parsed(
        &mut self,
        received_ms: i64,
        label: &str,
        message: Option<&crate::ingest::MessageDetail>,
        json: &[u8],
    ) -> io::Result<()> {
        if !embeddable(json) {
            return self.write_from(received_ms, label, message, Ok(json));
        }
        self.head(received_ms, label, message)?;
        self.out.extend_from_slice(b",\"json\":");
        self.out.extend_from_slice(json);
        self.end();
        Ok(())
    }

    /// `{"_capture":1,"received":…,"source":…[,"kafka":…]`.
    fn head(
        &mut self,
        received_ms: i64,
        label: &str,
        message: Option<&crate::ingest::MessageDetail>,
    ) -> io::Result<()> {
        self.out.extend_from_slice(b"{\"_capture\":1,\"received\":");
        self.out
            .extend_from_slice(itoa::Buffer::new().format(received_ms).as_bytes());
        self.out.extend_from_slice(b",\"source\":");
        if self.label != label || self.label_json.is_empty() {
            self.label.clear();
            self.label.push_str(label);
            self.label_json.clear();
            // Escaped like every output: a label read back from a hostile capture stays inert.
            crate::jsontext::write_quoted(&mut self.label_json, label)?;
        }
        self.out.extend_from_slice(&self.label_json);
        if let Some(m) = message {
            crate::output::ndjson::write_message(&mut Chunked(self), m)?;
        }
        Ok(())
    }

    /// Closes the line, and hands the buffer over past `SPILL`.
    fn end(&mut self) {
        self.out.extend_from_slice(b"}\n");
        self.pending += 1;
        if self.out.len() >= SPILL {
            self.spill();
        }
    }

    /// Appends one record, with where it was in a Kafka topic.
    pub fn write_from(
        &mut self,
        received_ms: i64,
        label: &str,
        message: Option<&crate::ingest::MessageDetail>,
        raw: Result<&[u8], u64>,
    ) -> io::Result<()> {
        self.head(received_ms, label, message)?;
        let mut out = Chunked(self);
        match raw {
            // The common case, escaped straight into the buffer; a huge record goes through the
            // writer below, which hands it over in parts.
            Ok(bytes) if bytes.len() < SPILL && bytes.is_ascii() => {
                out.0.out.extend_from_slice(b",\"raw\":");
                crate::jsontext::push_quoted_ascii(&mut out.0.out, bytes);
            }
            Ok(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => {
                    out.write_all(b",\"raw\":")?;
                    if text.is_ascii() {
                        serde_json::to_writer(&mut out, text)?;
                    } else {
                        // C1 controls, DEL-range and bidi overrides escaped like every other
                        // output, so that `cat` of a capture cannot drive the terminal; the
                        // JSON string is the same.
                        let quoted = serde_json::to_string(text)?;
                        out.write_all(crate::jsontext::escape_unsafe(&quoted).as_bytes())?;
                    }
                }
                Err(_) => {
                    let encoded = base64::engine::general_purpose::STANDARD.encode(bytes);
                    write!(out, ",\"raw_b64\":\"{encoded}\"")?;
                }
            },
            Err(len) => write!(out, ",\"too_long\":{len}")?,
        }
        self.end();
        Ok(())
    }

    /// Hands what is buffered to the operating system, so that a large batch never holds
    /// more than `SPILL` bytes here beyond one record (a record under `SPILL` is escaped
    /// whole, at most six bytes per byte; a larger one goes out in parts); a failure is kept
    /// for `flush`.
    fn spill(&mut self) {
        if self.failed.is_none() {
            match self.file.write_all(&self.out) {
                Ok(()) => {
                    self.spilled += self.out.len() as u64;
                    self.writeback.wrote(self.good_len + self.spilled);
                }
                Err(e) => self.failed = Some(e),
            }
        }
        self.out.clear();
    }

    /// Hands the lines written since the last flush to the operating system, whole: after a
    /// failure (a full disk) the file is cut back to its last good length, so no partial line
    /// is left to be glued to the next one, and those records count as not captured.
    pub fn flush(&mut self) -> io::Result<()> {
        self.spill();
        let result = match self.failed.take() {
            None => {
                self.good_len += self.spilled;
                self.lines += self.pending;
                Ok(())
            }
            Some(e) => {
                if self.file.metadata().is_ok_and(|m| m.is_file()) {
                    let _ = self.file.set_len(self.good_len);
                }
                self.writeback.cut(self.good_len);
                Err(e)
            }
        };
        self.spilled = 0;
        self.pending = 0;
        if self.out.capacity() > 2 * SPILL {
            self.out = Vec::with_capacity(SPILL);
        }
        result
    }
}

/// Whether a record that parsed as JSON can be embedded as it is: under `SPILL`, opening and
/// closing with a bracket (so that reading it back gives the same bytes), printable ASCII (no
/// byte can drive a terminal that shows the file).
fn embeddable(json: &[u8]) -> bool {
    json.len() < SPILL
        && matches!(json.first(), Some(b'{' | b'['))
        && matches!(json.last(), Some(b'}' | b']'))
        && printable_ascii(json)
}

/// Every byte in `0x20..0x7f`.
fn printable_ascii(s: &[u8]) -> bool {
    crate::jsontext::bytes_within(s, 0x20, 0x7e)
}

/// Writes into the capture's buffer, handing it over every `SPILL` bytes, so that even one
/// huge record is never held whole a second time.
struct Chunked<'a>(&'a mut Capture);

impl Write for Chunked<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.out.extend_from_slice(buf);
        if self.0.out.len() >= SPILL {
            self.0.spill();
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

/// A record read back from a capture.
#[derive(Debug, PartialEq, Eq)]
pub struct Captured {
    pub received_ms: i64,
    pub source: String,
    /// The raw record, or the length of a record that was too long to keep.
    pub raw: Result<Vec<u8>, u64>,
}

#[derive(Deserialize)]
struct Line {
    received: i64,
    source: String,
    raw: Option<String>,
    json: Option<Box<serde_json::value::RawValue>>,
    raw_b64: Option<String>,
    too_long: Option<u64>,
}

/// Whether `line` is a capture line (cheap: a prefix test).
pub fn is_capture_line(line: &[u8]) -> bool {
    line.starts_with(MARK)
}

/// Reads a capture line back; `None` if it is not one (or is damaged).
pub fn unwrap(line: &[u8]) -> Option<Captured> {
    if !is_capture_line(line) {
        return None;
    }
    let l: Line = serde_json::from_slice(line).ok()?;
    let raw = match (l.raw, l.json, l.raw_b64, l.too_long) {
        (Some(text), None, _, _) => Ok(text.into_bytes()),
        (None, Some(json), _, _) => Ok(json.get().as_bytes().to_vec()),
        (None, None, Some(b64), _) => {
            Ok(base64::engine::general_purpose::STANDARD.decode(b64).ok()?)
        }
        (None, None, None, Some(len)) => Err(len),
        _ => return None,
    };
    Some(Captured {
        received_ms: l.received,
        source: l.source,
        raw,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_ascii_is_exactly_the_bytes_from_space_to_tilde() {
        for b in 0..=255u8 {
            for at in [0, 63, 64, 100] {
                let mut s = vec![b'a'; 130];
                s[at] = b;
                assert_eq!(
                    printable_ascii(&s),
                    (0x20..0x7f).contains(&b),
                    "{b:#x} at {at}"
                );
            }
        }
        assert!(printable_ascii(b""));
    }

    #[test]
    fn parsed_records_are_embedded_verbatim_only_when_that_is_exact_and_printable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cap.ndjson");
        let mut c = Capture::open(&path).unwrap();
        let records: [&[u8]; 6] = [
            b"{\"a\":\"x\\\"y\",\"b\":[1,2.5e3,null]}",
            b"[{\"id\":\"e1\"}]",
            b"  {\"a\":1} ",
            b"{\"a\":\"\x7f\"}",
            b"{\"a\":\"\xc3\xa9\"}",
            b"{\"a\":\t1}",
        ];
        for (i, r) in records.iter().enumerate() {
            c.write_parsed(i as i64, "l", None, r).unwrap();
        }
        c.flush().unwrap();
        let text = std::fs::read(&path).unwrap();
        let lines: Vec<&[u8]> = text
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        for (line, r) in lines.iter().zip(records) {
            serde_json::from_slice::<serde_json::Value>(line).unwrap();
            assert_eq!(unwrap(line).unwrap().raw, Ok(r.to_vec()));
        }
        let embedded: Vec<bool> = lines
            .iter()
            .map(|l| String::from_utf8_lossy(l).contains(",\"json\":"))
            .collect();
        assert_eq!(embedded, [true, true, false, false, false, false]);
        assert!(!text.contains(&0x7f), "DEL is escaped, not written raw");
    }

    #[test]
    fn regression_a_hostile_label_is_escaped_in_the_capture() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cap.ndjson");
        let mut c = Capture::open(&path).unwrap();
        let label = "evil\u{9b}2J\u{7f}\u{202e}";
        c.write_parsed(1, label, None, b"{}").unwrap();
        c.write(2, label, Ok(b"x")).unwrap();
        c.flush().unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.is_ascii(), "{text}");
        for line in text.lines() {
            assert_eq!(unwrap(line.as_bytes()).unwrap().source, label);
        }
    }

    #[test]
    fn records_of_sources_in_turn_keep_their_own_labels() {
        // The quoted label is kept from line to line: it must follow the label.
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cap.ndjson");
        let mut c = Capture::open(&path).unwrap();
        let labels = [
            "tcp-listen://a:1",
            "tcp-listen://a:1",
            "h\"x",
            "",
            "tcp-listen://a:1",
        ];
        for (i, label) in labels.iter().enumerate() {
            c.write_parsed(i as i64, label, None, b"{}").unwrap();
            c.write(i as i64, label, Ok(b"x")).unwrap();
        }
        c.flush().unwrap();
        let text = std::fs::read(&path).unwrap();
        let sources: Vec<String> = text
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| unwrap(l).unwrap().source)
            .collect();
        let want: Vec<String> = labels
            .iter()
            .flat_map(|l| [l.to_string(), l.to_string()])
            .collect();
        assert_eq!(sources, want);
    }

    #[test]
    fn round_trips_text_bytes_and_oversized_records() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cap.ndjson");
        let mut c = Capture::open(&path).unwrap();
        c.write(1, "tcp://a:1", Ok(b"{\"a\":\"\\u001b\"}")).unwrap();
        c.write(2, "udp://b:2", Ok(b"\xff\xfe")).unwrap();
        c.write(4, "h", Ok("x\u{9b}31m\u{202e}".as_bytes()))
            .unwrap();
        c.write(3, "x\"y", Err(99)).unwrap();
        c.flush().unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        let text = std::fs::read(&path).unwrap();
        let back: Vec<_> = text
            .split(|b| *b == b'\n')
            .filter(|l| !l.is_empty())
            .map(|l| unwrap(l).unwrap())
            .collect();
        assert_eq!(
            back[0],
            Captured {
                received_ms: 1,
                source: "tcp://a:1".into(),
                raw: Ok(b"{\"a\":\"\\u001b\"}".to_vec())
            }
        );
        assert_eq!(back[1].raw, Ok(b"\xff\xfe".to_vec()));
        assert_eq!(back[2].raw, Ok("x\u{9b}31m\u{202e}".as_bytes().to_vec()));
        assert!(
            !String::from_utf8_lossy(&text).contains('\u{9b}'),
            "no raw C1 control in the capture file"
        );
        assert_eq!(
            back[3],
            Captured {
                received_ms: 3,
                source: "x\"y".into(),
                raw: Err(99)
            }
        );
        assert!(unwrap(b"{\"data_set_id\":\"x\"}").is_none());
        assert!(unwrap(b"{\"_capture\":1,\"received\":\"no\"}").is_none());
    }
}
