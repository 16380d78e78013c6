//! The endpoint's answer, written by hand like the ndjson records (same shapes for findings and
//! duplicates), so that a request of 100,000 events costs one buffer, not a tree of values.
//! Each event's result is written as it is committed, straight from its report: nothing of
//! the event is copied to be written later.

use crate::engine::report::EventReport;
use crate::output::ndjson::{opt_num, opt_str, write_duplicate, write_findings};
use std::io::{self, Write};

/// `{index, id, status, duplicate, findings}`: one event's entry of `"events"`.
pub fn write_event<W: Write>(w: &mut W, r: &EventReport) -> io::Result<()> {
    w.write_all(b"{\"index\":")?;
    opt_num(w, r.index)?;
    w.write_all(b",\"id\":")?;
    opt_str(w, r.id)?;
    w.write_all(b",\"status\":\"")?;
    w.write_all(r.status.name().as_bytes())?;
    w.write_all(b"\",\"duplicate\":")?;
    write_duplicate(w, r.duplicate, None)?;
    w.write_all(b",\"findings\":")?;
    write_findings(w, r.findings)?;
    w.write_all(b"}")
}
