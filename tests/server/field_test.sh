#!/usr/bin/env bash
# ews-server against the lab: bus scan on first start, all ten demo devices identified and
# polled, live values served, mbpoll through the gateway, a device that stops answering; the
# demo's simulated pulse counters (model 32) counting, and their indexes kept across a restart.
set -uo pipefail

root="$PWD"
# The bus's control socket needs a short path (a unix socket path has at most 107 bytes; the
# sandbox's TEST_TMPDIR is longer).
run=$(mktemp -d /tmp/ews-field.XXXXXX)
data="$TEST_TMPDIR/data"
failures=0
server_pid=""

fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then echo "ok: $what"; else fail "$what"; fi; }

cleanup() {
  [[ -n "$server_pid" ]] && kill -KILL "$server_pid" 2>/dev/null
  [[ -f "$run/simulator.pid" ]] && kill "$(cat "$run/simulator.pid")" 2>/dev/null
  [[ -f "$run/bus.pid" ]] && kill "$(cat "$run/bus.pid")" 2>/dev/null
  rm -rf "$run"
  true
}
trap cleanup EXIT

BIN_DIR="$root" lab/devices/start_demo_bus.sh "$run" "19200 8E1" || exit 1

# As demo.sh runs it: a model 32 (ten Modbus devices + three pulse counters do not fit a model 10),
# simulated meters on the pulse inputs (there is no GPIO chip here).
start_server() {
  "$root/apps/server/ews-server" --data_dir="$data" --bind_address=127.0.0.1 \
    --https_port=0 --http_port=-1 --modbus_port=0 --rs485_device="$run/ep0" \
    --scan_on_first_start=1-30 --simulate_pulse_inputs --model_size=32 2>>"$TEST_TMPDIR/server.log" &
  server_pid=$!
  for _ in $(seq 1 300); do  # the scan of 30 addresses takes ~7 s of wire time
    [[ -s "$data/run/ews-server.ready" ]] && break
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.1
  done
  https_port=$(sed -n 's/^https_port=//p' "$data/run/ews-server.ready" 2>/dev/null)
  modbus_port=$(sed -n 's/^modbus_port=//p' "$data/run/ews-server.ready" 2>/dev/null)
  if [[ -z "$https_port" || -z "$modbus_port" ]]; then
    cat "$TEST_TMPDIR/server.log"; echo "FAIL: server did not start"; exit 1
  fi
}
stop_server() {
  kill -TERM "$server_pid"
  for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
  wait "$server_pid"
  local status=$?
  server_pid=""
  return $status
}
start_server

# The live API needs a session: the installer, through the factory-code change on first use.
source tests/lib/ews_session.sh
jar="$TEST_TMPDIR/cookies"
api() { curl -sk -b "$jar" --max-time 10 "https://127.0.0.1:$https_port$1"; }
login() { ews_login "https://127.0.0.1:$https_port" "$jar" installer 55555 >/dev/null; }
login || { echo "FAIL: cannot log in"; exit 1; }

check "scan configured the ten demo devices" \
  test "$(grep -c 'modbus_devices {' "$data/config.textproto")" = 10
for profile in emdx3_4_120_45 mccb_measurement_unit acb_measurement_unit \
  din_measurement_module ev_charger_generic ems_cx3_measurement ems_cx3_signalling \
  ems_cx3_control ems_cx3_pulse_concentrator; do
  check "identified a $profile" grep -q "profile: \"$profile\"" "$data/config.textproto"
done

# Live values right after the start (the first polls are immediate, not on the minute).
online=0
for _ in $(seq 1 100); do
  devices=$(api /api/v1/devices)
  online=$(grep -o '"line":"rs485","online":true' <<<"$devices" | wc -l)
  [[ "$online" == 10 ]] && break
  sleep 0.2
done
check "all ten devices online with values (saw $online)" test "$online" = 10
check "the meter's voltage is served" grep -qE '"quantity":"v1n","name":"V1-N","value":2[0-9]{2}' <<<"$devices"
check "its active energy is served" grep -qE '"quantity":"ea_import","name":"[^"]+","value":[0-9]+' <<<"$devices"
# docs/devices/: the meter's voltage rests on the maker's table, its energy scale does not, and no
# register of the breakers has a published table.
check "a cited register is not flagged" grep -qE '"quantity":"v1n","name":"V1-N","value":[0-9.e+]+,"unit":"V"}' <<<"$devices"
check "an unconfirmed register is flagged" \
  grep -qE '"quantity":"ea_import","name":"[^"]+","value":[0-9.e+]+,"unit":"[^"]*","unconfirmed":true' <<<"$devices"

# mbpoll (Debian, an independent Modbus TCP client) through ews-server's gateway onto the bus.
read_meter=$(timeout 20 mbpoll -m tcp -p "$modbus_port" -a 1 -r 769 -c 1 -t 4 -1 127.0.0.1 2>&1)
echo "$read_meter" | tail -3
check "mbpoll reads the meter's model register (4512) through the gateway" \
  grep -qE '^\[769\]:[[:space:]]+4512' <<<"$read_meter"
voltage=$(timeout 20 mbpoll -m tcp -p "$modbus_port" -a 1 -r 4097 -c 2 -t 4:int -B -1 127.0.0.1 2>&1)
echo "$voltage" | tail -3
check "mbpoll reads V1-N (U32, mV) through the gateway" \
  grep -qE '^\[4097\]:[[:space:]]+2[0-9]{5}$' <<<"$voltage"
silent=$(timeout 20 mbpoll -m tcp -p "$modbus_port" -a 99 -r 1 -c 1 -1 127.0.0.1 2>&1)
check "a unit nobody answers gets exception 0x0B" grep -q 'Target device failed to respond' <<<"$silent"

leds=$(api /api/v1/leds)
echo "leds: $leds"
check "RX blinked with the line's traffic" grep -qE '"name":"rx","on":(true|false),"blinks":[1-9]' <<<"$leds"
check "TX blinked with the line's traffic" grep -qE '"name":"tx","on":(true|false),"blinks":[1-9]' <<<"$leds"

# A device that stops answering is reported offline; the others go on.
echo "fault 4 silent" > "$run/simulator.commands"
timeout 20 mbpoll -m tcp -p "$modbus_port" -a 4 -r 769 -c 1 -1 127.0.0.1 >/dev/null 2>&1
check "the silent device answers 0x0B through the gateway" \
  grep -q 'Target device failed to respond' \
  <<<"$(timeout 20 mbpoll -m tcp -p "$modbus_port" -a 4 -r 769 -c 1 -1 127.0.0.1 2>&1)"
check "the others still answer" grep -qE '^\[769\]:[[:space:]]+4512' \
  <<<"$(timeout 20 mbpoll -m tcp -p "$modbus_port" -a 6 -r 769 -c 1 -t 4 -1 127.0.0.1 2>&1)"

# The poller marks it offline (the start-up live polls run every 5 s for 20 s).
offline=""
for _ in $(seq 1 60); do
  offline=$(api /api/v1/devices | grep -o '"id":"din_measurement_module-4"[^]]*' | head -1)
  grep -q '"online":false' <<<"$offline" && break
  sleep 0.25
done
check "the poller reports the silent device offline" grep -q '"online":false' <<<"$offline"

# The pulse counters commissioned for the demo, counting simulated meters.
pulse_ids="water-main gas-boiler submeter-lighting"
check "the first start made a model 32" grep -q 'model_size: MODEL_32' "$data/config.textproto"
check "and configured three pulse counters" \
  test "$(grep -c 'pulse_counters {' "$data/config.textproto")" = 3
# pulses ID JSON: the counter's exact pulse count (its index = pulses x quantity per pulse).
pulses() { grep -o "\"id\":\"$1\"[^]]*" <<<"$2" | grep -o '"pulses":[0-9]*' | cut -d: -f2; }
devices=$(api /api/v1/devices)
echo "$devices" | grep -o '{"id":"[a-z-]*","name":"[^"]*","profile":"pulse_counter"[^]]*]'
check "the pulse line is listed" grep -q '"name":"pulse","available":true,"backend":"simulated"' <<<"$devices"
check "three pulse devices are served" \
  test "$(grep -o '"line":"pulse","input":[0-9]*,"kind":"[a-z]*","online":true' <<<"$devices" | wc -l)" = 3
check "the water meter's index is in litres" \
  grep -qE '"id":"water-main"[^]]*"index":[0-9.e+]+,"unit":"L"' <<<"$devices"
first=$(pulses submeter-lighting "$devices")
for _ in $(seq 1 50); do  # the simulated sub-meter pulses every second
  devices=$(api /api/v1/devices)
  (( $(pulses submeter-lighting "$devices") > first + 1 )) && break
  sleep 0.2
done
check "the sub-meter's index grows ($first -> $(pulses submeter-lighting "$devices") Wh)" \
  test "$(pulses submeter-lighting "$devices")" -gt "$((first + 1))"
declare -A before
for id in $pulse_ids; do before[$id]=$(pulses "$id" "$devices"); done

stop_server
check "SIGTERM stops the server with status 0" test $? = 0
check "the history database exists" test -s "$data/history.db"
check "the pulse counts were saved" test -s "$data/pulse-counts"

# A restart (no scan: the configuration exists) carries on from the saved counts.
start_server
check "the installer logs in again (sessions end with a restart)" login
devices=$(api /api/v1/devices)
for id in $pulse_ids; do
  after=$(pulses "$id" "$devices")
  check "$id's index has not gone backwards across the restart (${before[$id]} -> $after)" \
    test "${after:-0}" -ge "${before[$id]}"
done
# The history API over HTTPS: what was polled before the restart is there.
series=$(api /api/v1/history/series)
check "the history lists the polled devices' series with their horizons" \
  grep -q '"device":"water-main","quantity":"index","kind":"counter".*"horizons":{"minute":' \
  <<<"$series"
from=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ) to=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
chart=$(api "/api/v1/history/chart?device=water-main&quantity=index&from=$from&to=$to")
check "a chart of the water meter has points" grep -q '"points":\[{"t":' <<<"$chart"
csv=$(curl -sk -b "$jar" -D "$TEST_TMPDIR/csv.headers" --max-time 10 \
  "https://127.0.0.1:$https_port/api/v1/history/csv?device=water-main&from=$from&to=$to&resolution=minute")
check "the CSV download is streamed (chunked) as an attachment" \
  grep -qi '^transfer-encoding: chunked' "$TEST_TMPDIR/csv.headers"
check "the CSV has a header and rows" test "$(wc -l <<<"$csv")" -ge 2
check "no CSV without a session (401)" test "$(curl -sk -o /dev/null \
  -w '%{http_code}' "https://127.0.0.1:$https_port/api/v1/history/csv?device=water-main")" = 401
check "the restart did not scan again" \
  test "$(grep -c 'first start: scanning' "$TEST_TMPDIR/server.log")" = 1
stop_server
check "SIGTERM stops the restarted server with status 0" test $? = 0

echo "--- server log"; cat "$TEST_TMPDIR/server.log" | cut -c1-240
if ((failures > 0)); then echo "$failures check(s) failed"; exit 1; fi
echo "all checks passed"
