#!/usr/bin/env bash
# End-to-end test of ews-server: first start (factory config, self-signed certificate), the
# health endpoint over TLS 1.3 with an AES-256-GCM suite (curl and openssl s_client as
# independent peers), no OpenSSL in the server process, the HTTP -> HTTPS redirect, clean
# SIGTERM, a restart that keeps config and certificate, and a corrupt configuration.
set -uo pipefail
source tests/lib/test_lib.sh

web_root="$PWD/web"
data="$TEST_TMPDIR/data"

start_server() {
  ews_start apps/server/ews-server "$data" "$TEST_TMPDIR/server.log" --web_root="$web_root" \
    --http_port=0 --modbus_port=0 --simulate_rtc "$@"
}

# --- first start -------------------------------------------------------------------------
check "server starts on a fresh data directory" start_server || {
  cat "$TEST_TMPDIR/server.log"; exit 1; }
check "factory configuration written" test -s "$data/config.textproto"
check "configuration is private (0600)" test "$(stat -c %a "$data/config.textproto")" = 600
check "certificate generated, private (0600)" test "$(stat -c %a "$data/tls/server.pem")" = 600
check "no PIN is stored in clear" bash -c "! grep -qE '99999|55555' '$data/config.textproto'"

health=$(curl -sk --tlsv1.3 --max-time 10 "https://127.0.0.1:$https_port/api/v1/health")
echo "health: $health"
check "health says ok" grep -q '"status":"ok"' <<<"$health"
check "health has the version" grep -qE '"version":"[0-9]+\.[0-9]+\.[0-9]+"' <<<"$health"
check "health has the model size" grep -qE '"model_size":(10|32)' <<<"$health"
check "health has the uptime" grep -qE '"uptime_s":[0-9]+' <<<"$health"
check "health says history is recorded" grep -q '"history":true' <<<"$health"
check "health has the data directory's disk space" \
  grep -qE '"disk":\{"total_bytes":[1-9][0-9]*,"free_bytes":[0-9]+\}' <<<"$health"
check "the time comes from the (simulated) RTC and is valid" \
  grep -q '"time_valid":true,"rtc":"simulated"' <<<"$health"
check "the simulated RTC keeps its state in the data directory" test -s "$data/rtc.state"
jar="$TEST_TMPDIR/cookies"
r=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 10 "https://127.0.0.1:$https_port/api/v1/leds")
check "the LEDs need a login (401)" test "$r" = 401
# Every route but health, login, unblock and the CA download needs a session.
for route in "GET /api/v1/devices" "GET /api/v1/live" "GET /api/v1/history/series" \
  "GET /api/v1/history/chart" "GET /api/v1/history/totals" "GET /api/v1/history/tree" \
  "GET /api/v1/history/csv" "POST /api/v1/history/acknowledge" "GET /api/v1/system/version" \
  "GET /api/v1/system/time" "PUT /api/v1/system/time" "GET /api/v1/system/ntp" \
  "GET /api/v1/system/network" "GET /api/v1/system/logs" "POST /api/v1/system/restart" \
  "GET /api/v1/system/certificate" "PUT /api/v1/system/certificate"; do
  r=$(curl -sk -X "${route% *}" --max-time 10 -w ' %{http_code}' "https://127.0.0.1:$https_port${route#* }")
  check "$route needs a login (401 unauthenticated)" grep -q '"code":"unauthenticated".* 401$' <<<"$r"
done
r=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 10 "https://127.0.0.1:$https_port/api/v1/system/ca-certificate")
check "the CA certificate downloads without a login" test "$r" = 200
check "the installer logs in (changing its factory codes)" \
  ews_login "https://127.0.0.1:$https_port" "$jar" installer 55555
leds=$(curl -sk -b "$jar" --max-time 10 "https://127.0.0.1:$https_port/api/v1/leds")
echo "leds: $leds"
check "the simulated front panel shows Power on" \
  grep -q '"hardware":"simulated".*"name":"power","on":true' <<<"$leds"
check "health has the Modbus gateway's port" grep -q "\"modbus_port\":$modbus_port" <<<"$health"
check "the gateway listens" test "$modbus_port" -gt 0

# Without an RS485 adapter and with the gateway's port taken, the box still serves its pages.
first=("$data" "$server_pid" "$https_port" "$http_port" "$modbus_port")
data="$TEST_TMPDIR/second"
check "a second server starts although its gateway port is taken" \
  start_server --modbus_port="$modbus_port"
ews_login "https://127.0.0.1:$https_port" "$jar" installer 55555 >/dev/null
devices=$(curl -sk -b "$jar" --max-time 10 "https://127.0.0.1:$https_port/api/v1/devices")
echo "devices: $devices"
check "it reports the RS485 line as unavailable" grep -q '"name":"rs485","available":false' <<<"$devices"
check "it reports why the gateway is not running" grep -q '"gateway":{"problem":"' <<<"$devices"
check "SIGTERM stops the second server" stop_server
data=${first[0]} server_pid=${first[1]} https_port=${first[2]} http_port=${first[3]}
modbus_port=${first[4]}

tls=$(timeout 10 openssl s_client -connect "127.0.0.1:$https_port" -tls1_3 </dev/null 2>&1)
check "TLS 1.3 with TLS_AES_256_GCM_SHA384" grep -q 'New, TLSv1.3, Cipher is TLS_AES_256_GCM_SHA384' <<<"$tls"
check "the server signs with ECDSA" grep -q 'Peer signature type: ECDSA' <<<"$tls"
check "the certificate key is P-256" grep -q 'ASN1 OID: prime256v1' \
  <<<"$(openssl x509 -in "$data/tls/server.pem" -noout -text)"
old=$(timeout 10 openssl s_client -connect "127.0.0.1:$https_port" -tls1_1 -cipher 'DEFAULT@SECLEVEL=0' </dev/null 2>&1)
check "TLS 1.1 refused" grep -q 'alert protocol version' <<<"$old"

maps=$(cat "/proc/$server_pid/maps")
check "BoringSSL is mapped in the server" grep -q 'android/libssl.so.0' <<<"$maps"
check "OpenSSL (libssl.so.3) is not mapped in the server" bash -c "! grep -q 'libssl.so.3' <<<\"\$0\"" "$maps"

redirect=$(curl -s -i --max-time 10 "http://127.0.0.1:$http_port/api/v1/health")
check "plain HTTP answers 308 to HTTPS" grep -q "Location: https://127.0.0.1:$https_port/api/v1/health" <<<"$redirect"

page=$(curl -sk --max-time 10 "https://127.0.0.1:$https_port/")
check "the web UI is served" grep -q '<title>EWS' <<<"$page"
missing=$(curl -sk -o /dev/null -w '%{http_code}' --max-time 10 "https://127.0.0.1:$https_port/api/v1/nope")
check "unknown API path is 404" test "$missing" = 404
long_path=$(printf 'a%.0s' $(seq 1 20000))
curl -sk -o /dev/null --max-time 10 "https://127.0.0.1:$https_port/$long_path"
check "an oversized request leaves the server running" \
  grep -q '"status":"ok"' <<<"$(curl -sk --max-time 10 "https://127.0.0.1:$https_port/api/v1/health")"

fingerprint=$(openssl x509 -in "$data/tls/server.pem" -noout -fingerprint -sha256)
config_before=$(sha256sum < "$data/config.textproto")
check "SIGTERM stops the server with status 0" stop_server
check "the ready file is removed on shutdown" test ! -e "$data/run/ews-server.ready"

# --- restart: nothing regenerated ------------------------------------------------------------
check "server restarts" start_server
check "certificate kept across restart" \
  test "$(openssl x509 -in "$data/tls/server.pem" -noout -fingerprint -sha256)" = "$fingerprint"
check "configuration kept across restart" test "$(sha256sum < "$data/config.textproto")" = "$config_before"
check "SIGTERM again" stop_server

# --- the RTC's battery died while the box was off: time invalid until set --------------------
check "server starts with a dead RTC battery" start_server --simulate_rtc_battery_dead
check "health reports the time as invalid" grep -q '"time_valid":false' \
  <<<"$(curl -sk --max-time 10 "https://127.0.0.1:$https_port/api/v1/health")"
check "the log says the time is invalid until set" grep -q 'time invalid until set' "$TEST_TMPDIR/server.log"
check "SIGTERM with a dead battery" stop_server

# --- a corrupt configuration is never replaced by silent defaults ----------------------------
# (last-good is the configuration before the latest save: here the one before the code change)
cp "$data/config.textproto.last-good" "$TEST_TMPDIR/good.textproto"
printf 'garbage {{{' > "$data/config.textproto"
check "starts on the last good copy when the configuration is corrupt" start_server
check "the corrupt file is kept aside for inspection" bash -c "ls '$data' | grep -q 'config.textproto.corrupt-'"
check "the configuration is restored from the last good copy" \
  cmp -s "$data/config.textproto" "$TEST_TMPDIR/good.textproto"
check "an error naming the file was logged" grep -q 'E .*config.textproto' "$TEST_TMPDIR/server.log"
check "SIGTERM after recovery" stop_server

printf 'garbage' > "$data/config.textproto"
printf 'garbage' > "$data/config.textproto.last-good"
if start_server; then
  fail "started although the configuration and its last good copy are both corrupt"
  stop_server
else
  wait "$server_pid"
  server_pid=""
  check "refuses to start when both copies are corrupt, saying so" \
    grep -q 'cannot start: DATA_LOSS' "$TEST_TMPDIR/server.log"
fi

echo "--- server log"; cat "$TEST_TMPDIR/server.log"
finish
