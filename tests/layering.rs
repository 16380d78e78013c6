//! The engine is a library with no UI types: only the TUI's own folders (`src/app`, `src/tui`)
//! and `main.rs` may use ratatui, crossterm or syntect.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a test failure

use std::path::Path;

fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

#[test]
fn ui_crates_stay_in_the_ui_folders() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    assert!(files.len() > 20, "found the sources");
    let mut offenders = Vec::new();
    for f in &files {
        let rel = f
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if rel.starts_with("app/") || rel.starts_with("tui/") || rel == "main.rs" {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            if ["ratatui", "crossterm", "syntect"]
                .iter()
                .any(|c| code.contains(&format!("{c}::")) || code.contains(&format!("use {c}")))
            {
                offenders.push(format!("src/{rel}:{}: {}", n + 1, line.trim()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "UI crates outside the UI:\n{}",
        offenders.join("\n")
    );
}

#[test]
fn the_check_itself_catches_an_import() {
    // The same test on a made-up line, so that it cannot pass by matching nothing.
    let line = "use ratatui::style::Style;";
    assert!(["ratatui", "crossterm", "syntect"]
        .iter()
        .any(|c| line.contains(&format!("{c}::"))));
}
