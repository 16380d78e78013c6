//! The benchmark's baseline: split the same NDJSON into lines the same way `check` does and
//! parse each into a `serde_json::Value`, nothing else. Prints the events parsed.

use ecapi_scope::engine::lines::{Line, LineReader};
use std::io::Write;

fn main() -> std::io::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "-".into());
    let file = std::fs::File::open(&path)?;
    let mut reader = LineReader::new(file, 16 << 20);
    let (mut ok, mut bad) = (0u64, 0u64);
    while let Some(line) = reader.next_line()? {
        if let Line::Record { text, .. } = line {
            match serde_json::from_slice::<serde_json::Value>(text) {
                Ok(v) => ok += u64::from(!v.is_null()),
                Err(_) => bad += 1,
            }
        }
    }
    writeln!(std::io::stdout(), "parsed {ok} records, {bad} not JSON")
}
