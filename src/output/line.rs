//! `watch --format text`: one line per event for people, as `kubectl logs` or mitmdump print —
//! time, source, data_set_id, event_type, id, status and the first finding — coloured only
//! when asked (a terminal without `NO_COLOR`), every payload-derived field made safe.

use super::safe::safe_short;
use crate::engine::report::{EventReport, Status};
use std::io::{self, Write};

const RESET: &str = "\x1b[0m";
const DIM: &str = "\x1b[2m";

fn colour(s: Status) -> &'static str {
    match s {
        Status::Ok => "\x1b[32m",
        Status::Warning => "\x1b[33m",
        Status::Error => "\x1b[31m",
        Status::Malformed => "\x1b[35m",
    }
}

fn mark(s: Status) -> &'static str {
    match s {
        Status::Ok => "✓ ok",
        Status::Warning => "! warning",
        Status::Error => "✗ error",
        Status::Malformed => "? malformed",
    }
}

/// A field padded to `width` characters (cut with an ellipsis past it).
fn field(w: &mut impl Write, text: &str, width: usize) -> io::Result<()> {
    let t = safe_short(text, width);
    write!(w, "{t:<width$} ")
}

/// The line for one event.
pub fn write_event(
    w: &mut impl Write,
    r: &EventReport,
    source: &str,
    received_ms: i64,
    color: bool,
) -> io::Result<()> {
    let (on, dim, off) = if color {
        (colour(r.status), DIM, RESET)
    } else {
        ("", "", "")
    };
    write!(w, "{dim}{}{off} ", super::time_of(received_ms))?;
    field(w, source, 24)?;
    field(w, r.data_set_id.unwrap_or("-"), 20)?;
    field(w, r.event_type.unwrap_or("-"), 20)?;
    field(w, r.id.unwrap_or("-"), 24)?;
    write!(w, "{on}{}{off}", mark(r.status))?;
    let mut shown = mark(r.status).chars().count();
    if let Some(d) = r.duplicate {
        let kind = match d.kind {
            crate::engine::report::DuplicateKind::Exact => "exact",
            crate::engine::report::DuplicateKind::Conflict => "conflict",
        };
        write!(w, " {dim}dup:{kind}{off}")?;
        shown += 5 + kind.len();
    }
    let worst = r
        .findings
        .iter()
        .filter(|f| f.severity() >= crate::ecapi::codes::Severity::Warning)
        .max_by_key(|f| f.severity())
        .or(r.findings.first());
    if let Some(f) = worst {
        let pad = 24usize.saturating_sub(shown);
        write!(
            w,
            "{:pad$} {} {}",
            "",
            f.code.name(),
            safe_short(&f.path, 60)
        )?;
        if r.findings.len() > 1 {
            write!(w, " {dim}(+{} more){off}", r.findings.len() - 1)?;
        }
    }
    writeln!(w)
}

/// A line that is not an event (a source's state, refused requests), in the same stream.
pub fn write_notice(
    w: &mut impl Write,
    at_ms: i64,
    source: &str,
    text: &str,
    color: bool,
) -> io::Result<()> {
    let (dim, off) = if color { (DIM, RESET) } else { ("", "") };
    writeln!(
        w,
        "{dim}{} {} ── {}{off}",
        super::time_of(at_ms),
        safe_short(source, 60),
        safe_short(text, 300)
    )
}
