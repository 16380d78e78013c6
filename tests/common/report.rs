//! `check --format json` (and other JSON answers) as values, for tests that compare reports
//! (merge, kafka, regression).

#![allow(dead_code)]
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::ffi::OsStr;
use std::process::Command;

/// The report of `check --format json --fail-on never ARGS…` (which must exit 0).
pub fn check_report<I, S>(args: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut all: Vec<std::ffi::OsString> = [
        "check",
        "--format",
        "json",
        "--no-progress",
        "--fail-on",
        "never",
    ]
    .iter()
    .map(Into::into)
    .collect();
    all.extend(args.into_iter().map(|a| a.as_ref().to_owned()));
    json_of(all)
}

/// What `ecapi-scope ARGS…` printed, as one JSON value (it must exit 0).
pub fn json_of<I, S>(args: I) -> Value
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let out = Command::new(env!("CARGO_BIN_EXE_ecapi-scope"))
        .env_remove("ECAPI_SCOPE_CONFIG")
        .args(args)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// The ndjson records a command printed, one JSON value per line.
pub fn records(stdout: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}
