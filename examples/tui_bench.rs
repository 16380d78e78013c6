//! Drives the real TUI in a pseudo-terminal under load, for `benches/tui.sh`: `gen --to tcp://`
//! at a fixed rate into a `tcp-listen://` source, then a burst of many events as fast as they
//! go. Reports events sent against those the UI counted (keeping up: no growing backlog),
//! frame drawing time p50/p99 from the binary's own `--frame-log` (overall and per view: the
//! views are switched every 2 s during the steady phase), and peak RSS.
//!
//! Usage: tui_bench BINARY [RATE] [SECONDS] [BURST_EVENTS]

use portable_pty::{native_pty_system, CommandBuilder, PtySize};
use std::io::{Read, Write};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn arg<T: std::str::FromStr>(n: usize, default: T) -> T {
    std::env::args()
        .nth(n)
        .and_then(|a| a.parse().ok())
        .unwrap_or(default)
}

fn peak_rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[u32], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    f64::from(sorted[i]) / 1000.0
}

/// Waits until the screen shows `events N` with N at least `want`; returns what it shows.
fn wait_events(screen: &Mutex<vt100::Parser>, want: u64, deadline: Duration) -> u64 {
    let start = Instant::now();
    let mut last = 0;
    while start.elapsed() < deadline {
        let text = screen
            .lock()
            .map(|s| s.screen().contents())
            .unwrap_or_default();
        if let Some(n) = text
            .split("events ")
            .nth(1)
            .and_then(|t| t.split_whitespace().next())
            .and_then(|n| n.replace(',', "").parse::<u64>().ok())
        {
            last = n;
            if n >= want {
                return n;
            }
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    last
}

fn gen(bin: &str, port: u16, count: u64, rate: Option<u64>) -> Duration {
    let mut cmd = Command::new(bin);
    cmd.args(["gen", "-n", &count.to_string(), "--seed", "7"]);
    cmd.args(["--invalid-rate", "0.1", "--duplicate-rate", "0.03"]);
    cmd.args(["--to", &format!("tcp://127.0.0.1:{port}")]);
    if let Some(r) = rate {
        cmd.args(["--rate", &r.to_string()]);
    }
    let start = Instant::now();
    let status = cmd.status().expect("gen runs");
    assert!(status.success(), "gen failed");
    start.elapsed()
}

fn main() {
    let bin: String = arg(1, "target/release/ecapi-scope".to_owned());
    let bin = std::fs::canonicalize(&bin)
        .map(|p| p.display().to_string())
        .unwrap_or(bin);
    let rate: u64 = arg(2, 50_000);
    let secs: u64 = arg(3, 30);
    let burst: u64 = arg(4, 10_000_000);
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port");
    let dir = std::env::temp_dir().join(format!("ecapi-tui-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let log = dir.join("frames.log");
    let pty = native_pty_system()
        .openpty(PtySize {
            rows: 50,
            cols: 200,
            pixel_width: 0,
            pixel_height: 0,
        })
        .expect("a pty");
    let mut cmd = CommandBuilder::new(&bin);
    cmd.args([
        &format!("tcp-listen://127.0.0.1:{port}"),
        "--frame-log",
        log.to_str().unwrap_or("frames.log"),
    ]);
    cmd.env("TERM", "xterm-256color");
    let mut child = pty.slave.spawn_command(cmd).expect("the TUI starts");
    drop(pty.slave);
    let pid = child.process_id().unwrap_or(0);
    let screen = Arc::new(Mutex::new(vt100::Parser::new(50, 200, 0)));
    let mut reader = pty.master.try_clone_reader().expect("reader");
    let s = Arc::clone(&screen);
    std::thread::spawn(move || {
        let mut buf = vec![0u8; 65536];
        while let Ok(n) = reader.read(&mut buf) {
            if n == 0 {
                break;
            }
            if let Ok(mut p) = s.lock() {
                p.process(&buf[..n]);
            }
        }
    });
    let started = Instant::now();
    while !screen
        .lock()
        .is_ok_and(|p| p.screen().contents().contains("listening"))
    {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the TUI did not start"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let steady = rate * secs;
    // While the steady load runs, switch views every few seconds, so that each view's frames
    // are drawn under the same load (Live, Funnel, Problems, Duplicates, Sources, …).
    let writer = Arc::new(Mutex::new(pty.master.take_writer().expect("writer")));
    let switching = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let (w, on) = (Arc::clone(&writer), Arc::clone(&switching));
    let switcher = std::thread::spawn(move || {
        for key in ["2", "3", "4", "6", "1"].iter().cycle() {
            // The pace of a user switching views, not a wait for a condition.
            std::thread::sleep(Duration::from_secs(2));
            if !on.load(std::sync::atomic::Ordering::Relaxed) {
                break;
            }
            if let Ok(mut w) = w.lock() {
                let _ = w.write_all(key.as_bytes());
                let _ = w.flush();
            }
        }
    });
    let took = gen(&bin, port, steady, Some(rate));
    switching.store(false, std::sync::atomic::Ordering::Relaxed);
    let _ = switcher.join();
    if let Ok(mut w) = writer.lock() {
        let _ = w.write_all(b"1");
        let _ = w.flush();
    }
    let seen = wait_events(&screen, steady, Duration::from_secs(10));
    let rss_steady = peak_rss_kb(pid);
    println!(
        "steady: {steady} events sent at {rate}/s in {:.1} s; the UI counted {seen} within 10 s after ({:.2}%)",
        took.as_secs_f64(),
        seen as f64 * 100.0 / steady as f64
    );
    let took = gen(&bin, port, burst, None);
    let seen_burst = wait_events(&screen, steady + burst, Duration::from_secs(120));
    println!(
        "burst: {burst} more events sent as fast as possible in {:.1} s ({:.0}/s); the UI counted {} in all",
        took.as_secs_f64(),
        burst as f64 / took.as_secs_f64(),
        seen_burst
    );
    let rss = peak_rss_kb(pid);
    if let Ok(mut w) = writer.lock() {
        let _ = w.write_all(b"q");
        let _ = w.flush();
    }
    let _ = child.wait();
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let mut lines: Vec<&str> = text.lines().collect();
    let summary = lines.pop().unwrap_or("{}");
    let parsed: Vec<(u32, &str)> = lines
        .iter()
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            let micros = parts.next()?.parse().ok()?;
            Some((micros, parts.next().unwrap_or("live")))
        })
        .collect();
    for view in ["live", "funnel", "problems", "duplicates", "sources"] {
        let mut times: Vec<u32> = parsed
            .iter()
            .filter(|(_, v)| *v == view)
            .map(|(m, _)| *m)
            .collect();
        times.sort_unstable();
        println!(
            "frames in {view:<10}: {:>6} drawn, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            times.len(),
            percentile(&times, 0.5),
            percentile(&times, 0.99),
            percentile(&times, 1.0)
        );
    }
    let mut frames: Vec<u32> = parsed.iter().map(|(m, _)| *m).collect();
    frames.sort_unstable();
    println!(
        "frames: {} drawn, draw time p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms (goal: p99 < 16 ms)",
        frames.len(),
        percentile(&frames, 0.5),
        percentile(&frames, 0.99),
        percentile(&frames, 1.0)
    );
    println!(
        "peak RSS: {:.1} MB after the steady phase, {:.1} MB after {} events with the default window (goal: < 300 MB)",
        rss_steady as f64 / 1024.0,
        rss as f64 / 1024.0,
        steady + burst
    );
    println!("final counters: {summary}");
    let _ = std::fs::remove_dir_all(&dir);
}
