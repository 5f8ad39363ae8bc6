#!/usr/bin/env bash
# Browser tests of the web UI: Debian's chromium driven by npm's playwright-core against a real
# ews-server on loopback with the demo's simulated devices (virtual RS485 bus) and a temporary
# data directory. Needs web/build.sh to have run and the Bazel targets below built.
#   tests/web/run.sh [SCREENSHOT_DIR | --docs]
# The screenshots go to SCREENSHOT_DIR, by default a new temporary directory (named at the end):
# a test run changes no tracked file. --docs refreshes the user manual's copies in docs/images/.
# EWS_BIN_DIR picks another build's bazel-bin (e.g. a branch with the session API).
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
case "${1:-}" in
  --docs) shots=$root/docs/images ;;
  "") shots=$(mktemp -d /tmp/ews-web-shots.XXXXXX) ;;
  *) shots=$1 ;;
esac
bin=${EWS_BIN_DIR:-$(bazel info bazel-bin 2>/dev/null)}
source tests/lib/test_lib.sh
work=$(mktemp -d /tmp/ews-web.XXXXXX)
cleanup() {
  [[ -n "$server_pid" ]] && stop_server
  stop_lab
  rm -rf "$work"
}

[[ -f web/dist/index.html ]] || { echo "FAIL: web/dist missing (run web/build.sh)"; exit 1; }
start_lab_bus "$bin" >/dev/null
trap cleanup EXIT
ews_start "$bin/apps/server/ews-server" "$work/data" "$work/server.log" \
  --web_root="$root/web/dist" --http_port=-1 --modbus_port=0 --rs485_device="$run/ep0" \
  --scan_on_first_start=1-30 --simulate_pulse_inputs --model_size=32 ||
  { cat "$work/server.log"; echo "FAIL: ews-server did not start"; exit 1; }

mkdir -p "$work/tmp"
EWS_URL="https://127.0.0.1:$https_port" EWS_SCREENSHOTS="$shots" TMPDIR="$work/tmp" \
  EWS_SIMULATOR_COMMANDS="$run/simulator.commands" \
  timeout 480 node tests/web/browser_test.mjs
status=$?
((status == 0)) || tail -20 "$work/server.log"
echo "screenshots in $shots"
exit $status
