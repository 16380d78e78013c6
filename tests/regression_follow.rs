//! Regressions of following a file: rewrites the follower did not notice. Named after the bug.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

mod support;

use ecapi_scope::ingest::IngestOptions;
use std::io::Write;
use std::time::Duration;
use support::{start, texts};

/// A poll long enough that the test's few writes all land within one.
fn slow_poll() -> IngestOptions {
    IngestOptions {
        poll: Duration::from_millis(500),
        ..IngestOptions::default()
    }
}

fn append(path: &std::path::Path, text: &str) {
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncation_followed_by_a_longer_rewrite_is_missed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    std::fs::write(&path, "old\n").unwrap();
    let mut h = start(&path.display().to_string(), slow_poll());
    assert_eq!(texts(&h.records(1).await), ["old"]);
    // `echo A > log; echo B >> log; echo C >> log`, longer than what was there.
    std::fs::write(&path, "A\n").unwrap();
    append(&path, "B\n");
    append(&path, "C\n");
    assert_eq!(texts(&h.records(3).await), ["A", "B", "C"]);
    let said = h.status.last_error().unwrap_or_default();
    assert!(said.contains("was truncated"), "{said}");
    h.handle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncate_then_rename_is_followed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    std::fs::write(&path, "one\n").unwrap();
    let mut h = start(&path.display().to_string(), slow_poll());
    assert_eq!(texts(&h.records(1).await), ["one"]);
    // The file is emptied, then replaced by a new one written aside.
    std::fs::write(&path, "").unwrap();
    let aside = dir.path().join("log.tmp");
    std::fs::write(&aside, "two\nthree\n").unwrap();
    std::fs::rename(&aside, &path).unwrap();
    assert_eq!(texts(&h.records(2).await), ["two", "three"]);
    // And the same once more, now with a rewrite in place of the same length.
    std::fs::write(&path, "four\nfive\n").unwrap();
    assert_eq!(texts(&h.records(2).await), ["four", "five"]);
    h.handle.abort();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn truncate_write_and_rename_away_within_one_poll_loses_lines() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("log");
    std::fs::write(&path, "a1\na2\na3\n").unwrap();
    let mut h = start(&path.display().to_string(), slow_poll());
    assert_eq!(texts(&h.records(3).await), ["a1", "a2", "a3"]);
    // Emptied, written again, renamed away and a new file made, all before the next look.
    std::fs::write(&path, "").unwrap();
    append(&path, "e1\ne2\ne3\ne4\ne5\ne6\n");
    std::fs::rename(&path, dir.path().join("log.1")).unwrap();
    std::fs::write(&path, "g1\n").unwrap();
    let got = h.records(7).await;
    assert_eq!(texts(&got), ["e1", "e2", "e3", "e4", "e5", "e6", "g1"]);
    assert_eq!(
        got[0].line, 1,
        "numbered from the start of the rewritten file"
    );
    h.handle.abort();
}
