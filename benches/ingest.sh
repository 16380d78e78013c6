#!/usr/bin/env bash
# Ingest benchmark, all on loopback, in one run:
#  1. single-event POSTs per second to the ECAPI endpoint with keep-alive (wrk, 32 connections,
#     latency percentiles), capture on;
#  2. a fixed number of POSTs (gen --to http://…), to prove nothing is lost: events accepted by
#     the endpoint (200s) = events counted by the engine = lines in the capture file;
#  3. TCP ingest of 1,000,000 events in events/s (generated to a file first, then streamed by
#     `cat` so that the sender costs next to nothing), with the same proof, again without the
#     capture, and `check -j 2` on the same file as the reference;
#  4. nginx (Debian) answering a fixed 200 to the same POSTs with wrk, the reference for 1.
# Usage: benches/ingest.sh [SECONDS] [TCP_EVENTS]   (installs wrk from Debian if missing)
#        BIN=/path/to/other/ecapi-scope benches/ingest.sh   (another build, e.g. a baseline)
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
tcp_events=${2:-1000000}
post_events=${POST_EVENTS:-100000}
out=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$out"' EXIT
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --bin ecapi-scope
bin=${BIN:-$PWD/target/release/ecapi-scope}

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

echo "== 1. single-event POSTs, keep-alive, ${secs}s, 32 connections (wrk)"
start_watch --capture "$out/cap1.ndjson" http-listen://127.0.0.1:0
wrk -t2 -c32 -d"${secs}s" --latency -s "$out/post.lua" "http://$addr/" > "$out/wrk.txt"
stop_watch
grep -E "Requests/sec|Latency  |50%|90%|99%|requests in|Non-2xx" "$out/wrk.txt" | sed 's/^/   /'
echo "   endpoint accepted $(field "$stats" "d['sources'][0]['records']"), engine counted $(field "$stats" "d['hub']['events']"), capture lines $(wc -l < "$out/cap1.ndjson")"

echo "== 2. $post_events POSTs, 32 in flight (gen --to http://…): nothing lost"
start_watch --capture "$out/cap2.ndjson" http-listen://127.0.0.1:0
start=$(date +%s.%N)
"$bin" gen -n "$post_events" --seed 2 --to "http://$addr/" --concurrency 32 --stats 2> "$out/gen2.json"
end=$(date +%s.%N)
stop_watch
ok=$(python3 -c "import json; print(json.load(open('$out/gen2.json'))['statuses'].get('200', 0))")
echo "   sent $post_events, answered 200: $ok, engine counted $(field "$stats" "d['hub']['events']"), capture lines $(wc -l < "$out/cap2.ndjson") ($(awk -v n="$post_events" -v a="$start" -v b="$end" 'BEGIN{printf "%.0f", n/(b-a)}') requests/s)"

echo "== 3. TCP ingest, $tcp_events events (generated first, then streamed with cat)"
"$bin" gen -n "$tcp_events" --seed 3 -o "$out/tcp.ndjson"
# The earlier sections' captures and the file just written are flushed first, so that their
# write-back is not counted against this capture (it measured 2x here on a busy disk).
sync
start_watch --capture "$out/cap3.ndjson" --max-events "$tcp_events" tcp-listen://127.0.0.1:0
start=$(date +%s.%N)
# The sender only copies bytes (bash's /dev/tcp): what is measured is ingest, not generation.
cat "$out/tcp.ndjson" > "/dev/tcp/${addr%:*}/${addr##*:}"
wait "$pid" || true
end=$(date +%s.%N)
stats=$(tail -1 "$out/watch.err")
tcp_rate=$(awk -v n="$tcp_events" -v a="$start" -v b="$end" 'BEGIN{printf "%.0f", n/(b-a)}')
echo "   $tcp_rate events/s ($(awk -v a="$start" -v b="$end" 'BEGIN{printf "%.2f", b-a}') s)"
echo "   sent $tcp_events, engine counted $(field "$stats" "d['hub']['events']"), capture lines $(wc -l < "$out/cap3.ndjson")"
# The same without the capture, to tell the pipeline's cost from the capture file's writes.
sync
start_watch --max-events "$tcp_events" tcp-listen://127.0.0.1:0
start=$(date +%s.%N)
cat "$out/tcp.ndjson" > "/dev/tcp/${addr%:*}/${addr##*:}"
wait "$pid" || true
end=$(date +%s.%N)
nocap_rate=$(awk -v n="$tcp_events" -v a="$start" -v b="$end" 'BEGIN{printf "%.0f", n/(b-a)}')
echo "   without the capture: $nocap_rate events/s"
# The reference for the same file, in the same run: check on both cores.
start=$(date +%s.%N)
"$bin" check -j 2 --no-progress "$out/tcp.ndjson" > /dev/null || true
end=$(date +%s.%N)
check_rate=$(awk -v n="$tcp_events" -v a="$start" -v b="$end" 'BEGIN{printf "%.0f", n/(b-a)}')
echo "   reference: check -j 2 on the same file: $check_rate events/s; TCP ingest = $(awk -v t="$tcp_rate" -v c="$check_rate" 'BEGIN{printf "%.2f", t/c}')x (without the capture: $(awk -v t="$nocap_rate" -v c="$check_rate" 'BEGIN{printf "%.2f", t/c}')x)"

echo "== 4. reference: nginx answering a fixed 200 to the same single-event POSTs (wrk, 32 connections, ${secs}s)"
if ! command -v nginx >/dev/null; then
  apt-get update -qq >/dev/null && apt-get install -y -qq nginx-light >/dev/null 2>&1 \
    || apt-get install -y -qq nginx >/dev/null 2>&1 || true
fi
if command -v nginx >/dev/null; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
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
    listen 127.0.0.1:$port;
    location / { return 200 '{"status":200}'; }
  }
}
NGINX
  nginx -c "$out/nginx/nginx.conf" -p "$out/nginx"
  wrk -t2 -c32 -d"${secs}s" --latency -s "$out/post.lua" "http://127.0.0.1:$port/" > "$out/wrk-nginx.txt"
  kill "$(cat "$out/nginx/nginx.pid")" 2>/dev/null || true
  grep -E "Requests/sec|99%" "$out/wrk-nginx.txt" | sed 's/^/   /'
  ours=$(awk '/Requests\/sec/{print $2}' "$out/wrk.txt")
  theirs=$(awk '/Requests\/sec/{print $2}' "$out/wrk-nginx.txt")
  echo "   the endpoint (section 1) = $(awk -v a="$ours" -v b="$theirs" 'BEGIN{printf "%.2f", a/b}')x nginx's requests/s"
else
  echo "   nginx could not be installed: no reference"
fi
