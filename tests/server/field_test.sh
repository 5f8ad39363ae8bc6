#!/usr/bin/env bash
# ews-server against the lab: bus scan on first start, all ten demo devices identified and
# polled, live values served, mbpoll through the gateway, a device that stops answering.
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

"$root/apps/server/ews-server" --data_dir="$data" --bind_address=127.0.0.1 \
  --https_port=0 --http_port=-1 --modbus_port=0 --rs485_device="$run/ep0" \
  --scan_on_first_start=1-30 2>"$TEST_TMPDIR/server.log" &
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

api() { curl -sk --max-time 10 "https://127.0.0.1:$https_port$1"; }

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
  online=$(grep -o '"online":true' <<<"$devices" | wc -l)
  [[ "$online" == 10 ]] && break
  sleep 0.2
done
check "all ten devices online with values (saw $online)" test "$online" = 10
check "the meter's voltage is served" grep -qE '"quantity":"v1n","name":"V1-N","value":2[0-9]{2}' <<<"$devices"
check "its active energy is served" grep -qE '"quantity":"ea_import","name":"[^"]+","value":[0-9]+' <<<"$devices"

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

kill -TERM "$server_pid"
for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
wait "$server_pid"
check "SIGTERM stops the server with status 0" test $? = 0
server_pid=""
check "the history database exists" test -s "$data/history.db"

echo "--- server log"; cat "$TEST_TMPDIR/server.log" | cut -c1-240
if ((failures > 0)); then echo "$failures check(s) failed"; exit 1; fi
echo "all checks passed"
