//! What `replay` shows as exchanges end: the counts, a progress bar (or a spinner, for live
//! sources) on a terminal, and with `--format ndjson` one line per request.

use super::prepare::Request;
use super::send::Exchange;
use super::summary::Summary;
use std::io::{self, IsTerminal, Write};

pub struct Report {
    pub summary: Summary,
    bar: Option<indicatif::ProgressBar>,
    out: io::BufWriter<io::Stdout>,
    ndjson: bool,
    error: Option<io::Error>,
}

impl Report {
    /// `total`: the events to send, when known (a bar; else a spinner).
    pub fn new(ndjson: bool, progress: bool, total: Option<u64>) -> Report {
        let bar = (progress && io::stderr().is_terminal()).then(|| {
            let (bar, template) = match total {
                Some(n) => (
                    indicatif::ProgressBar::new(n),
                    "{bar:30} {pos}/{len} events {per_sec} eta {eta}  {msg}",
                ),
                None => (
                    indicatif::ProgressBar::new_spinner(),
                    "{spinner} {pos} events {per_sec}  {msg}",
                ),
            };
            let style = indicatif::ProgressStyle::with_template(template)
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Report {
            summary: Summary::default(),
            bar,
            out: io::BufWriter::new(io::stdout()),
            ndjson,
            error: None,
        }
    }

    pub fn add(&mut self, x: &Exchange, r: &Request) {
        let s = &mut self.summary;
        s.add(x);
        if let Some(b) = &self.bar {
            b.inc(x.verdicts.len() as u64);
            b.set_message(format!(
                "accepted {} rejected {} failed {}",
                s.accepted, s.rejected, s.failed
            ));
        }
        if self.ndjson && self.error.is_none() {
            let line = super::line::line(x, r);
            if let Err(e) = writeln!(self.out, "{line}").and_then(|()| self.out.flush()) {
                self.error = Some(e);
            }
        }
    }

    /// The summary, once the bar is gone; the first write error, if any.
    pub fn finish(self, elapsed: std::time::Duration) -> io::Result<Summary> {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
        // A reader that went away stops the lines, not the replay.
        if let Some(e) = self.error.filter(|e| e.kind() != io::ErrorKind::BrokenPipe) {
            return Err(e);
        }
        let mut s = self.summary;
        s.elapsed = elapsed;
        Ok(s)
    }
}
