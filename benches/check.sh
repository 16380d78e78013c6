#!/usr/bin/env bash
# Benchmark: `check` throughput and peak memory on 1,000,000 generated events (1,000,000
# distinct dedup keys), next to parse-only baselines (serde_json::Value, and sonic-rs's own
# Value, per line, same line splitting) measured in the same run on the same file, and the
# same file checked 8 days later (every event with one warning). Each command runs 3 times; the best
# time is reported. Usage: benches/check.sh [EVENTS]
#        BASELINE_BIN=/path/to/older/ecapi-scope benches/check.sh   (that build's check too, in
#        the same run, and this build's events/s as a ratio to it)
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-1000000}
out=${BENCH_DIR:-$(mktemp -d)}
cargo build --release --quiet --bin ecapi-scope --example parse_baseline
bin=target/release/ecapi-scope
base=target/release/examples/parse_baseline
file="$out/bench.ndjson"
"$bin" gen -n "$events" --seed 1 --now 1795784000 -o "$file"
bytes=$(stat -c %s "$file")

measure() { # label, command...: best wall time and peak RSS of 3 runs
  local label=$1; shift
  local best="" rss=0
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %M" -o "$out/time" "$@" > /dev/null
    read -r secs kb < "$out/time"
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; fi
    if [ "$kb" -gt "$rss" ]; then rss=$kb; fi
  done
  awk -v l="$label" -v s="$best" -v n="$events" -v b="$bytes" -v k="$rss" 'BEGIN{
    printf "%-34s %7.2f s %12.0f events/s %8.1f MB/s %8.1f MB peak RSS\n", l, s, n/s, b/s/1e6, k/1024 }'
  echo "$best" > "$out/$label.secs"
}

echo "file: $events events, $(awk -v b="$bytes" 'BEGIN{printf "%.1f MB", b/1e6}')"
measure baseline-parse-only "$base" "$file"
measure sonic-rs-parse-only "$base" --sonic "$file"
measure check-1-thread "$bin" check -j 1 --no-progress --now 1795784000 "$file"
# The same events judged 8 days later: every one carries a timestamp_stale warning.
measure check-1-thread-warnings "$bin" check -j 1 --no-progress --now 1796475200 "$file"
measure check-1-thread-ndjson "$bin" check -j 1 --no-progress --now 1795784000 --format ndjson "$file"
measure check-2-threads "$bin" check -j 2 --no-progress --now 1795784000 "$file"
measure check-2-threads-ndjson "$bin" check -j 2 --no-progress --now 1795784000 --format ndjson "$file"
if [ -n "${BASELINE_BIN:-}" ]; then
  measure older-check-1-thread "$BASELINE_BIN" check -j 1 --no-progress --now 1795784000 "$file"
  measure older-check-1-thread-warnings "$BASELINE_BIN" check -j 1 --no-progress --now 1796475200 "$file"
  measure older-check-2-threads "$BASELINE_BIN" check -j 2 --no-progress --now 1795784000 "$file"
fi
ratio() { awk -v b="$(cat "$out/baseline-parse-only.secs")" -v c="$(cat "$out/$1.secs")" 'BEGIN{printf "%.0f%%", 100*b/c}'; }
echo "events/s relative to the parse-only baseline (one thread):"
echo "  sonic-rs Value, parse only: $(ratio sonic-rs-parse-only)"
echo "  check, 1 thread: $(ratio check-1-thread) (ndjson output: $(ratio check-1-thread-ndjson)); every event with a warning: $(ratio check-1-thread-warnings)"
echo "  check, 2 threads: $(ratio check-2-threads) (ndjson output: $(ratio check-2-threads-ndjson))"
if [ -n "${BASELINE_BIN:-}" ]; then
  vs() { awk -v b="$(cat "$out/older-$1.secs")" -v c="$(cat "$out/$1.secs")" 'BEGIN{printf "%.2fx", b/c}'; }
  echo "this build's events/s relative to $BASELINE_BIN: 1 thread $(vs check-1-thread), every event with a warning $(vs check-1-thread-warnings), 2 threads $(vs check-2-threads)"
fi
[ -n "${BENCH_DIR:-}" ] || rm -rf "$out"
