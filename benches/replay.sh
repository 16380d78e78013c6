#!/usr/bin/env bash
# Replay benchmark, all on loopback, in one run:
#  1. baseline: the same events POSTed one per request by `gen --to http://…` (no validation,
#     no retries) to `serve`, same concurrency;
#  2. `replay` of the same file to `serve`: events/s as a ratio to the baseline, p50/p99, and
#     every event accounted for (accepted + rejected + failed = sent = serve's count);
#  3. the same with `serve --fault 503:0.2 --fault reset:0.05 --retry-after 0`: every event is
#     still accepted exactly once (serve counts each once; no duplicates).
# Usage: benches/replay.sh [EVENTS] [CONCURRENCY]
#        BIN=/path/to/other/ecapi-scope benches/replay.sh   (another build)
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-100000}
conc=${2:-4}
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT
cargo build --release --quiet --bin ecapi-scope
bin=${BIN:-$PWD/target/release/ecapi-scope}
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$1"; }

# Starts `serve` with the given arguments; sets $pid and $addr.
start_serve() {
  "$bin" serve --listen 127.0.0.1:0 --stats "$@" > /dev/null 2> "$out/serve.err" &
  pid=$!
  for _ in $(seq 200); do
    addr=$(sed -n 's/.*: listening on \([0-9.:]*\).*/\1/p' "$out/serve.err" | head -1)
    [ -n "$addr" ] && return
    sleep 0.05
  done
  echo "serve did not start" >&2; cat "$out/serve.err" >&2; exit 1
}
stop_serve() { kill -INT "$pid" 2>/dev/null || true; wait "$pid" || true; stats=$(tail -1 "$out/serve.err"); }

"$bin" gen -n "$events" --seed 5 > "$out/events.ndjson"

echo "== 1. baseline: gen --to http://… (one POST per event, $conc in flight)"
start_serve
a=$(date +%s.%N)
"$bin" gen -n "$events" --seed 5 --to "http://$addr/" --concurrency "$conc" 2> /dev/null
b=$(date +%s.%N)
stop_serve
base=$(awk -v n="$events" -v a="$a" -v b="$b" 'BEGIN{printf "%.0f", n/(b-a)}')
echo "   $base events/s; serve counted $(field "$stats" "d['hub']['events']")"

echo "== 2. replay, $conc in flight, one event per request"
start_serve
"$bin" replay "$out/events.ndjson" --to "http://$addr/" --concurrency "$conc" --ids fresh \
  --format json --no-progress > "$out/r2.json" || true
stop_serve
r=$(cat "$out/r2.json")
rate=$(field "$r" "d['events_per_sec']")
echo "   $rate events/s = $(awk -v r="$rate" -v b="$base" 'BEGIN{printf "%.2f", r/b}')x the baseline; latency p50 $(field "$r" "d['latency_ms']['p50']") ms, p99 $(field "$r" "d['latency_ms']['p99']") ms"
echo "   sent $(field "$r" "d['sent']") = accepted $(field "$r" "d['accepted']") + rejected $(field "$r" "d['rejected']") + failed $(field "$r" "d['failed']"); held back $(field "$r" "d['held_invalid']"); serve counted $(field "$stats" "d['hub']['events']")"

echo "== 3. replay through serve --fault 503:0.2 --fault reset:0.05 --retry-after 0"
start_serve --fault 503:0.2 --fault reset:0.05 --retry-after 0 --seed 3
"$bin" replay "$out/events.ndjson" --to "http://$addr/" --concurrency "$conc" --ids fresh \
  --backoff 1ms --retries 20 --format json --no-progress > "$out/r3.json" || true
stop_serve
r=$(cat "$out/r3.json")
echo "   sent $(field "$r" "d['sent']"), accepted $(field "$r" "d['accepted']"), duplicates $(field "$r" "d['duplicates']"), failed $(field "$r" "d['failed']"); $(field "$r" "d['attempts']") attempts for $(field "$r" "d['requests']") requests; serve counted $(field "$stats" "d['hub']['events']"), refused $(field "$stats" "d['sources'][0]['refused']")"
echo "   $(field "$r" "d['events_per_sec']") events/s, p99 $(field "$r" "d['latency_ms']['p99']") ms"
