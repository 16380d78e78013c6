//! ecapi-scope: inspect and debug streams of IAB Tech Lab ECAPI 1.0 events.
//!
//! `ecapi` is the spec as code and `engine` judges records with it; `check`, `gen` and
//! `output` are the headless commands on top; `ingest` and `live` run sources. Only `app` (the
//! TUI's state machine) and `tui` (its drawing) hold terminal or UI types.

pub mod check;
pub mod cli;
pub mod config;
pub mod ecapi;
pub mod engine;
pub mod fasthash;
pub mod filter;
pub mod gen;
pub mod ingest;
pub mod jsontext;
pub mod live;
pub mod merge;
pub mod output;
pub mod replay;
pub mod serve;
pub mod watch;

pub mod app;
pub mod tui;
