# Sourced by the tests/server shell tests: check bookkeeping and ews-server's start handshake and
# stop. Each test keeps its own server command line.
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then echo "ok: $what"; else fail "$what"; fi; }

# wait_ready DATA_DIR PID: waits (at most 30 s: a first start may scan the bus) for the server's
# ready file while PID runs; sets https_port and modbus_port. Fails when it does not come.
wait_ready() {
  for _ in $(seq 1 300); do
    [[ -s "$1/run/ews-server.ready" ]] && break
    kill -0 "$2" 2>/dev/null || break
    sleep 0.1
  done
  https_port=$(sed -n 's/^https_port=//p' "$1/run/ews-server.ready" 2>/dev/null)
  modbus_port=$(sed -n 's/^modbus_port=//p' "$1/run/ews-server.ready" 2>/dev/null)
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

# finish [LOG]: the closing line and exit status; LOG is shown when a check failed.
finish() {
  if ((failures > 0)); then
    [[ -n "${1:-}" ]] && { echo "--- server log"; cut -c1-240 "$1" | tail -80; }
    echo "$failures check(s) failed"; exit 1
  fi
  echo "all checks passed"
}

# start_lab_bus: the virtual RS485 bus (19200 8E1) with the demo's simulated devices, in a new
# run directory `run` (under /tmp: a unix socket path has at most 107 bytes, the sandbox's
# TEST_TMPDIR is longer); its endpoint for ews-server is $run/ep0, the simulators take commands
# on $run/simulator.commands. At exit the bus, the simulators and a server still running
# ($server_pid) are stopped.
start_lab_bus() {
  run=$(mktemp -d /tmp/ews-lab.XXXXXX)
  trap stop_lab EXIT
  BIN_DIR="$PWD" lab/devices/start_demo_bus.sh "$run" "19200 8E1" || exit 1
}
stop_lab() {
  [[ -n "${server_pid:-}" ]] && kill -KILL "$server_pid" 2>/dev/null
  [[ -f "$run/simulator.pid" ]] && kill "$(cat "$run/simulator.pid")" 2>/dev/null
  [[ -f "$run/bus.pid" ]] && kill "$(cat "$run/bus.pid")" 2>/dev/null
  rm -rf "$run"
  true
}
