//! The per-event NDJSON contract (DESIGN §6): one object per event, in input order.
//! Written by hand onto the output buffer: this runs for every event of every check.

use crate::engine::report::{Duplicate, EventReport, Finding, Message};
use crate::ingest::Upstream;
use crate::jsontext::write_quoted;
use std::io::{self, Write};

/// What a record says besides the engine's report.
#[derive(Default)]
pub struct Extra<'a> {
    /// The input or source label.
    pub source: &'a str,
    /// Label of the source of a duplicate's first occurrence.
    pub first_source: Option<&'a str>,
    /// Receive time (unix ms), for live sources and captures.
    pub received_ms: Option<i64>,
    /// What the real endpoint answered, for proxied events.
    pub upstream: Option<&'a Upstream>,
    /// Where a Kafka record was in its topic.
    pub message: Option<&'a crate::ingest::MessageDetail>,
}

/// Writes one event's record followed by a newline.
pub fn write_event<W: Write>(w: &mut W, r: &EventReport, x: &Extra) -> io::Result<()> {
    write!(w, "{{\"line\":{},\"index\":", r.line)?;
    opt_num(w, r.index)?;
    write!(w, ",\"status\":\"{}\",\"event_type\":", r.status.name())?;
    opt_str(w, r.event_type)?;
    w.write_all(b",\"stage\":")?;
    opt_str(w, r.stage.map(crate::engine::stage::Stage::name))?;
    w.write_all(b",\"data_set_id\":")?;
    opt_str(w, r.data_set_id)?;
    w.write_all(b",\"id\":")?;
    opt_str(w, r.id)?;
    w.write_all(b",\"duplicate\":")?;
    write_duplicate(w, r.duplicate, x.first_source)?;
    w.write_all(b",\"findings\":")?;
    write_findings(w, r.findings)?;
    w.write_all(b",\"source\":")?;
    write_quoted(w, x.source)?;
    if let Some(ms) = x.received_ms {
        write!(w, ",\"received\":{ms}")?;
    }
    if let Some(u) = x.upstream {
        w.write_all(b",\"upstream\":{\"status\":")?;
        match u.status {
            Some(s) => write!(w, "{s}")?,
            None => w.write_all(b"null")?,
        }
        write!(w, ",\"latency_ms\":{},\"body\":", u.latency_ms)?;
        write_quoted(w, &u.body)?;
        w.write_all(b",\"error\":")?;
        opt_str(w, u.error.as_deref())?;
        w.write_all(b"}")?;
    }
    if let Some(m) = x.message {
        write_message(w, m)?;
    }
    w.write_all(b"}\n")
}

/// `,"kafka":{"topic","partition","offset","key","timestamp"}`: a key that is not UTF-8 is
/// given as `key_b64`.
pub fn write_message<W: Write>(w: &mut W, m: &crate::ingest::MessageDetail) -> io::Result<()> {
    use base64::Engine as _;
    w.write_all(b",\"kafka\":{\"topic\":")?;
    write_quoted(w, &m.topic)?;
    write!(w, ",\"partition\":{},\"offset\":{}", m.partition, m.offset)?;
    match m.key.as_deref().map(std::str::from_utf8) {
        None => w.write_all(b",\"key\":null")?,
        Some(Ok(text)) => {
            w.write_all(b",\"key\":")?;
            write_quoted(w, text)?;
        }
        Some(Err(_)) => {
            let key = m.key.as_deref().unwrap_or_default();
            let b64 = base64::engine::general_purpose::STANDARD.encode(key);
            write!(w, ",\"key\":null,\"key_b64\":\"{b64}\"")?;
        }
    }
    match m.timestamp_ms {
        Some(ms) => write!(w, ",\"timestamp\":{ms}}}"),
        None => w.write_all(b",\"timestamp\":null}"),
    }
}

/// A duplicate as the contract has it: `null` or `{kind, first_line, first_index
/// [, first_source][, paths]}`.
pub fn write_duplicate<W: Write>(
    w: &mut W,
    duplicate: Option<&Duplicate>,
    first_source: Option<&str>,
) -> io::Result<()> {
    let Some(d) = duplicate else {
        return w.write_all(b"null");
    };
    w.write_all(b"{\"kind\":\"")?;
    w.write_all(d.kind.name().as_bytes())?;
    w.write_all(b"\",\"first_line\":")?;
    w.write_all(itoa::Buffer::new().format(d.first_line).as_bytes())?;
    w.write_all(b",\"first_index\":")?;
    opt_num(w, d.first_index)?;
    if let Some(first) = first_source {
        w.write_all(b",\"first_source\":")?;
        write_quoted(w, first)?;
    }
    if d.paths_known && !d.paths.is_empty() {
        w.write_all(b",\"paths\":")?;
        w.write_all(crate::jsontext::escape_unsafe(&serde_json::to_string(&d.paths)?).as_bytes())?;
    }
    w.write_all(b"}")
}

/// Findings as the contract has them: `[{severity, code, path, value, message[, hint], spec}]`.
pub fn write_findings<W: Write>(w: &mut W, findings: &[Finding]) -> io::Result<()> {
    w.write_all(b"[")?;
    for (i, f) in findings.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        // Names of severities, codes and spec sections are plain ASCII words: written as
        // they are.
        w.write_all(b"{\"severity\":\"")?;
        w.write_all(f.severity().name().as_bytes())?;
        w.write_all(b"\",\"code\":\"")?;
        w.write_all(f.code.name().as_bytes())?;
        w.write_all(b"\",\"path\":")?;
        write_quoted(w, &f.path)?;
        w.write_all(b",\"value\":")?;
        w.write_all(f.value.as_deref().unwrap_or("null").as_bytes())?;
        w.write_all(b",\"message\":")?;
        write_finding_message(w, &f.message)?;
        if let Some(h) = &f.hint {
            w.write_all(b",\"hint\":")?;
            write_quoted(w, h)?;
        }
        w.write_all(b",\"spec\":\"")?;
        w.write_all(f.code.rule().spec.as_bytes())?;
        w.write_all(b"\"}")?;
    }
    w.write_all(b"]")
}

/// A finding's message as a JSON string; a duplicate's is written from its parts, with no
/// text made first (every resend a retrying sender makes carries one).
fn write_finding_message<W: Write>(w: &mut W, m: &Message) -> io::Result<()> {
    let Message::FirstAt { seen, line, index } = m else {
        return write_quoted(w, &m.text());
    };
    w.write_all(b"\"")?;
    seen.write(w, *line, *index)?;
    w.write_all(b"\"")
}

pub fn opt_str<W: Write>(w: &mut W, s: Option<&str>) -> io::Result<()> {
    match s {
        Some(s) => write_quoted(w, s),
        None => w.write_all(b"null"),
    }
}

pub fn opt_num<W: Write>(w: &mut W, n: Option<u32>) -> io::Result<()> {
    match n {
        Some(n) => w.write_all(itoa::Buffer::new().format(n).as_bytes()),
        None => w.write_all(b"null"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::report::Seen;

    #[test]
    fn a_duplicates_message_written_from_its_parts_is_its_text() {
        let cases = [
            (Seen::Resend, 1, None, "an exact resend of line 1"),
            (
                Seen::Resend,
                7,
                Some(0),
                "an exact resend of line 7 (event 0)",
            ),
            (
                Seen::OtherType,
                123_456_789_012,
                Some(4_000_000_000),
                "this id was used for another event_type at line 123456789012 (event 4000000000)",
            ),
            (
                Seen::Conflict,
                2,
                None,
                "same key as line 2, different content",
            ),
            (
                Seen::Conflict,
                9,
                Some(3),
                "same key as line 9 (event 3), different content",
            ),
        ];
        for (seen, line, index, text) in cases {
            let m = Message::FirstAt { seen, line, index };
            assert_eq!(m.text(), text);
            let mut written = Vec::new();
            write_finding_message(&mut written, &m).unwrap();
            let mut quoted = Vec::new();
            write_quoted(&mut quoted, text).unwrap();
            assert_eq!(
                String::from_utf8(written).unwrap(),
                String::from_utf8(quoted).unwrap()
            );
        }
    }
}
