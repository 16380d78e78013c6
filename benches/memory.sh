#!/usr/bin/env bash
# Peak memory of the endpoint under large and concurrent request bodies.
#
#   benches/memory.sh                       # this build
#   BASELINE_BIN=/path/to/old/ecapi-scope benches/memory.sh   # and an older build, same run
#
# Each scenario starts `watch http-listen://… --capture` (ndjson to /dev/null), records its
# resident set once listening (idle), sends the requests with `gen --to`, then reads the peak
# resident set (VmHWM). Scenarios: one 22 MB POST (26,000 events, --max-body 32 MiB), three of
# them at once, and 64 concurrent ~1 MiB POSTs. The goal is under 150 MB in each.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
BIN=${BIN:-target/release/ecapi-scope}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# run BIN LABEL "watch args" "gen args": prints idle and peak RSS in MB
run() {
  local bin=$1 label=$2 wargs=$3 gargs=$4
  rm -f "$WORK/cap" "$WORK/err"
  # shellcheck disable=SC2086
  "$bin" watch --capture "$WORK/cap" $wargs http-listen://127.0.0.1:0/ >/dev/null 2>"$WORK/err" &
  local pid=$! addr=""
  for _ in $(seq 100); do
    addr=$(grep -o "listening on [0-9.:]*" "$WORK/err" | head -1 | cut -d' ' -f3 || true)
    [ -n "$addr" ] && break
    sleep 0.1
  done
  local idle peak
  idle=$(awk '/VmRSS/{print $2}' "/proc/$pid/status")
  # shellcheck disable=SC2086
  "$BIN" gen $gargs --seed 3 --to "http://$addr/" >/dev/null 2>&1 || true
  peak=$(awk '/VmHWM/{print $2}' "/proc/$pid/status")
  kill -INT "$pid"
  wait "$pid" || true
  awk -v l="$label" -v i="$idle" -v p="$peak" \
    'BEGIN{printf "%-44s idle %7.1f MB   peak %7.1f MB\n", l, i/1024, p/1024}'
}

scenarios() {
  local bin=$1 who=$2
  run "$bin" "$who: one 22 MB POST" "--max-body 33554432" "-n 26000 --batch-size 26000"
  run "$bin" "$who: three 22 MB POSTs at once" "--max-body 33554432" \
    "-n 78000 --batch-size 26000 --concurrency 3"
  run "$bin" "$who: 64 concurrent 1 MiB POSTs" "" "-n 73600 --batch-size 1150 --concurrency 64"
}

scenarios "$BIN" "this build"
if [ -n "${BASELINE_BIN:-}" ]; then
  scenarios "$BASELINE_BIN" "baseline"
fi
