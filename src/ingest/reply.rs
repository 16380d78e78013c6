//! The endpoint's answer, written by hand like the ndjson records (same shapes for findings and
//! duplicates), so that a request of 100,000 events costs one buffer, not a tree of values.

use super::EventResult;
use crate::output::ndjson::{opt_num, opt_str, write_duplicate, write_findings};
use std::io::{self, Write};

/// `"events":[{index, id, status, duplicate, findings}, …]`.
pub fn write_events<W: Write>(w: &mut W, events: &[EventResult]) -> io::Result<()> {
    w.write_all(b"\"events\":[")?;
    for (i, e) in events.iter().enumerate() {
        if i > 0 {
            w.write_all(b",")?;
        }
        w.write_all(b"{\"index\":")?;
        opt_num(w, e.index)?;
        w.write_all(b",\"id\":")?;
        opt_str(w, e.id.as_deref())?;
        write!(w, ",\"status\":\"{}\",\"duplicate\":", e.status.name())?;
        write_duplicate(w, e.duplicate.as_ref(), None)?;
        w.write_all(b",\"findings\":")?;
        write_findings(w, &e.findings)?;
        w.write_all(b"}")?;
    }
    w.write_all(b"]")
}
