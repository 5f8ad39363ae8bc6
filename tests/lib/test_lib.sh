# Sourced by the shell tests and benches that run ews-server (tests/server, apps/server, the
# HTTPS and flash benches, tests/web/run.sh, demo.sh): check bookkeeping, ews-server's start
# handshake (the ready file) and stop, the lab's virtual bus, and ews_login (ews_session.sh).
#
#   source tests/lib/test_lib.sh
#   ews_start "$server_bin" "$data" "$log" --http_port=-1 --modbus_port=-1 || exit 1
#   csrf=$(ews_login "https://127.0.0.1:$https_port" "$jar" installer 55555) || exit 1
#   check "the server stops cleanly" stop_server
#   finish "$log"
test_lib_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)  # the tree (or runfiles) it is in
source "$test_lib_root/tests/lib/ews_session.sh"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
# check WHAT COMMAND...: runs COMMAND; prints "ok: WHAT", or counts a failure and returns 1.
check() { local what=$1; shift; if "$@"; then echo "ok: $what"; else fail "$what"; return 1; fi; }

# skip REASON: ends a test that cannot run here. Under Bazel it is recorded as skipped (its
# test.xml says so, and tools/test_summary.py counts it neither passed nor failed), not passed.
skip() {
  echo "SKIPPED: $*"
  if [[ -n "${XML_OUTPUT_FILE:-}" ]]; then
    local reason=${*//&/&amp;}
    reason=${reason//\"/&quot;} reason=${reason//</&lt;}
    cat >"$XML_OUTPUT_FILE" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<testsuites><testsuite name="${TEST_TARGET:-test}" tests="1" failures="0" errors="0" skipped="1">
<testcase name="${TEST_TARGET:-test}" status="notrun"><skipped message="$reason"/></testcase>
</testsuite></testsuites>
XML
  fi
  exit 0
}

# ews_start BIN DATA LOG [FLAGS...]: starts ews-server BIN on loopback (HTTPS on port 0) with the
# data directory DATA, its log appended to LOG, and FLAGS (later flags win); sets server_pid and
# waits for the ready file (wait_ready).
ews_start() {
  local bin=$1 data=$2 log=$3
  shift 3
  rm -f "$data/run/ews-server.ready"
  "$bin" --data_dir="$data" --bind_address=127.0.0.1 --https_port=0 "$@" 2>>"$log" &
  server_pid=$!
  wait_ready "$data" "$server_pid"
}

# wait_ready DATA_DIR PID: waits (at most 30 s: a first start may scan the bus) for the server's
# ready file while PID runs; sets https_port, http_port, modbus_port and ftp_port from it (-1:
# off). Fails when it does not come.
wait_ready() {
  local ready="$1/run/ews-server.ready"
  for _ in $(seq 1 300); do
    [[ -s "$ready" ]] && break
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  https_port=$(sed -n 's/^https_port=//p' "$ready" 2>/dev/null)
  http_port=$(sed -n 's/^http_port=//p' "$ready" 2>/dev/null)
  modbus_port=$(sed -n 's/^modbus_port=//p' "$ready" 2>/dev/null)
  ftp_port=$(sed -n 's/^ftp_port=//p' "$ready" 2>/dev/null)
  [[ -n "$https_port" ]]
}

# stop_pid PID: SIGTERM, then the server's exit status; after 10 s SIGKILL and status 1.
stop_pid() {
  kill -TERM "$1"
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  if kill -0 "$1" 2>/dev/null; then kill -KILL "$1"; wait "$1"; return 1; fi
  wait "$1"
}

# stop_server: stop_pid on $server_pid, which is cleared.
stop_server() {
  stop_pid "$server_pid"
  local status=$?
  server_pid=""
  return $status
}

# kill_server: SIGKILL to a server still running ($server_pid); for EXIT traps.
kill_server() {
  [[ -n "${server_pid:-}" ]] && kill -KILL "$server_pid" 2>/dev/null
  true
}
server_pid=""
trap kill_server EXIT

# finish [LOG]: the closing line and exit status; LOG is shown when a check failed.
finish() {
  if ((failures > 0)); then
    [[ -n "${1:-}" ]] && { echo "--- server log"; cut -c1-240 "$1" | tail -80; }
    echo "$failures check(s) failed"; exit 1
  fi
  echo "all checks passed"
}

# start_lab_bus [BIN_DIR]: the virtual RS485 bus (19200 8E1) with the demo's simulated devices
# (lab/devices/start_demo_bus.sh of this tree, the binaries under BIN_DIR, default $PWD as in the
# runfiles), in a new run directory `run` (under /tmp: a unix socket path has at most 107 bytes,
# the sandbox's TEST_TMPDIR is longer); its endpoint for ews-server is $run/ep0, the simulators
# take commands on $run/simulator.commands. At exit the bus, the simulators and a server still
# running ($server_pid) are stopped.
start_lab_bus() {
  run=$(mktemp -d /tmp/ews-lab.XXXXXX)
  trap stop_lab EXIT
  BIN_DIR="${1:-$PWD}" "$test_lib_root/lab/devices/start_demo_bus.sh" "$run" "19200 8E1" || exit 1
}
stop_lab() {
  kill_server
  [[ -f "$run/simulator.pid" ]] && kill "$(cat "$run/simulator.pid")" 2>/dev/null
  [[ -f "$run/bus.pid" ]] && kill "$(cat "$run/bus.pid")" 2>/dev/null
  rm -rf "$run"
  true
}
