#!/usr/bin/env bash
# Ingest benchmark, all on loopback, in one run:
#  1. single-event POSTs per second to the ECAPI endpoint with keep-alive (wrk, 32 connections,
#     latency percentiles), capture on, and nginx (Debian) answering a fixed 200 to the same
#     POSTs, the reference: 3 rounds of both, interleaved, so that a slow spell of this shared
#     machine falls on both alike; the best round of each is compared. Each round also runs
#     hyper alone answering a fixed 200 (examples/hyper_fixed200.rs: the stack the endpoint is
#     built on, without its work), and each run prints the server's CPU time per request
#     (user + system, from /proc), which moves less with the machine's slow spells than req/s,
#     and the whole machine's (the server, wrk and the kernel between them, from /proc/stat);
#  2. a fixed number of POSTs (gen --to http://…), to prove nothing is lost: events accepted by
#     the endpoint (200s) = events counted by the engine = lines in the capture file;
#  3. TCP ingest of 1,000,000 events in events/s (generated to a file first, then streamed by
#     `cat` so that the sender costs next to nothing), with the same proof, again without the
#     capture, and `check -j 2` on the same file as the reference: 3 interleaved rounds, best
#     of each.
# Usage: benches/ingest.sh [SECONDS] [TCP_EVENTS]   (installs wrk from Debian if missing)
#        BIN=/path/to/other/ecapi-scope benches/ingest.sh   (another build, e.g. a baseline)
#        BASELINE_BIN=/path/to/older/ecapi-scope benches/ingest.sh   (section 3 also streams to
#        that build, with the capture, in the same rounds, and prints this build's ratio to it)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
tcp_events=${2:-1000000}
post_events=${POST_EVENTS:-100000}
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --bin ecapi-scope --example hyper_fixed200
bin=${BIN:-$PWD/target/release/ecapi-scope}
hyper_bin=$PWD/target/release/examples/hyper_fixed200

# Starts `watch` with the given arguments; sets $pid and $addr (from its "listening on" line).
start_watch() {
  "$bin" watch --format none --stats "$@" 2> "$out/watch.err" &
  pid=$!
  for _ in $(seq 200); do
    addr=$(sed -n 's/.*: listening on \([0-9.:]*\).*/\1/p' "$out/watch.err" | head -1)
    [ -n "$addr" ] && return
    sleep 0.05
  done
  echo "watch did not start" >&2; cat "$out/watch.err" >&2; exit 1
}
# Not in a $(…) subshell: only this shell can wait for its child.
stop_watch() { kill -TERM "$pid" 2>/dev/null || true; wait "$pid" || true; stats=$(tail -1 "$out/watch.err"); }
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$1"; }

event=$("$bin" gen -n 1 --seed 9)
cat > "$out/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = [[$event]]
LUA

# nginx answering a fixed 200, for section 1's reference; started now, stopped at exit.
if ! command -v nginx >/dev/null; then
  apt-get update -qq >/dev/null && apt-get install -y -qq nginx-light >/dev/null 2>&1 \
    || apt-get install -y -qq nginx >/dev/null 2>&1 || true
fi
nginx_port=""
if command -v nginx >/dev/null; then
  nginx_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  mkdir -p "$out/nginx"
  cat > "$out/nginx/nginx.conf" <<NGINX
worker_processes 2;
pid $out/nginx/nginx.pid;
error_log $out/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $out/nginx;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { return 200 '{"status":200}'; }
  }
}
NGINX
  nginx -c "$out/nginx/nginx.conf" -p "$out/nginx"
  trap 'kill $(cat "$out/nginx/nginx.pid" 2>/dev/null) 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT
fi
rate() { awk '/Requests\/sec/{print $2}' "$1"; }
p99() { awk '$1=="99%"{print $2}' "$1"; }
# CPU time (user + system, clock ticks) the given processes used so far, all their threads.
ticks() { local t=0 p; for p in "$@"; do t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0))); done; echo "$t"; }
# nginx's worker processes (the children of its master).
nginx_workers() { awk -v m="$(cat "$out/nginx/nginx.pid")" '$4 == m {print $1}' /proc/[0-9]*/stat 2>/dev/null; }
# CPU time the whole machine was busy so far (user, nice, system, irq, softirq), in seconds:
# the run's process, its sender, and the kernel's write-back of what it wrote.
busy() { awk -v hz="$(getconf CLK_TCK)" '/^cpu /{printf "%.2f", ($2 + $3 + $4 + $7 + $8) / hz}' /proc/stat; }
since() { awk -v a="$1" -v b="$(busy)" 'BEGIN{printf "%.2f", b - a}'; }
# load URL FILE PID…: wrk against URL into FILE; prints the PIDs' CPU µs per request, and the
# whole machine's (the server, wrk, the kernel between them).
load() {
  local url=$1 file=$2; shift 2
  local t0 t1 m0; t0=$(ticks "$@"); m0=$(busy)
  wrk -t2 -c32 -d"${secs}s" --latency -s "$out/post.lua" "$url" > "$file"
  t1=$(ticks "$@")
  awk -v t=$((t1 - t0)) -v m="$(since "$m0")" -v hz="$(getconf CLK_TCK)" \
    '/requests in/{printf "%.1f us CPU/request (machine %.1f us)", t / hz * 1e6 / $1, m * 1e6 / $1}' "$file"
}

echo "== 1. single-event POSTs, keep-alive, ${secs}s, 32 connections (wrk), capture on; nginx answering a fixed 200 to the same POSTs as the reference; 3 interleaved rounds"
best_ours=0; best_nginx=0; best_hyper=0
for round in 1 2 3; do
  start_watch --capture "$out/cap1.ndjson" http-listen://127.0.0.1:0
  cpu=$(load "http://$addr/" "$out/wrk-$round.txt" "$pid")
  stop_watch
  line="   round $round: endpoint $(rate "$out/wrk-$round.txt") req/s, p99 $(p99 "$out/wrk-$round.txt"), ${cpu}"
  line="$line; accepted $(field "$stats" "d['sources'][0]['records']"), counted $(field "$stats" "d['hub']['events']"), captured $(wc -l < "$out/cap1.ndjson")"
  rm -f "$out/cap1.ndjson"
  if awk -v a="$(rate "$out/wrk-$round.txt")" -v b="$best_ours" 'BEGIN{exit !(a > b)}'; then
    best_ours=$(rate "$out/wrk-$round.txt"); cp "$out/wrk-$round.txt" "$out/wrk.txt"
  fi
  "$hyper_bin" 127.0.0.1:0 2> "$out/hyper.err" &
  hyper_pid=$!
  for _ in $(seq 200); do
    hyper_addr=$(sed -n 's/^listening on //p' "$out/hyper.err")
    [ -n "$hyper_addr" ] && break
    sleep 0.05
  done
  cpu=$(load "http://$hyper_addr/" "$out/wrk-hyper-$round.txt" "$hyper_pid")
  kill "$hyper_pid"; wait "$hyper_pid" 2>/dev/null || true
  line="$line; hyper alone $(rate "$out/wrk-hyper-$round.txt") req/s, ${cpu}"
  if awk -v a="$(rate "$out/wrk-hyper-$round.txt")" -v b="$best_hyper" 'BEGIN{exit !(a > b)}'; then
    best_hyper=$(rate "$out/wrk-hyper-$round.txt")
  fi
  if [ -n "$nginx_port" ]; then
    # shellcheck disable=SC2046 # one argument per worker
    cpu=$(load "http://127.0.0.1:$nginx_port/" "$out/wrk-nginx-$round.txt" $(nginx_workers))
    line="$line; nginx $(rate "$out/wrk-nginx-$round.txt") req/s, p99 $(p99 "$out/wrk-nginx-$round.txt"), ${cpu}"
    # The two runs of a round are seconds apart: their ratio is the least touched by the
    # machine's slow spells.
    line="$line; this round $(awk -v a="$(rate "$out/wrk-$round.txt")" -v b="$(rate "$out/wrk-nginx-$round.txt")" 'BEGIN{printf "%.2f", a/b}')x"
    if awk -v a="$(rate "$out/wrk-nginx-$round.txt")" -v b="$best_nginx" 'BEGIN{exit !(a > b)}'; then
      best_nginx=$(rate "$out/wrk-nginx-$round.txt")
    fi
  fi
  echo "$line"
done
echo "   the endpoint's best round:"
grep -E "Requests/sec|Latency  |50%|90%|99%|requests in|Non-2xx" "$out/wrk.txt" | sed 's/^/     /'
if [ -n "$nginx_port" ]; then
  echo "   best rounds: endpoint $best_ours req/s = $(awk -v a="$best_ours" -v b="$best_nginx" 'BEGIN{printf "%.2f", a/b}')x nginx's $best_nginx req/s"
  echo "   the stack alone: hyper's best round $best_hyper req/s = $(awk -v a="$best_hyper" -v b="$best_nginx" 'BEGIN{printf "%.2f", a/b}')x nginx's; the endpoint = $(awk -v a="$best_ours" -v b="$best_hyper" 'BEGIN{printf "%.2f", a/b}')x hyper alone"
else
  echo "   nginx could not be installed: no reference"
fi

echo "== 2. $post_events POSTs, 32 in flight (gen --to http://…): nothing lost"
start_watch --capture "$out/cap2.ndjson" http-listen://127.0.0.1:0
start=$(date +%s.%N)
"$bin" gen -n "$post_events" --seed 2 --to "http://$addr/" --concurrency 32 --stats 2> "$out/gen2.json"
end=$(date +%s.%N)
stop_watch
ok=$(python3 -c "import json; print(json.load(open('$out/gen2.json'))['statuses'].get('200', 0))")
echo "   sent $post_events, answered 200: $ok, engine counted $(field "$stats" "d['hub']['events']"), capture lines $(wc -l < "$out/cap2.ndjson") ($(awk -v n="$post_events" -v a="$start" -v b="$end" 'BEGIN{printf "%.0f", n/(b-a)}') requests/s)"

echo "== 3. TCP ingest, $tcp_events events (generated first, then streamed with cat); 3 interleaved rounds of: with the capture, without, check -j 2"
"$bin" gen -n "$tcp_events" --seed 3 -o "$out/tcp.ndjson"
# Streams the file to a fresh `watch` (extra arguments: its options); sets $secs_taken, $stats,
# $cpu_taken (machine CPU seconds).
tcp_run() {
  # Earlier runs' captures and the file just written are flushed first, so that their
  # write-back is not counted against this run (it measured 2x here on a busy disk).
  sync
  start_watch "$@" --max-events "$tcp_events" tcp-listen://127.0.0.1:0
  local start end cpu0
  cpu0=$(busy)
  start=$(date +%s.%N)
  # The sender only copies bytes (bash's /dev/tcp): what is measured is ingest, not generation.
  cat "$out/tcp.ndjson" > "/dev/tcp/${addr%:*}/${addr##*:}"
  wait "$pid" || true
  end=$(date +%s.%N)
  cpu_taken=$(since "$cpu0")
  stats=$(tail -1 "$out/watch.err")
  secs_taken=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')
}
best() { awk -v a="$1" -v b="$2" 'BEGIN{print (b == "" || a < b) ? a : b}'; }
cap_best=""; nocap_best=""; check_best=""; cap_cpu_best=""; check_cpu_best=""
for round in 1 2 3; do
  rm -f "$out/cap3.ndjson"
  tcp_run --capture "$out/cap3.ndjson"
  cap_secs=$secs_taken; cap_cpu=$cpu_taken
  proof="sent $tcp_events, counted $(field "$stats" "d['hub']['events']"), captured $(wc -l < "$out/cap3.ndjson")"
  rm -f "$out/cap3.ndjson"
  older=""
  if [ -n "${BASELINE_BIN:-}" ]; then
    this_bin=$bin; bin=$BASELINE_BIN
    tcp_run --capture "$out/cap3.ndjson"
    bin=$this_bin
    older="; older build with the capture $secs_taken s, $cpu_taken CPU-s"
    older_best=$(best "$secs_taken" "${older_best:-}"); older_cpu_best=$(best "$cpu_taken" "${older_cpu_best:-}")
    rm -f "$out/cap3.ndjson"
  fi
  tcp_run
  nocap_secs=$secs_taken; nocap_cpu=$cpu_taken
  sync
  cpu0=$(busy)
  start=$(date +%s.%N)
  "$bin" check -j 2 --no-progress "$out/tcp.ndjson" > /dev/null || true
  end=$(date +%s.%N)
  check_cpu=$(since "$cpu0")
  check_secs=$(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.3f", b-a}')
  echo "   round $round: with the capture $cap_secs s, $cap_cpu CPU-s ($proof); without $nocap_secs s, $nocap_cpu CPU-s; check -j 2 $check_secs s, $check_cpu CPU-s$older"
  cap_best=$(best "$cap_secs" "$cap_best"); nocap_best=$(best "$nocap_secs" "$nocap_best"); check_best=$(best "$check_secs" "$check_best")
  cap_cpu_best=$(best "$cap_cpu" "$cap_cpu_best"); check_cpu_best=$(best "$check_cpu" "$check_cpu_best")
done
per_s() { awk -v n="$tcp_events" -v s="$1" 'BEGIN{printf "%.0f", n/s}'; }
echo "   best rounds: TCP ingest $(per_s "$cap_best") events/s with the capture, $(per_s "$nocap_best") without; check -j 2 on the same file $(per_s "$check_best") events/s"
echo "   TCP ingest = $(awk -v t="$cap_best" -v c="$check_best" 'BEGIN{printf "%.2f", c/t}')x check -j 2 (without the capture: $(awk -v t="$nocap_best" -v c="$check_best" 'BEGIN{printf "%.2f", c/t}')x)"
if [ -n "${BASELINE_BIN:-}" ]; then
  echo "   this build's TCP ingest with the capture relative to $BASELINE_BIN (best rounds): $(awk -v o="$older_best" -v t="$cap_best" 'BEGIN{printf "%.2f", o/t}')x the speed, $(awk -v o="$older_cpu_best" -v t="$cap_cpu_best" 'BEGIN{printf "%.2f", t/o}')x the machine CPU"
fi
# What the machine's cores allow: ingest cannot take less than its CPU seconds over the cores.
cores=$(nproc)
echo "   machine CPU, least of the rounds: TCP ingest with the capture $cap_cpu_best s, check -j 2 $check_cpu_best s; with all $cores cores busy, TCP ingest could reach at most $(awk -v c="$check_best" -v n="$cores" -v t="$cap_cpu_best" 'BEGIN{printf "%.2f", c*n/t}')x check -j 2 here"
