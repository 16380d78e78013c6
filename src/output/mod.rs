//! Renderings of the engine's reports for the headless commands: NDJSON per event, a JSON
//! document, JUnit XML and a text summary. Everything payload-derived shown as text goes
//! through `safe`.

pub mod json;
pub mod junit;
pub mod line;
pub mod ndjson;
pub mod origins;
pub mod pretty;
pub mod safe;
pub mod text;

use crate::engine::aggregate::Aggregates;
use std::time::Duration;

/// What a summary needs besides the aggregates.
pub struct Summary<'a> {
    pub agg: &'a Aggregates,
    pub inputs: &'a [String],
    pub elapsed: Duration,
    pub bytes: u64,
    pub dedup_keys: usize,
    /// With `--filter`: the filter and how many events matched it.
    pub filter: Option<(&'a str, u64)>,
    /// Things to say once about the inputs (an old file).
    pub notes: Vec<String>,
    /// Inputs (or parts of them) that could not be read: `PATH: reason`.
    pub errors: &'a [String],
}

/// Whether `e` is, somewhere down its chain, a write to a reader that went away (`| head`).
pub fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain()
        .filter_map(|c| c.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

/// `HH:MM:SS.mmm` of a unix millisecond time, in UTC.
pub fn time_of(ms: i64) -> String {
    let day_ms = ms.rem_euclid(86_400_000);
    let (h, m, s, milli) = (
        day_ms / 3_600_000,
        day_ms / 60_000 % 60,
        day_ms / 1000 % 60,
        day_ms % 1000,
    );
    format!("{h:02}:{m:02}:{s:02}.{milli:03}")
}

/// `1234567` → `1,234,567`.
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Share of `part` in `whole`, as a percentage (0 when `whole` is 0).
pub fn pct(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 * 100.0 / whole as f64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_numbers() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert!((pct(1, 4) - 25.0).abs() < 1e-9);
        assert!(pct(1, 0).abs() < 1e-9);
    }
}
