//! Replay: sending captured or fixed events to a receiver, as the headless `replay` command
//! and the TUI both do. Records are read (captures keep their labels), shaped into requests
//! (`prepare`), sent with retries (`send`) and each answer read event by event (`answer`);
//! `summary` counts the outcome. Only allow-listed targets are reachable (`target`). No UI
//! types here.

pub mod answer;
pub mod command;
pub mod curl;
pub mod edit;
pub mod line;
pub mod prepare;
pub mod report;
pub mod send;
pub mod stream;
pub mod summary;
pub mod target;

use crate::check::pipeline::{read_inputs, Step};
use crate::config::Settings;
use prepare::{Origin, Record};
use std::path::PathBuf;

/// What reading the inputs gave.
#[derive(Debug, Default)]
pub struct Loaded {
    pub records: Vec<Record>,
    /// Inputs (or parts of them) that could not be read.
    pub errors: Vec<String>,
    /// Records over the line limit.
    pub too_long: u64,
}

/// Reads every record of the inputs (NDJSON, gzip, captures, `-`), in order.
pub fn load(inputs: &[PathBuf], settings: &Settings, now_ms: i64) -> Loaded {
    let mut loaded = Loaded::default();
    let mut input = 0;
    let read = read_inputs(inputs, settings, now_ms, false, &mut |step| {
        match step {
            Step::Input { n, .. } => input = n,
            Step::Record {
                meta,
                text,
                too_long,
                label,
            } => {
                if too_long.is_some() {
                    loaded.too_long += 1;
                } else {
                    loaded.records.push(Record {
                        text: text.to_vec(),
                        origin: Origin {
                            input,
                            line: meta.line,
                            index: None,
                            label: label.map(str::to_owned),
                        },
                        received_ms: meta.received_ms,
                    });
                }
            }
            Step::Error(e) => loaded.errors.push(e),
            Step::Done { .. } => {}
        }
        Ok(())
    });
    if let Err(e) = read {
        loaded.errors.push(e.to_string());
    }
    loaded
}
