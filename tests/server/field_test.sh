#!/usr/bin/env bash
# ews-server against the lab: bus scan on first start, all ten demo devices identified and
# polled, live values served, mbpoll through the gateway, a device that stops answering; the
# demo's simulated pulse counters (model 32) counting, and their indexes kept across a restart.
set -uo pipefail

root="$PWD"
data="$TEST_TMPDIR/data"
server_pid=""
source tests/server/test_lib.sh
start_lab_bus

# As demo.sh runs it: a model 32 (ten Modbus devices + three pulse counters do not fit a model 10),
# simulated meters on the pulse inputs (there is no GPIO chip here).
start_server() {
  "$root/apps/server/ews-server" --data_dir="$data" --bind_address=127.0.0.1 \
    --https_port=0 --http_port=-1 --modbus_port=0 --rs485_device="$run/ep0" \
    --scan_on_first_start=1-30 --simulate_pulse_inputs --simulate_rtc --model_size=32 2>>"$TEST_TMPDIR/server.log" &
  server_pid=$!
  # The scan of 30 addresses takes ~7 s of wire time.
  if ! wait_ready "$data" "$server_pid" || [[ -z "$modbus_port" ]]; then
    cat "$TEST_TMPDIR/server.log"; echo "FAIL: server did not start"; exit 1
  fi
}
start_server

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

# Three requests without answer make the unit absent on the line: answered 0x0B at once (but for a
# probe every 10 s), shown in the device's link health.
timeout 20 mbpoll -m tcp -p "$modbus_port" -a 4 -r 769 -c 1 -1 127.0.0.1 >/dev/null 2>&1
link=""
for _ in $(seq 1 40); do
  link=$(api /api/v1/devices | sed 's/},{"id"/}\n{"id"/g' | grep '"id":"din_measurement_module-4"' |
    grep -o '"link":{[^}]*}')
  grep -q '"state":"absent"' <<<"$link" && break
  sleep 0.25
done
echo "link: $link"
check "the silent unit is absent in its link health"   grep -qE '"state":"absent".*"absences":1,.*"absent_since":"20' <<<"$link"

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
devices=$(api /api/v1/devices)
for id in $pulse_ids; do
  after=$(pulses "$id" "$devices")
  check "$id's index has not gone backwards across the restart (${before[$id]} -> $after)" \
    test "${after:-0}" -ge "${before[$id]}"
done
check "the restart did not scan again" \
  test "$(grep -c 'first start: scanning' "$TEST_TMPDIR/server.log")" = 1
stop_server
check "SIGTERM stops the restarted server with status 0" test $? = 0

echo "--- server log"; cut -c1-240 "$TEST_TMPDIR/server.log"
finish
