#!/usr/bin/env bash
# End to end over real HTTPS (curl): configuration sections that apply without a restart. On one
# running server (same pid throughout): a pulse counter added over the API is counted at once and
# the others keep their counts; a new consumption tree and a tariff show in /history/tree; a new
# storage retention shows in /history/series' horizons; a new commit interval says it needs a
# restart.
set -uo pipefail

source tests/lib/test_lib.sh
data="$TEST_TMPDIR/data"
jar="$TEST_TMPDIR/cookies"
admin_jar="$TEST_TMPDIR/admin-cookies"

check "the server starts with the demo's simulated pulse counters" \
  ews_start apps/server/ews-server "$data" "$TEST_TMPDIR/server.log" \
  --http_port=-1 --modbus_port=-1 --rtc_device=/nonexistent/rtc --rs485_device=/nonexistent/tty \
  --simulate_pulse_inputs --model_size=10
base="https://127.0.0.1:$https_port"
pid=$server_pid

# call JAR METHOD PATH [BODY] [extra curl args...]: prints the body, then " STATUS"
call() {
  local jar=$1 method=$2 path=$3 body=${4:-}; shift 4 2>/dev/null || shift $#
  curl -sk --max-time 10 -b "$jar" -c "$jar" -X "$method" -w ' %{http_code}' \
    ${body:+--data-binary "$body"} "$@" "$base$path"
}
status_of() { echo "${1##* }"; }
body_of() { echo "${1% *}"; }
# index ID: the pulse counter's count (its "index" value) from /api/v1/devices
index() {
  body_of "$(call "$jar" GET /api/v1/devices)" | /usr/bin/python3 -c '
import json, sys
for device in json.load(sys.stdin)["devices"]:
    if device["id"] == sys.argv[1]:
        for value in device.get("values", []):
            if value["quantity"] == "index":
                print(value["value"])' "$1"
}
# json_edit STATEMENT: the JSON on stdin as `d`, changed by the Python STATEMENT, printed compactly
# (Debian's python3 is always there; jq is not installed by tools/setup.sh).
json_edit() {
  /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin)
exec(sys.argv[1])
print(json.dumps(d, separators=(",", ":")))' "$1"
}

csrf=$(ews_login "$base" "$jar" installer 55555)
check "the installer logs in" test -n "$csrf"
admin_csrf=$(ews_login "$base" "$admin_jar" administrator 99999 97531 "11223 3445 56677")
check "the administrator logs in" test -n "$admin_csrf"

# --- pulse counters: a new one counts at once, the others keep their counts -------------------
for _ in $(seq 1 50); do
  before=$(index submeter-lighting)
  [[ "$before" =~ ^[0-9.]+$ ]] && awk "BEGIN{exit !($before >= 3)}" && break
  sleep 0.2
done
check "the lighting sub-meter counts (1 Wh a second): $before" awk "BEGIN{exit !($before >= 3)}"
section=$(body_of "$(call "$jar" GET /api/v1/config/pulse-counters)")
new=$(json_edit 'd["pulse_counters"].append({"id": "heat-pump", "name": "Heat pump (1 Wh/pulse)",
  "input": 4, "kind": "PULSE_KIND_ENERGY", "quantity_per_pulse": 1, "unit": "PULSE_UNIT_WH"})' <<<"$section")
r=$(call "$jar" PUT /api/v1/config/pulse-counters "$new" -H "X-CSRF-Token: $csrf")
check "adding a pulse counter applies (200): $r" test "$(status_of "$r")" = 200
check "…live: applied_live pulse-counters, no restart" \
  grep -q '"applied_live":\["pulse-counters"\],"restart_required":false,"needs_restart":\[\]' <<<"$r"
after=$(index submeter-lighting)
check "the other counters keep their counts ($before -> $after Wh)" \
  awk "BEGIN{exit !($after >= $before)}"
added=$(index heat-pump)
check "the new counter is served at once (index $added)" test -n "$added"
sleep 2.5
check "…and counts: the heat pump $(index heat-pump) Wh, the sub-meter $(index submeter-lighting) Wh" \
  awk "BEGIN{exit !($(index heat-pump) >= 1 && $(index submeter-lighting) > $after)}"

# --- consumption tree and tariffs ----------------------------------------------------------------
tree='{"consumption_tree":{"boards":[{"id":"main","name":"Main board live","groups":[
  {"id":"lighting","name":"Lighting","members":[{"pulse_counter_id":"submeter-lighting"}]}]}]}}'
r=$(call "$admin_jar" PUT /api/v1/config/consumption-tree "$tree" -H "X-CSRF-Token: $admin_csrf")
check "a consumption tree applies live: $r" \
  grep -q '"applied_live":\["consumption-tree"\],"restart_required":false' <<<"$r"
tariffs='{"tariffs":[{"id":"flat","name":"Flat rate","quantity":"TARIFF_QUANTITY_ELECTRICITY",
  "currency":"EUR","bands":[{"name":"all day","weekday_mask":127,"start_minute":0,
  "end_minute":1440,"price_per_unit":0.2}]}]}'
r=$(call "$admin_jar" PUT /api/v1/config/tariffs "$tariffs" -H "X-CSRF-Token: $admin_csrf")
check "a tariff applies live: $r" grep -q '"applied_live":\["tariffs"\],"restart_required":false' <<<"$r"
r=$(call "$jar" GET "/api/v1/history/tree?from=$(date -u +%F)&to=$(date -u -d tomorrow +%F)")
check "/history/tree shows the new board at once: ${r:0:300}" \
  grep -q '"name":"Main board live"' <<<"$r"
check "…with its group (its price: api_history_test, once an hour of consumption is stored)" \
  grep -q '"name":"Lighting"' <<<"$r"
if grep -q '"consumption":{"electricity"' <<<"$r"; then
  check "…priced at the flat rate" grep -q '"tariff":"flat","name":"Flat rate"' <<<"$r"
fi

# --- storage: retention live, the commit interval at the next start -------------------------------
# The pulse counters' series exist once their first minute is committed (within 90 s of the start).
for _ in $(seq 1 95); do
  series=$(body_of "$(call "$jar" GET /api/v1/history/series?device=submeter-lighting)")
  grep -q '"quantity":"index"' <<<"$series" && break
  sleep 1
done
check "the sub-meter's series is in the history" grep -q '"quantity":"index"' <<<"$series"
storage=$(body_of "$(call "$admin_jar" GET /api/v1/config/storage)")
new=$(json_edit 'd["storage"].update(minute_tier_days=7, hour_tier_days=400)' <<<"$storage")
r=$(call "$admin_jar" PUT /api/v1/config/storage "$new" -H "X-CSRF-Token: $admin_csrf")
check "a storage retention change applies live: $r" \
  grep -q '"applied_live":\["storage"\],"restart_required":false' <<<"$r"
series=$(body_of "$(call "$jar" GET /api/v1/history/series?device=submeter-lighting)")
check "the series' horizons show it at once (7 days of minutes, 400 of hours)" \
  grep -q '"minute":{"kept_s":604800,.*"hour":{"kept_s":34560000,' <<<"$series"
new=$(json_edit 'd["storage"]["commit_interval_s"] = 300' <<<"$(body_of "$(call "$admin_jar" GET /api/v1/config/storage)")")
r=$(call "$admin_jar" PUT /api/v1/config/storage "$new" -H "X-CSRF-Token: $admin_csrf")
check "a new commit interval is saved but waits for a restart: $r" \
  grep -q '"applied_live":\[\],"restart_required":true,"needs_restart":\["storage"\]' <<<"$r"
r=$(call "$admin_jar" PUT /api/v1/config/network "$(body_of "$(call "$admin_jar" GET /api/v1/config/network)" |
  json_edit 'd["network"]["hostname"] = "ews-live-test"')" -H "X-CSRF-Token: $admin_csrf")
check "a network change says it needs a restart: $r" \
  grep -q '"restart_required":true,"needs_restart":\["network"\]' <<<"$r"

check "all of it on the same server process (no restart)" \
  grep -q "^pid=$pid$" "$data/run/ews-server.ready"
check "the server stops cleanly" stop_server
finish "$TEST_TMPDIR/server.log"
