#!/usr/bin/env bash
# Regenerates screenshots/*.png from the real binary on live demo traffic (replays go to a
# `serve` started here).
#
#   screenshots/take.sh
#
# The TUI runs in tmux (160×45) with `--demo` (gen posting realistic traffic to the embedded
# endpoint: invalid events, duplicates, malformed lines); each view is captured with its colours
# (`tmux capture-pane -e`), turned into HTML by `aha`, and rendered to PNG by headless Chromium.
# Missing tools are installed from Debian (tmux, aha, chromium, fonts-dejavu-core).
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=screenshots
COLS=160
ROWS=45

need=()
command -v tmux >/dev/null || need+=(tmux)
command -v aha >/dev/null || need+=(aha)
command -v chromium >/dev/null || need+=(chromium)
[ -f /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing: ${need[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi

cargo build --release --quiet
BIN=$PWD/target/release/ecapi-scope
WORK=$(mktemp -d)
SESSION="ecapi-shots-$$"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
RPORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# The replay target: serve, with some 503s so that retries show.
"$BIN" serve --listen "127.0.0.1:$RPORT" --fault 503:0.3 --retry-after 0 > /dev/null 2>&1 &
SERVE=$!
cleanup() {
  tmux kill-session -t "$SESSION" 2>/dev/null || true
  kill "$SERVE" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

tmux new-session -d -s "$SESSION" -x "$COLS" -y "$ROWS" \
  "NO_COLOR= TERM=xterm-256color $BIN --demo --demo-rate 250 --listen 127.0.0.1:$PORT --replay-to http://127.0.0.1:$RPORT/"

# Waits until the screen shows TEXT (a deadline detects a hang).
wait_for() {
  for _ in $(seq 300); do
    if tmux capture-pane -t "$SESSION" -p | grep -qF -- "$1"; then return 0; fi
    sleep 0.1
  done
  echo "timed out waiting for: $1" >&2
  tmux capture-pane -t "$SESSION" -p >&2
  exit 1
}

keys() { tmux send-keys -t "$SESSION" "$@"; sleep 0.6; }

shot() { # NAME: the current screen as screenshots/NAME.png
  local name=$1 html="$WORK/$1.html"
  tmux capture-pane -t "$SESSION" -e -p > "$WORK/$name.ansi"
  {
    printf '<!doctype html><html><head><meta charset="utf-8"><style>'
    printf 'body{margin:0;background:#1c1c1c}'
    printf 'pre{margin:10px;font:14px/17px "DejaVu Sans Mono",monospace;color:#c6c6c6;}'
    printf '</style></head><body><pre>'
    aha --no-header --black < "$WORK/$name.ansi"
    printf '</pre></body></html>'
  } > "$html"
  local w=$((COLS * 85 / 10 + 20)) h=$((ROWS * 17 + 20))
  chromium --headless --no-sandbox --disable-gpu --hide-scrollbars \
    --window-size="$w,$h" --screenshot="$OUT/$name.png" "file://$html" >/dev/null 2>&1
  echo "$OUT/$name.png"
}

wait_for "events"
# One key sent four times, the last with another value: the most duplicated key, a conflict.
python3 - "$PORT" <<'PY'
import json, sys, time, urllib.request
port = sys.argv[1]
for value in (129.99, 129.99, 129.99, 139.99):
    event = {"data_set_id": "contoso-travel", "id": "evt-screenshot-1", "timestamp": int(time.time()),
             "event_type": "purchase", "value": value, "currency_code": "USD", "source": "website",
             "user_data": {"email_address": ["b4c9a289323b21a01c3e940f150eb9b8c542587f1abfd8f0e1cc1ffc5e475514"]},
             "properties": {"page_url": "https://www.contoso-travel.com/checkout"}}
    req = urllib.request.Request(f"http://127.0.0.1:{port}/", data=json.dumps(event).encode(),
                                 headers={"Content-Type": "application/json"})
    urllib.request.urlopen(req, timeout=10).read()
PY
# Let traffic build up: funnel, problems and duplicates need a few thousand events.
sleep 12
keys G
shot live
keys Space E Enter
wait_for "finding(s)"
shot detail
keys Escape
keys Space
keys 2
shot funnel
keys 3
shot problems
keys 4
shot duplicates
keys g Enter
wait_for "first:"
shot duplicates-diff
keys Escape
# Replay: mark a few events in the paused table, send them, then the view and one exchange.
keys 1
keys Space
keys k m k m k m k m
keys r
keys Enter
keys 5
wait_for "accepted"
shot replay
keys Enter
wait_for "attempts"
shot replay-exchange
keys Escape
keys 1 Space
keys 6
shot sources
keys 1 '?'
shot help
