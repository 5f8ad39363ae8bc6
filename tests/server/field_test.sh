#!/usr/bin/env bash
# ews-server against the lab: bus scan on first start, all ten demo devices identified and
# polled, live values served, mbpoll through the gateway, a device that stops answering; the
# demo's simulated pulse counters (model 32) counting, and their indexes kept across a restart.
set -uo pipefail

root="$PWD"
data="$TEST_TMPDIR/data"
source tests/lib/test_lib.sh
start_lab_bus

# As demo.sh runs it: a model 32 (ten Modbus devices + three pulse counters do not fit a model 10),
# simulated meters on the pulse inputs (there is no GPIO chip here).
start_server() {
  # The scan of 30 addresses takes ~7 s of wire time.
  if ! ews_start "$root/apps/server/ews-server" "$data" "$TEST_TMPDIR/server.log" \
    --http_port=-1 --modbus_port=0 --rs485_device="$run/ep0" --scan_on_first_start=1-30 \
    --simulate_pulse_inputs --simulate_rtc --model_size=32 || [[ "$modbus_port" == -1 ]]; then
    cat "$TEST_TMPDIR/server.log"; echo "FAIL: server did not start"; exit 1
  fi
}
start_server

# The live API needs a session: the installer, through the factory-code change on first use.
jar="$TEST_TMPDIR/cookies"
api() { curl -sk -b "$jar" --max-time 10 "https://127.0.0.1:$https_port$1"; }
login() { ews_login "https://127.0.0.1:$https_port" "$jar" installer 55555 >/dev/null; }
login || { echo "FAIL: cannot log in"; exit 1; }
# The session cookie for the WebSocket client (curl's jar: name in field 6, value in 7).
cookie_of() { awk '$6 == "__Host-ews_session" { print "__Host-ews_session=" $7 }' "$1"; }
ws() { /usr/bin/python3 tests/lib/ws_client.py "wss://127.0.0.1:$https_port/api/v1/live" "$@"; }
# Live values over the WebSocket from the first polls on (the installer sees every device).
ws --header "Cookie: $(cookie_of "$jar")" --count 40 --timeout 30 >"$TEST_TMPDIR/live.txt" &
live_pid=$!

check "scan configured the ten demo devices" \
  test "$(grep -c 'modbus_devices {' "$data/config.textproto")" = 10
for profile in emdx3_4_120_45 mccb_measurement_unit acb_measurement_unit \
  din_measurement_module ev_charger_generic ems_cx3_measurement ems_cx3_signalling \
  ems_cx3_control ems_cx3_pulse_concentrator; do
  check "identified a $profile" grep -q "profile: \"$profile\"" "$data/config.textproto"
done

# Live values right after the start (the first polls are immediate, not on the minute). A poll
# that fails on the wire (the virtual bus is late on a loaded machine) leaves its device offline
# until the device's next poll: the start-up live polls come every 5 s for 20 s, then the
# minute's poll; so wait until all ten are online, for at most 80 s.
online=0
for _ in $(seq 1 400); do
  devices=$(api /api/v1/devices)
  online=$(grep -o '"line":"rs485","online":true' <<<"$devices" | wc -l)
  [[ "$online" == 10 ]] && break
  sleep 0.2
done
check "all ten devices online with values (saw $online)" test "$online" = 10
wait "$live_pid"
live=$(cat "$TEST_TMPDIR/live.txt")
echo "live (first 5 of $(wc -l <<<"$live")):"; head -5 <<<"$live" | cut -c1-300
check "the live WebSocket greets the installer" grep -q '^{"type":"hello","role":"installer"}$' <<<"$live"
check "it carries the devices' states" \
  grep -qE '^\{"type":"state","device":"emdx3_4_120_45-1","state":"online"' <<<"$live"
check "and each poll's values" \
  grep -qE '^\{"type":"values","device":"emdx3_4_120_45-1","time":"[^"]+","values":\[\{"quantity":"[^"]+","value":' \
  <<<"$live"
check "40 messages arrived, none lost" test "$(grep -c '^{"type":' <<<"$live")" = 40
r=$(ws --count 1)
check "no WebSocket without a session (401)" test "$r" = "REFUSED 401"
r=$(ws --header "Cookie: $(cookie_of "$jar")" --origin https://evil.example --count 1)
check "no WebSocket from another site's page (403)" test "$r" = "REFUSED 403"
r=$(ws --header "Cookie: $(cookie_of "$jar")" --origin "https://127.0.0.1:$https_port" --count 1)
check "a WebSocket from the device's own pages is accepted" grep -q '"type":"hello"' <<<"$r"
check "a plain GET of the live route is told to upgrade (426)" test "$(curl -sk -b "$jar" \
  -o /dev/null -w '%{http_code}' "https://127.0.0.1:$https_port/api/v1/live")" = 426
green_jar="$TEST_TMPDIR/green-cookies"
ews_login "https://127.0.0.1:$https_port" "$green_jar" greenUp 88888 >/dev/null
green=$(ws --header "Cookie: $(cookie_of "$green_jar")" --count 2 --timeout 10)
echo "greenUp live: $green"
check "greenUp sees the EV charging station" \
  grep -q '"type":"state","device":"ev_charger_generic-' <<<"$green"
check "and nothing else" test -z "$(grep '"device":' <<<"$green" | grep -v '"device":"ev_charger_generic-')"
# A page showing a device asks for it to be polled every 2 s for a while ("watch", docs/api.md).
w=$(ws --header "Cookie: $(cookie_of "$jar")" --send '{"type":"watch","device":"emdx3_4_120_45-1"}' \
  --send 'nonsense' --duration 9)
check "a watch is acknowledged" \
  grep -q '^{"type":"watching","device":"emdx3_4_120_45-1","period_s":2,"for_s":60}$' <<<"$w"
check "and the device's values then come every 2 s (saw $(grep -c '"type":"values","device":"emdx3_4_120_45-1"' <<<"$w") in 9 s)" \
  test "$(grep -c '"type":"values","device":"emdx3_4_120_45-1"' <<<"$w")" -ge 3
check "a message that is no watch gets an error" \
  grep -q '^{"type":"error","message":"a live message is' <<<"$w"
w=$(ws --header "Cookie: $(cookie_of "$green_jar")" \
  --send '{"type":"watch","device":"mccb_measurement_unit-2"}' --duration 3)
check "greenUp cannot watch a breaker" \
  grep -q '^{"type":"error","device":"mccb_measurement_unit-2","message":"no device' <<<"$w"
check "greenUp may not read the device list (403)" test "$(curl -sk -b "$green_jar" \
  -o /dev/null -w '%{http_code}' "https://127.0.0.1:$https_port/api/v1/devices")" = 403
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

# A device that stops answering is reported offline; the others go on. A live client hears it.
ws --header "Cookie: $(cookie_of "$jar")" --timeout 90 >"$TEST_TMPDIR/live-fault.txt" &
live_pid=$!
echo "fault 4 silent" > "$run/simulator.commands"
timeout 20 mbpoll -m tcp -p "$modbus_port" -a 4 -r 769 -c 1 -1 127.0.0.1 >/dev/null 2>&1
check "the silent device answers 0x0B through the gateway" \
  grep -q 'Target device failed to respond' \
  <<<"$(timeout 20 mbpoll -m tcp -p "$modbus_port" -a 4 -r 769 -c 1 -1 127.0.0.1 2>&1)"
check "the others still answer" grep -qE '^\[769\]:[[:space:]]+4512' \
  <<<"$(timeout 20 mbpoll -m tcp -p "$modbus_port" -a 6 -r 769 -c 1 -t 4 -1 127.0.0.1 2>&1)"

# The poller marks it offline at its next poll: a start-up live poll (every 5 s for 20 s) or,
# once those are over, the minute's poll (at most 75 s).
offline=""
for _ in $(seq 1 300); do
  offline=$(api /api/v1/devices | grep -o '"id":"din_measurement_module-4"[^]]*' | head -1)
  grep -q '"online":false' <<<"$offline" && break
  sleep 0.25
done
check "the poller reports the silent device offline" grep -q '"online":false' <<<"$offline"
for _ in $(seq 1 20); do  # the live message left with the poll's result
  grep -q '"device":"din_measurement_module-4","state":"absent"' "$TEST_TMPDIR/live-fault.txt" && break
  sleep 0.1
done
kill "$live_pid" 2>/dev/null; wait "$live_pid" 2>/dev/null
check "the live WebSocket carried the change to absent" grep -qE \
  '^\{"type":"state","device":"din_measurement_module-4","state":"absent","time":"[^"]+","problem":"' \
  "$TEST_TMPDIR/live-fault.txt"

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
check "the installer logs in again (sessions end with a restart)" login
devices=$(api /api/v1/devices)
for id in $pulse_ids; do
  after=$(pulses "$id" "$devices")
  check "$id's index has not gone backwards across the restart (${before[$id]} -> $after)" \
    test "${after:-0}" -ge "${before[$id]}"
done
# The history API over HTTPS. Devices go into the history on each wall-clock minute: wait for
# the first one (at most 75 s). The pulse counters are sampled on the minute too: a live client
# hears them.
ws --header "Cookie: $(cookie_of "$jar")" --timeout 90 >"$TEST_TMPDIR/live-pulse.txt" &
live_pid=$!
for _ in $(seq 1 75); do
  series=$(api /api/v1/history/series)
  grep -q '"kind":"counter"' <<<"$series" && break
  sleep 1
done
for _ in $(seq 1 650); do  # the next minute's sample: at most 65 s
  grep -q '"type":"values","device":"water-main"' "$TEST_TMPDIR/live-pulse.txt" && break
  sleep 0.1
done
kill "$live_pid" 2>/dev/null; wait "$live_pid" 2>/dev/null
check "the live WebSocket carries the pulse counters' minute samples" grep -qE \
  '^\{"type":"values","device":"water-main","time":"[^"]+","values":\[\{"quantity":"index","value":[0-9.e+]+,"unit":"L"\},\{"quantity":"rate","value":[0-9.e+]+,"unit":"L/h"\}\]\}$' \
  "$TEST_TMPDIR/live-pulse.txt"
check "the history lists the polled devices' series with their horizons" \
  grep -qE '"device":"[^"]+","quantity":"[^"]+","kind":"counter","unit":"[^"]*","horizons":\{"minute":' \
  <<<"$series"
counter=$(grep -oE '"device":"[^"]+","quantity":"[^"]+","kind":"counter"' <<<"$series" | head -1)
device=$(sed -E 's/"device":"([^"]+)".*/\1/' <<<"$counter")
quantity=$(sed -E 's/.*"quantity":"([^"]+)".*/\1/; s/\+/%2B/g' <<<"$counter")
echo "history of $device / $quantity"
from=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ) to=$(date -u -d '+1 hour' +%Y-%m-%dT%H:%M:%SZ)
chart=$(api "/api/v1/history/chart?device=$device&quantity=$quantity&from=$from&to=$to")
check "a chart of it has points" grep -q '"points":\[{"t":' <<<"$chart"
csv=$(curl -sk -b "$jar" -D "$TEST_TMPDIR/csv.headers" --max-time 10 \
  "https://127.0.0.1:$https_port/api/v1/history/csv?device=$device&from=$from&to=$to&resolution=minute")
check "the CSV download is streamed (chunked) as an attachment" \
  grep -qi '^transfer-encoding: chunked' "$TEST_TMPDIR/csv.headers"
check "the CSV has a header and rows" test "$(wc -l <<<"$csv")" -ge 2
check "no CSV without a session (401)" test "$(curl -sk -o /dev/null \
  -w '%{http_code}' "https://127.0.0.1:$https_port/api/v1/history/csv?device=water-main")" = 401
check "the restart did not scan again" \
  test "$(grep -c 'first start: scanning' "$TEST_TMPDIR/server.log")" = 1
stop_server
check "SIGTERM stops the restarted server with status 0" test $? = 0

echo "--- server log"; cut -c1-240 "$TEST_TMPDIR/server.log"
finish
