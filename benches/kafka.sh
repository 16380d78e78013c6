#!/usr/bin/env bash
# Kafka consumption benchmark, all on loopback, in one run. The same events (gen with one seed
# and one --now are byte-identical) go
#  1. to a 4-partition topic of a local tansu broker (gen --to kafka://…, keyed data_set_id:id),
#     and to a file;
#  2. consumed from the broker by `watch kafka://…?from=earliest&until=end` with the capture on
#     (librdkafka's fetch wait, then a short one), then by `check kafka://…` (the bounded
#     report), each with the group join and the CPU seconds of ecapi-scope and of the broker;
#  3. streamed from the file over TCP to `watch tcp-listen://…` with the capture on, and read
#     by `check` from the file: the references, in the same run.
# Every line prints events/s; the ratios are Kafka to TCP ingest and `check kafka://` to
# `check FILE`. Each run proves its count: events produced = counted = capture lines.
# Usage: benches/kafka.sh [EVENTS]   (default 200000; installs tansu through .ci/deps if missing)
#        BIN=/path/to/other/ecapi-scope benches/kafka.sh   (another build, e.g. a baseline)
set -euo pipefail
cd "$(dirname "$0")/.."
events=${1:-200000}
out=$(mktemp -d)
broker_pid=""
cleanup() {
  kill $(jobs -p) 2>/dev/null || true
  # The broker is waited for, so that it is not still writing its database when it goes.
  if [ -n "$broker_pid" ]; then kill "$broker_pid" 2>/dev/null || true; wait "$broker_pid" 2>/dev/null || true; fi
  rm -rf "$out"
}
trap cleanup EXIT
bash .ci/deps
tansu=${ECAPI_SCOPE_TANSU:-$(command -v tansu || echo "${CARGO_HOME:-$HOME/.cargo}/bin/tansu")}
[ -n "${BIN:-}" ] || cargo build --release --quiet --bin ecapi-scope
bin=${BIN:-$PWD/target/release/ecapi-scope}
# Every count is a proof: a mismatch ends the benchmark with an error, not a figure.
same() {
  [ "$2" = "$3" ] && [ "$3" = "$4" ] && return
  echo "FAILED: $1: sent $2, counted $3, captured $4" >&2
  exit 1
}
now=$(date +%s)
rate() { awk -v n="$1" -v a="$2" -v b="$3" 'BEGIN{printf "%.0f", n/(b-a)}'; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", b-a}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
# Runs a command (stdout to ERR.out, stderr to ERR); sets $wall, $cpu (its user+sys seconds)
# and $broker_cpu (what the broker used meanwhile, from /proc).
broker_ticks() { awk '{print $14+$15}' "/proc/$broker_pid/stat"; }
timed() {
  local err=$1 t0 times
  shift
  t0=$(broker_ticks)
  times=$( { TIMEFORMAT='%R %U %S'; time "$@" > "$err.out" 2> "$err" || echo "exit $?" >> "$err.status"; } 2>&1 )
  if [ -s "$err.status" ]; then
    echo "FAILED ($(cat "$err.status")): $*" >&2
    tail -5 "$err" >&2
    exit 1
  fi
  wall=$(echo "$times" | awk '{print $1}')
  cpu=$(echo "$times" | awk '{printf "%.2f", $2+$3}')
  broker_cpu=$(awk -v a="$t0" -v b="$(broker_ticks)" -v hz="$(getconf CLK_TCK)" 'BEGIN{printf "%.2f", (b-a)/hz}')
}
field() { python3 -c "import json,sys; d=json.loads(sys.argv[1]); print($2)" "$1"; }

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
broker="127.0.0.1:$port"
# tansu takes the SQLite path relative to its working directory.
(cd "$out" && exec "$tansu" broker --listener-url "tcp://$broker" --advertised-listener-url "tcp://$broker" \
  --storage-engine sqlite://broker.db > broker.log 2>&1) &
broker_pid=$!
for _ in $(seq 200); do
  (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
  sleep 0.05
done
"$tansu" topic create --broker "tcp://$broker" --partitions 4 events > /dev/null

echo "== 1. $events events to a 4-partition topic and to a file (same seed, same --now)"
"$bin" gen -n "$events" --seed 7 --now "$now" -o "$out/events.ndjson"
lines=$(wc -l < "$out/events.ndjson")
start=$(date +%s.%N)
"$bin" gen -n "$events" --seed 7 --now "$now" --to "kafka://$broker/events"
end=$(date +%s.%N)
echo "   produced $lines messages in $(secs "$start" "$end") s: $(rate "$lines" "$start" "$end") messages/s"

echo "== 2. consumed from the broker"
# tansu holds every fetch for fetch.wait.max.ms (librdkafka's default: 500) even when it has
# records; a real Kafka broker answers as soon as it has fetch.min.bytes. Both are shown.
"$tansu" topic create --broker "tcp://$broker" --partitions 4 one > /dev/null
"$bin" gen -n 1 --seed 1 --to "kafka://$broker/one"
timed "$out/join.err" "$bin" check --fail-on never "kafka://$broker/one?group=bench-join"
echo "   joining the group and reading a topic of one event: $wall s (the fixed cost in every line below)"
for wait in default 10; do
  props=()
  [ "$wait" = default ] || props=(-X "fetch.wait.max.ms=$wait")
  rm -f "$out/cap-kafka.ndjson"
  timed "$out/watch-kafka.err" "$bin" watch --format none --stats --capture "$out/cap-kafka.ndjson" "${props[@]}" \
    "kafka://$broker/events?group=bench-watch-$wait&from=earliest&until=end"
  stats=$(tail -1 "$out/watch-kafka.err")
  kafka_rate=$(awk -v n="$lines" -v w="$wall" 'BEGIN{printf "%.0f", n/w}')
  echo "   watch, capture on, fetch.wait.max.ms=$wait: $kafka_rate events/s ($wall s; ecapi-scope used $cpu CPU-s, the broker $broker_cpu)"
  counted=$(field "$stats" "d['hub']['events']")
  captured=$(wc -l < "$out/cap-kafka.ndjson")
  echo "     produced $lines, engine counted $counted, capture lines $captured"
  same "watch kafka://" "$lines" "$counted" "$captured"
done
timed "$out/check-kafka.err" "$bin" check --format json --fail-on never -X fetch.wait.max.ms=10 \
  "kafka://$broker/events?group=bench-check&from=earliest"
mv "$out/check-kafka.err.out" "$out/check-kafka.json"
check_kafka_rate=$(awk -v n="$lines" -v w="$wall" 'BEGIN{printf "%.0f", n/w}')
echo "   check kafka://, fetch.wait.max.ms=10: $check_kafka_rate events/s ($wall s; ecapi-scope $cpu CPU-s, the broker $broker_cpu)"

echo "== 3. references: the same events over TCP, and check of the file"
"$bin" watch --format none --stats --capture "$out/cap-tcp.ndjson" --max-events "$lines" \
  --duration 5m tcp-listen://127.0.0.1:0 2> "$out/watch-tcp.err" &
pid=$!
addr=""
for _ in $(seq 200); do
  addr=$(sed -n 's/.*: listening on \([0-9.:]*\).*/\1/p' "$out/watch-tcp.err" | head -1)
  [ -n "$addr" ] && break
  sleep 0.05
done
[ -n "$addr" ] || { echo "watch did not start" >&2; cat "$out/watch-tcp.err" >&2; exit 1; }
start=$(date +%s.%N)
cat "$out/events.ndjson" > "/dev/tcp/${addr%:*}/${addr##*:}"
wait "$pid" || true
end=$(date +%s.%N)
stats=$(tail -1 "$out/watch-tcp.err")
tcp_rate=$(rate "$lines" "$start" "$end")
echo "   TCP ingest (capture on): $tcp_rate events/s ($(secs "$start" "$end") s)"
counted=$(field "$stats" "d['hub']['events']")
captured=$(wc -l < "$out/cap-tcp.ndjson")
echo "   sent $lines, engine counted $counted, capture lines $captured"
same "TCP ingest" "$lines" "$counted" "$captured"
start=$(date +%s.%N)
"$bin" check --format json --fail-on never "$out/events.ndjson" > "$out/check-file.json"
end=$(date +%s.%N)
check_file_rate=$(rate "$lines" "$start" "$end")
echo "   check FILE: $check_file_rate events/s ($(secs "$start" "$end") s)"
same=$(python3 - "$out/check-kafka.json" "$out/check-file.json" <<'PY'
import json, sys
def counts(r):
    c = {k: r[k] for k in ("events", "records", "status", "findings_by_code", "duplicates",
                           "event_types", "match_key_coverage")}
    c["funnel"] = {k: [v["events"], v["errors"], v["duplicates"]] for k, v in r["funnel"].items()}
    return c
a, b = (counts(json.load(open(p))) for p in sys.argv[1:3])
differ = [k for k in a if a[k] != b[k]]
print("NO, they differ in " + ", ".join(differ) if differ else "yes")
PY
)
echo "   check kafka:// and check FILE agree on counts, statuses, findings, duplicates and funnel: $same"
[ "$same" = yes ] || exit 1

echo "== ratios (same run)"
echo "   Kafka consumption (fetch.wait.max.ms=10) = $(ratio "$kafka_rate" "$tcp_rate")x TCP ingest (both watch, capture on)"
echo "   check kafka:// = $(ratio "$check_kafka_rate" "$check_file_rate")x check FILE"
