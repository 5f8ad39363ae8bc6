#!/usr/bin/env bash
# The failure paths a site hits (issue 11, point 6), each against the real ews-server binary:
#  - a device with an unknown profile id: the box starts anyway and shows that device as
#    misconfigured (devices and health), everything else runs;
#  - a device whose float registers hold NaN and +inf (a Modbus TCP peer behind an IP gateway):
#    /api/v1/devices stays strict JSON, the values are null with a state saying why;
#  - an RTC device that exists but cannot be opened: reported unavailable with the reason, the
#    time not trustworthy; a simulated RTC only with --simulate_rtc;
#  - a corrupt history database: moved aside, reported in health until acknowledged
#    (POST /api/v1/history/acknowledge), at most three moved-aside copies kept.
set -uo pipefail

peer="$PWD/tests/server/nan_modbus_peer.py"
peer_pid=""
source tests/lib/test_lib.sh

cleanup() {
  kill_server
  [[ -n "$peer_pid" ]] && kill "$peer_pid" 2>/dev/null
  [[ -n "${sockets:-}" ]] && rm -rf "$sockets"
  true
}
trap cleanup EXIT

# start_server DATA_DIR [FLAGS...]: starts and waits for the ready file.
start_server() {
  data=$1; shift
  ews_start apps/server/ews-server "$data" "$TEST_TMPDIR/server.log" --web_root="$PWD/web" \
    --http_port=-1 --modbus_port=-1 --rs485_device=/nonexistent/tty "$@" || return 1
  # The API needs a session: the administrator, through the factory-code change on first use.
  jar="$data.cookies"
  csrf=$(ews_login "https://127.0.0.1:$https_port" "$jar" administrator 99999) || return 1
}
api() { curl -sk -b "$jar" --max-time 10 "https://127.0.0.1:$https_port$1"; }
post() { curl -sk -b "$jar" -H "X-CSRF-Token: $csrf" --max-time 10 -X POST -o /dev/null \
  -w '%{http_code}' "https://127.0.0.1:$https_port$1"; }
# json EXPRESSION: evaluates EXPRESSION on the strict JSON (no NaN/Infinity) read from stdin
# as `j`; prints the result, or "invalid JSON: ..." when the text is not JSON.
json() {
  /usr/bin/python3 -c '
import json, sys
def refuse(constant): raise ValueError("not JSON: " + constant)
try:
    j = json.loads(sys.stdin.read(), parse_constant=refuse)
except ValueError as e:
    print("invalid JSON:", e); sys.exit(0)
try:
    print(eval(sys.argv[1]))
except Exception as e:
    print("error:", repr(e))' "$1"
}

# --- an unknown profile id and a device that reports NaN / +inf --------------------------------
data="$TEST_TMPDIR/site"
check "first start" start_server "$data" || { cat "$TEST_TMPDIR/server.log"; exit 1; }
check "stops" stop_server

/usr/bin/python3 "$peer" "$TEST_TMPDIR/peer.port" &
peer_pid=$!
for _ in $(seq 1 100); do [[ -s "$TEST_TMPDIR/peer.port" ]] && break; sleep 0.1; done
peer_port=$(cat "$TEST_TMPDIR/peer.port")
cat >>"$data/config.textproto" <<CONFIG
ip_gateways {
  id: "nan-gw"
  name: "Gateway to a float device"
  host: "127.0.0.1"
  port: $peer_port
  protocol: GATEWAY_PROTOCOL_MODBUS_TCP
  response_timeout_ms: 1000
}
modbus_devices {
  id: "float-dev"
  name: "Float device"
  profile: "generic_modbus_device"
  address: 1
  ip_gateway { gateway_id: "nan-gw" }
}
CONFIG

check "the box starts with a device that reports NaN and +inf" start_server "$data"
if [[ -n "$https_port" ]]; then
  devices=""
  for _ in $(seq 1 50); do  # the first live poll of the float device
    devices=$(api /api/v1/devices)
    [[ "$(json '[d["online"] for d in j["devices"] if d["id"]=="float-dev"][0]' <<<"$devices")" == True ]] && break
    sleep 0.2
  done
  echo "devices: $devices"
  check "/api/v1/devices is valid JSON with NaN and +inf values" \
    test "$(json '"ok"' <<<"$devices")" = ok
  values() { json "{v['quantity']: (v['value'], v.get('state')) for d in j['devices'] if d['id']=='float-dev' for v in d['values']}" <<<"$devices"; }
  echo "float-dev values: $(values)"
  check "the float device is online" \
    test "$(json '[d["online"] for d in j["devices"] if d["id"]=="float-dev"][0]' <<<"$devices")" = True
  check "a NaN value is null with a state that says so" grep -q "'voltage': (None, 'not a number')" <<<"$(values)"
  check "an infinite value is null with a state that says so" \
    grep -q "'current': (None, 'infinite (+inf)')" <<<"$(values)"
  check "finite values keep their number" grep -q "'power': (0, None)" <<<"$(values)"
  check "SIGTERM stops the server" stop_server
fi
kill "$peer_pid"; peer_pid=""

cat >>"$data/config.textproto" <<CONFIG
modbus_devices {
  id: "mystery-7"
  name: "Mystery meter"
  profile: "no_such_profile"
  address: 7
  rs485 {}
}
CONFIG
check "the box starts although a device has an unknown profile" start_server "$data"
if [[ -n "$https_port" ]]; then
  devices=$(api /api/v1/devices)
  mystery=$(json '[(d["online"], d["state"], d.get("problem")) for d in j["devices"] if d["id"]=="mystery-7"]' <<<"$devices")
  echo "mystery-7: $mystery"
  check "the device with the unknown profile is listed as misconfigured, with the reason" \
    test "$mystery" = "[(False, 'misconfigured', \"unknown profile 'no_such_profile'\")]"
  health=$(api /api/v1/health)
  echo "health: $health"
  check "health lists the misconfigured device" \
    test "$(json 'j["misconfigured_devices"]' <<<"$health")" = \
    "[{'id': 'mystery-7', 'problem': \"unknown profile 'no_such_profile'\"}]"
  check "the pages are served (how the configuration gets fixed)" grep -q '<title>EWS' <<<"$(api /)"
  check "SIGTERM stops the server" stop_server
fi

# --- an RTC that exists but cannot be opened --------------------------------------------------
# A unix socket: it exists, and open() fails (ENXIO) even for root. (A socket path has at most
# 107 bytes: TEST_TMPDIR is too long.)
sockets=$(mktemp -d /tmp/ews-rtc.XXXXXX)
rtc="$sockets/rtc0"
/usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$rtc"
check "the RTC path exists" test -S "$rtc"
data="$TEST_TMPDIR/rtc-site"
check "the box starts without a usable RTC" start_server "$data" --rtc_device="$rtc"
if [[ -n "$https_port" ]]; then
  health=$(api /api/v1/health)
  echo "health: $health"
  check "health reports the RTC as unavailable" test "$(json 'j["rtc"]' <<<"$health")" = unavailable
  check "with the reason" grep -q "$rtc" <<<"$(json 'j["rtc_problem"]' <<<"$health")"
  check "the time is not trustworthy" test "$(json 'j["time_trustworthy"]' <<<"$health")" = False
  check "nor valid" test "$(json 'j["time_valid"]' <<<"$health")" = False
  check "no simulated RTC was started in its place" test ! -e "$data/rtc.state"
  check "SIGTERM stops the server" stop_server
fi
check "with --simulate_rtc the box runs on a simulated RTC" \
  start_server "$data" --rtc_device="$rtc" --simulate_rtc
if [[ -n "$https_port" ]]; then
  health=$(api /api/v1/health)
  check "health says so, and its time is valid" \
    test "$(json '(j["rtc"], j["time_valid"], j["time_trustworthy"])' <<<"$health")" = \
    "('simulated', True, True)"
  check "SIGTERM stops the server" stop_server
fi

# --- a corrupt history database ---------------------------------------------------------------
data="$TEST_TMPDIR/history-site"
history_state() { json '(j["history"], j["history_state"]["state"])' <<<"$(api /api/v1/health)"; }
corrupt_history() {
  rm -f "$data/history.db-wal" "$data/history.db-shm"
  head -c 8192 /dev/urandom >"$data/history.db"
}
check "first start" start_server "$data"
check "a fresh history is ok" test "$(history_state)" = "(True, 'ok')"
check "stops" stop_server
corrupt_history
check "starts with a corrupt history database" start_server "$data"
health=$(api /api/v1/health)
echo "health: $health"
check "health no longer says the history is fine" test "$(history_state)" = "(False, 'recovered_from_corruption')"
moved=$(json 'j["history_state"]["moved_aside"]' <<<"$health")
check "it names the moved-aside file, which exists ($moved)" test -s "$moved"
check "and when it happened" grep -qE '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' <<<"$(json 'j["history_state"]["since"]' <<<"$health")"
check "stops" stop_server
check "restarts" start_server "$data"
check "the report survives a restart" test "$(history_state)" = "(False, 'recovered_from_corruption')"
check "GET on the acknowledge path is refused" \
  test "$(curl -sk -b "$jar" -o /dev/null -w '%{http_code}' "https://127.0.0.1:$https_port/api/v1/history/acknowledge")" = 405
check "acknowledging needs the CSRF token (403)" test "$(curl -sk -b "$jar" -X POST -o /dev/null \
  -w '%{http_code}' "https://127.0.0.1:$https_port/api/v1/history/acknowledge")" = 403
check "POST /api/v1/history/acknowledge answers 200" test "$(post /api/v1/history/acknowledge)" = 200
check "after the acknowledgement the history is ok" test "$(history_state)" = "(True, 'ok')"
check "stops" stop_server
check "restarts" start_server "$data"
check "and stays ok across a restart" test "$(history_state)" = "(True, 'ok')"
check "stops" stop_server
# Four more corruptions (the moved-aside names have a one-second resolution).
for _ in 1 2 3 4; do
  sleep 1.1
  corrupt_history
  start_server "$data" && stop_server
done
kept=$(ls "$data" | grep -cE '^history\.db\.corrupt-[0-9TZ]+$')
echo "moved-aside copies: $(ls "$data" | grep corrupt | tr '\n' ' ')"
check "at most three moved-aside copies are kept (saw $kept)" test "$kept" = 3

echo "--- server log"; cut -c1-240 "$TEST_TMPDIR/server.log"
finish
