#!/usr/bin/env bash
# Benchmark: `check` throughput and peak memory on 1,000,000 generated events (1,000,000
# distinct dedup keys), next to parse-only baselines (serde_json::Value, and sonic-rs's own
# Value, per line, same line splitting) measured in the same run on the same file, and the
# same file checked 8 days later (every event with one warning). Each command runs 3 times, in
# interleaved rounds; the best time is reported. Usage: benches/check.sh [EVENTS]
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

# Every command runs 3 times, in rounds (each round runs every command once), so that a slow
# spell of this shared machine falls on all of them alike rather than on one command's three
# runs; each command's best time and highest peak RSS are reported.
labels=(); commands=()
add() { labels+=("$1"); shift; commands+=("$(printf '%q ' "$@")"); }
add baseline-parse-only "$base" "$file"
add sonic-rs-parse-only "$base" --sonic "$file"
add check-1-thread "$bin" check -j 1 --no-progress --now 1795784000 "$file"
# The same events judged 8 days later: every one carries a timestamp_stale warning.
add check-1-thread-warnings "$bin" check -j 1 --no-progress --now 1796475200 "$file"
add check-1-thread-ndjson "$bin" check -j 1 --no-progress --now 1795784000 --format ndjson "$file"
add check-2-threads "$bin" check -j 2 --no-progress --now 1795784000 "$file"
add check-2-threads-ndjson "$bin" check -j 2 --no-progress --now 1795784000 --format ndjson "$file"
if [ -n "${BASELINE_BIN:-}" ]; then
  add older-check-1-thread "$BASELINE_BIN" check -j 1 --no-progress --now 1795784000 "$file"
  add older-check-1-thread-warnings "$BASELINE_BIN" check -j 1 --no-progress --now 1796475200 "$file"
  add older-check-2-threads "$BASELINE_BIN" check -j 2 --no-progress --now 1795784000 "$file"
fi

echo "file: $events events, $(awk -v b="$bytes" 'BEGIN{printf "%.1f MB", b/1e6}')"
for label in "${labels[@]}"; do rm -f "$out/$label.secs" "$out/$label.rss"; done
for _ in 1 2 3; do
  for i in "${!labels[@]}"; do
    label=${labels[$i]}
    eval "/usr/bin/time -f '%e %M' -o '$out/time' ${commands[$i]} > /dev/null"
    read -r secs kb < "$out/time"
    best=$(cat "$out/$label.secs" 2>/dev/null || echo "")
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then echo "$secs" > "$out/$label.secs"; fi
    rss=$(cat "$out/$label.rss" 2>/dev/null || echo 0)
    if [ "$kb" -gt "$rss" ]; then echo "$kb" > "$out/$label.rss"; fi
  done
done
for label in "${labels[@]}"; do
  awk -v l="$label" -v s="$(cat "$out/$label.secs")" -v n="$events" -v b="$bytes" -v k="$(cat "$out/$label.rss")" 'BEGIN{
    printf "%-34s %7.2f s %12.0f events/s %8.1f MB/s %8.1f MB peak RSS\n", l, s, n/s, b/s/1e6, k/1024 }'
done
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
