#!/usr/bin/env bash
# Benchmark: the real TUI in a 200×50 pseudo-terminal on a tcp-listen:// source, fed by
# `gen --to tcp://` at 50,000 events/s for 30 s, then 10,000,000 events as fast as they go.
# Prints events sent vs counted by the UI, frame drawing time p50/p99 (from the binary's
# --frame-log) and peak RSS, all from one run.
# Usage: benches/tui.sh [RATE] [SECONDS] [BURST_EVENTS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin ecapi-scope --example tui_bench
target/release/examples/tui_bench target/release/ecapi-scope "${1:-50000}" "${2:-30}" "${3:-10000000}"
