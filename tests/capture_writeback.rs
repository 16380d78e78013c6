//! A capture does not fill the page cache: what it wrote reaches the disk and leaves the
//! cache a window (8 MB) at a time while the capture goes on, and the rest when it closes.
//! Resident bytes are read with `fincore` (util-linux). The files are on the disk that holds
//! `target/`; where that file system keeps no pages to drop (a tmpfs) or a plain file does not
//! stay cached either, there is nothing to show and the test says so.

#![cfg(target_os = "linux")]
#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use ecapi_scope::ingest::capture::{self, Capture};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const MB: u64 = 1 << 20;

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

/// Waits until at most `most` bytes of `path` are cached; fails after a minute.
fn wait_cached_at_most(path: &Path, most: u64, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let cached = resident(path);
        if cached <= most {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{what}: {cached} bytes still cached after 60 s (at most {most} expected)"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Why the page cache cannot show the effect in `dir`, if it cannot.
fn cannot_show(dir: &Path) -> Option<String> {
    let fs = Command::new("stat")
        .args(["-f", "-c", "%T"])
        .arg(dir)
        .output()
        .unwrap();
    let fs = String::from_utf8_lossy(&fs.stdout).trim().to_string();
    if fs == "tmpfs" || fs == "ramfs" {
        return Some(format!("{} is on a {fs}", dir.display()));
    }
    let control = dir.join("control");
    std::fs::write(&control, vec![b'x'; (32 * MB) as usize]).unwrap();
    let cached = resident(&control);
    std::fs::remove_file(&control).unwrap();
    (cached < 30 * MB).then(|| format!("a plain 32 MB file has only {cached} bytes cached"))
}

#[test]
fn a_capture_leaves_the_page_cache_as_it_goes() {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
    if let Some(why) = cannot_show(dir.path()) {
        eprintln!("not shown here: {why}");
        return;
    }
    let path = dir.path().join("cap.ndjson");
    let mut capture = Capture::open(&path).unwrap();
    let record = format!("{{\"id\":\"{}\"}}", "x".repeat(1000));
    // 70 MiB in lines of about 1,085 bytes, flushed every 1,000 lines as the hub flushes its
    // batches: the last 8 MiB window ends at the 64th flush, and the 4 after it are left for
    // the close.
    for i in 0..68_000 {
        capture
            .write_parsed(i, "tcp-listen://127.0.0.1:1", None, record.as_bytes())
            .unwrap();
        if i % 1000 == 999 {
            capture.flush().unwrap();
        }
    }
    capture.flush().unwrap();
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(size > 68_000 * 1080, "{size}");
    // Open: the window being written stays, and the one the last flush completed until the
    // thread has dropped it.
    wait_cached_at_most(&path, 2 * 8 * MB + MB, "while open");
    drop(capture);
    wait_cached_at_most(&path, 64 << 10, "once closed");
    // The file is whole: every line is there, in order, readable back.
    let text = std::fs::read(&path).unwrap();
    let lines: Vec<&[u8]> = text
        .split(|b| *b == b'\n')
        .filter(|l| !l.is_empty())
        .collect();
    assert_eq!(lines.len(), 68_000);
    let last = capture::unwrap(lines[67_999]).unwrap();
    assert_eq!(
        (last.received_ms, last.raw),
        (67_999, Ok(record.into_bytes()))
    );
}
