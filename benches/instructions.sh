#!/usr/bin/env bash
# Instruction counts (valgrind's callgrind), which do not move with this shared machine's slow
# spells as times do (2x from day to day here): the same binary and inputs give the same
# figures within a few percent, so a change of a few percent shows in one run. They count
# user-space instructions only: not the kernel's work (the sockets, the capture's writes), nor
# cache misses. Two sections, each with its reference measured in the same run:
#  1. single-event POSTs (the event of benches/ingest.sh) to the endpoint with the capture on,
#     under wrk (32 connections, SECONDS): instructions per request, against hyper alone
#     answering a fixed 200 (examples/hyper_fixed200.rs, the stack the endpoint is built on);
#     only the load is counted, not the start-up;
#  2. TCP ingest of EVENTS generated events with the capture on (streamed with cat, as
#     benches/ingest.sh does), against `check -j 2` on the same file: instructions in all.
# Usage: benches/instructions.sh [SECONDS] [EVENTS]   (installs valgrind and wrk if missing)
#        BIN=/path/to/other/ecapi-scope benches/instructions.sh   (another build)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
events=${2:-100000}
out=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$out"' EXIT
for tool in valgrind wrk; do
  command -v "$tool" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$tool" >/dev/null; }
done
cargo build --release --quiet --bin ecapi-scope --example hyper_fixed200
bin=${BIN:-$PWD/target/release/ecapi-scope}
hyper_bin=$PWD/target/release/examples/hyper_fixed200

# The total of a callgrind output file (its "summary:" or "totals:" line).
total() { awk '/^(summary|totals):/{print $2; exit}' "$1"; }
# Waits for PATTERN's first match (sed -n expression) in FILE; prints it.
wait_for() {
  local found=""
  for _ in $(seq 600); do
    found=$(sed -n "$2" "$1" | head -1)
    [ -n "$found" ] && { echo "$found"; return; }
    sleep 0.1
  done
  echo "no match for $2 in $1" >&2; cat "$1" >&2; exit 1
}

event=$("$bin" gen -n 1 --seed 9)
cat > "$out/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$event]]
LUA

# under_load NAME ADDRESS-PATTERN COMMAND…: starts COMMAND under callgrind with counting off,
# turns it on for wrk's run, dumps, stops it; sets $counted (instructions) and $requests. Not
# in a $(…) subshell: the EXIT trap must know the server's pid, and only this shell can wait
# for its child.
under_load() {
  local name=$1 pattern=$2; shift 2
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$out/$name.%p" "$@" \
    2> "$out/$name.err" &
  local pid=$!
  pids+=("$pid")
  local addr
  addr=$(wait_for "$out/$name.err" "$pattern")
  callgrind_control -i on "$pid" > /dev/null 2>&1
  wrk -t2 -c32 -d"${secs}s" -s "$out/post.lua" "http://$addr/" > "$out/$name.wrk"
  callgrind_control -d "$pid" > /dev/null 2>&1
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  requests=$(awk '/requests in/{print $1}' "$out/$name.wrk")
  # The dump made on request is the one with a part number; the file written at exit holds
  # only what came after it.
  local dump
  dump=$(ls "$out/$name".*.1)
  counted=$(total "$dump")
}

echo "== 1. single-event POSTs under wrk (${secs}s, 32 connections), counted under callgrind: user-space instructions per request"
under_load endpoint 's/.*: listening on \([0-9.:]*\).*/\1/p' \
  "$bin" watch --format none --capture "$out/cap.ndjson" http-listen://127.0.0.1:0
ours_ir=$counted; ours_req=$requests
under_load hyper 's/^listening on //p' "$hyper_bin" 127.0.0.1:0
hyper_ir=$counted; hyper_req=$requests
per() { awk -v i="$1" -v n="$2" 'BEGIN{printf "%.0f", i / n}'; }
ours=$(per "$ours_ir" "$ours_req"); hyper=$(per "$hyper_ir" "$hyper_req")
echo "   endpoint (capture on): $ours instructions/request over $ours_req requests; captured $(wc -l < "$out/cap.ndjson")"
echo "   hyper alone (fixed 200): $hyper instructions/request over $hyper_req requests"
echo "   the endpoint = $(awk -v a="$ours" -v b="$hyper" 'BEGIN{printf "%.2f", a / b}')x hyper alone; its own work: $((ours - hyper)) instructions/request"

echo "== 2. TCP ingest of $events events (capture on) vs check -j 2 on the same file: user-space instructions"
"$bin" gen -n "$events" --seed 3 -o "$out/tcp.ndjson"
valgrind --tool=callgrind --callgrind-out-file="$out/tcp.cg" \
  "$bin" watch --format none --stats --capture "$out/cap3.ndjson" --max-events "$events" \
  tcp-listen://127.0.0.1:0 2> "$out/tcp.err" &
tcp_pid=$!
pids+=("$tcp_pid")
addr=$(wait_for "$out/tcp.err" 's/.*: listening on \([0-9.:]*\).*/\1/p')
cat "$out/tcp.ndjson" > "/dev/tcp/${addr%:*}/${addr##*:}"
wait "$tcp_pid" || true
valgrind --tool=callgrind --callgrind-out-file="$out/check.cg" \
  "$bin" check -j 2 --no-progress "$out/tcp.ndjson" > /dev/null 2> "$out/check.err" || true
tcp=$(total "$out/tcp.cg"); check=$(total "$out/check.cg")
echo "   TCP ingest: $tcp instructions ($(per "$tcp" "$events") per event; captured $(wc -l < "$out/cap3.ndjson"))"
echo "   check -j 2: $check instructions ($(per "$check" "$events") per event)"
echo "   TCP ingest = $(awk -v a="$tcp" -v b="$check" 'BEGIN{printf "%.3f", a / b}')x check -j 2's instructions"
