//! Small text helpers for drawing: times, sparklines, values.

pub use crate::output::time_of;

/// The header's clock: `HH:MM:SS UTC`.
pub fn clock(ms: i64) -> String {
    let t = time_of(ms);
    format!("{} UTC ", &t[..8])
}

/// Block characters scaled to the largest value.
pub fn sparkline(values: &[u32]) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|v| {
            if max == 0 || *v == 0 {
                ' '
            } else {
                BARS[(u64::from(*v) * 7 / u64::from(max)) as usize]
            }
        })
        .collect()
}

/// `19.99 USD`, compact for large values.
pub fn money(value: Option<f64>, currency: Option<&str>) -> String {
    let Some(v) = value else {
        return String::new();
    };
    let num = if v.abs() >= 1e9 || (v != 0.0 && v.abs() < 0.01) {
        format!("{v:.3e}")
    } else {
        format!("{v:.2}")
    };
    match currency {
        Some(c) => format!("{num} {}", crate::output::safe::safe_short(c, 4)),
        None => num,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(time_of(1_764_600_000_123), "14:40:00.123");
        assert_eq!(clock(0), "00:00:00 UTC ");
        assert_eq!(sparkline(&[0, 1, 7, 14]), " ▁▄█");
        assert_eq!(money(Some(19.989), Some("USD")), "19.99 USD");
        assert_eq!(money(None, Some("USD")), "");
        assert_eq!(money(Some(2e12), None), "2.000e12");
    }
}
