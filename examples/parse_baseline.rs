//! The benchmark's baseline: split the same NDJSON into lines the same way `check` does and
//! parse each into a `serde_json::Value` (or, with `--sonic`, sonic-rs's `Value`), nothing
//! else. Prints the events parsed.

use ecapi_scope::engine::lines::{Line, LineReader};
use sonic_rs::JsonValueTrait as _;
use std::io::Write;

fn main() -> std::io::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // `--sonic`: sonic-rs building its own `Value` tree instead.
    let sonic = args.first().is_some_and(|a| a == "--sonic");
    if sonic {
        args.remove(0);
    }
    let path = args.first().cloned().unwrap_or_else(|| "-".into());
    let file = std::fs::File::open(&path)?;
    let mut reader = LineReader::new(file, 16 << 20);
    let (mut ok, mut bad) = (0u64, 0u64);
    while let Some(line) = reader.next_line()? {
        if let Line::Record { text, .. } = line {
            let parsed = if sonic {
                sonic_rs::from_slice::<sonic_rs::Value>(text)
                    .map(|v| !v.is_null())
                    .ok()
            } else {
                serde_json::from_slice::<serde_json::Value>(text)
                    .map(|v| !v.is_null())
                    .ok()
            };
            match parsed {
                Some(v) => ok += u64::from(v),
                None => bad += 1,
            }
        }
    }
    writeln!(std::io::stdout(), "parsed {ok} records, {bad} not JSON")
}
