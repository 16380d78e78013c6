//! A capture does not fill the page cache: what it wrote reaches the disk and leaves the
//! cache, a window at a time, while the capture goes on. Resident bytes are read with
//! util-linux's `fincore`; the file is on the disk that holds `target/`, not a tmpfs (whose
//! pages cannot be dropped).

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use ecapi_scope::ingest::capture::Capture;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Bytes of `path` in the page cache.
fn resident(path: &Path) -> u64 {
    let out = Command::new("fincore")
        .args(["--bytes", "--noheadings", "--output", "RES"])
        .arg(path)
        .output()
        .expect("fincore runs (util-linux; Debian: util-linux-extra, which .ci/deps installs)");
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_capture_leaves_the_page_cache_as_it_goes() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    let path = dir.path().join("cap.ndjson");
    let mut capture = Capture::open(&path).unwrap();
    let record = format!("{{\"id\":\"{}\"}}", "x".repeat(1000));
    // 64 MB in lines of about 1 KB, flushed every 1,000 lines as the hub flushes its batches.
    for i in 0..64_000 {
        capture
            .write_parsed(i, "tcp-listen://127.0.0.1:1", None, record.as_bytes())
            .unwrap();
        if i % 1000 == 999 {
            capture.flush().unwrap();
        }
    }
    capture.flush().unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 64_000_000, "{size}");
    // What stays cached is at most the window being written and those still being synced.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let cached = resident(&path);
        if cached <= size / 2 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{cached} of {size} bytes still cached after 60 s"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // The file is whole: every line is there, in order, readable back.
    let text = std::fs::read(&path).unwrap();
    let lines: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 64_000);
    let last = ecapi_scope::ingest::capture::unwrap(lines[63_999]).unwrap();
    assert_eq!(
        (last.received_ms, last.raw),
        (63_999, Ok(record.into_bytes()))
    );
}
