#!/usr/bin/env bash
# Browser tests of the web UI: Debian's chromium driven by npm's playwright-core against a real
# ews-server on loopback with the demo's simulated devices (virtual RS485 bus) and a temporary
# data directory. Needs web/build.sh to have run and the Bazel targets below built.
#   tests/web/run.sh [screenshot_dir]      (default: docs/images)
# EWS_BIN_DIR picks another build's bazel-bin (e.g. a branch with the session API).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
shots=${1:-$root/docs/images}
bin=${EWS_BIN_DIR:-$(bazel info bazel-bin 2>/dev/null)}
run=$(mktemp -d /tmp/ews-web.XXXXXX)
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  for p in "$run/simulator.pid" "$run/bus.pid"; do
    [[ -f "$p" ]] && kill "$(cat "$p")" 2>/dev/null
  done
  rm -rf "$run"
  true
}
trap cleanup EXIT

[[ -f web/dist/index.html ]] || { echo "FAIL: web/dist missing (run web/build.sh)"; exit 1; }
BIN_DIR="$bin" lab/devices/start_demo_bus.sh "$run/bus" "19200 8E1" >/dev/null || exit 1
mkdir -p "$run/data"
"$bin/apps/server/ews-server" --data_dir="$run/data" --web_root="$root/web/dist" \
  --bind_address=127.0.0.1 --https_port=0 --http_port=-1 --modbus_port=0 \
  --rs485_device="$run/bus/ep0" --scan_on_first_start=1-30 --simulate_pulse_inputs \
  --model_size=32 2>"$run/server.log" &
server_pid=$!
for _ in $(seq 1 300); do
  [[ -s "$run/data/run/ews-server.ready" ]] && break
  kill -0 "$server_pid" 2>/dev/null || break
  sleep 0.1
done
port=$(sed -n 's/^https_port=//p' "$run/data/run/ews-server.ready" 2>/dev/null)
[[ -n "$port" ]] || { cat "$run/server.log"; echo "FAIL: ews-server did not start"; exit 1; }

mkdir -p "$run/tmp"
EWS_URL="https://127.0.0.1:$port" EWS_SCREENSHOTS="$shots" TMPDIR="$run/tmp" \
  EWS_SIMULATOR_COMMANDS="$run/bus/simulator.commands" \
  timeout 300 node tests/web/browser_test.mjs
status=$?
((status == 0)) || tail -20 "$run/server.log"
exit $status
