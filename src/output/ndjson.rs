//! The per-event NDJSON contract (DESIGN §6): one object per event, in input order.
//! Written by hand onto the output buffer: this runs for every event of every check.

use crate::engine::report::EventReport;
use std::io::{self, Write};

/// Writes one event's record followed by a newline. `source` names the input; `received`
/// (unix ms) is included for live sources.
pub fn write_event<W: Write>(
    w: &mut W,
    r: &EventReport,
    source: &str,
    received: Option<i64>,
) -> io::Result<()> {
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
    match r.duplicate {
        None => w.write_all(b"null")?,
        Some(d) => {
            write!(
                w,
                "{{\"kind\":\"{}\",\"first_line\":{},\"first_index\":",
                d.kind.name(),
                d.first_line
            )?;
            opt_num(w, d.first_index)?;
            if d.paths_known && !d.paths.is_empty() {
                w.write_all(b",\"paths\":")?;
                serde_json::to_writer(&mut *w, &d.paths)?;
            }
            w.write_all(b"}")?;
        }
    }
    w.write_all(b",\"findings\":[")?;
    for (i, f) in r.findings.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        write!(
            w,
            "{{\"severity\":\"{}\",\"code\":\"{}\",\"path\":",
            f.severity().name(),
            f.code.name()
        )?;
        serde_json::to_writer(&mut *w, &f.path)?;
        w.write_all(b",\"value\":")?;
        w.write_all(f.value.as_deref().unwrap_or("null").as_bytes())?;
        w.write_all(b",\"message\":")?;
        serde_json::to_writer(&mut *w, &f.message)?;
        if let Some(h) = &f.hint {
            w.write_all(b",\"hint\":")?;
            serde_json::to_writer(&mut *w, h)?;
        }
        write!(w, ",\"spec\":\"{}\"}}", f.code.rule().spec)?;
    }
    w.write_all(b"],\"source\":")?;
    serde_json::to_writer(&mut *w, source)?;
    if let Some(ms) = received {
        write!(w, ",\"received\":{ms}")?;
    }
    w.write_all(b"}\n")
}

fn opt_str<W: Write>(w: &mut W, s: Option<&str>) -> io::Result<()> {
    match s {
        Some(s) => serde_json::to_writer(&mut *w, s).map_err(io::Error::from),
        None => w.write_all(b"null"),
    }
}

fn opt_num<W: Write>(w: &mut W, n: Option<u32>) -> io::Result<()> {
    match n {
        Some(n) => write!(w, "{n}"),
        None => w.write_all(b"null"),
    }
}
