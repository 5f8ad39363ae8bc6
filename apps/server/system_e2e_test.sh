#!/usr/bin/env bash
# The system API end to end over real HTTPS (curl): the time set by a real NTP server (Debian's
# chronyd on loopback, started here) through the SNTP synchronizer after the RTC lost its time,
# version, network state, logs, the device CA (downloaded without a login; curl then trusts the
# server with it and no -k), a bad certificate upload refused with nothing changed, the time
# set by hand, a graceful restart (exit status 75 for the service manager), and a server
# certificate renewed by the periodic check, served after such a restart under the same CA.
set -uo pipefail
source tests/lib/test_lib.sh

data="$TEST_TMPDIR/data"
jar="$TEST_TMPDIR/cookies"
chrony_pid=""

cleanup() {
  kill_server
  [[ -n "$chrony_pid" ]] && kill -TERM "$chrony_pid" 2>/dev/null
  true
}
trap cleanup EXIT

# --- an NTP server on loopback: chronyd, unprivileged port, its own clock as reference ------
ntp_port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$TEST_TMPDIR/chrony.conf" <<CONF
port $ntp_port
bindaddress 127.0.0.1
allow 127.0.0.1
cmdport 0
local stratum 8
pidfile $TEST_TMPDIR/chrony.pid
driftfile $TEST_TMPDIR/chrony.drift
CONF
user_flag=(); [[ $(id -u) == 0 ]] && user_flag=(-u root)
/usr/sbin/chronyd -f "$TEST_TMPDIR/chrony.conf" -d -x "${user_flag[@]}" \
  >"$TEST_TMPDIR/chrony.log" 2>&1 &
chrony_pid=$!

start_server() {
  ews_start apps/server/ews-server "$data" "$TEST_TMPDIR/server.log" --http_port=-1 \
    --modbus_port=-1 --simulate_rtc "$@"
  port=$https_port
  base="https://127.0.0.1:$port"
}
call() { # call METHOD PATH [BODY]: prints "BODY STATUS"
  curl -sk --max-time 10 -b "$jar" -c "$jar" -X "$1" -w ' %{http_code}' \
    -H "X-CSRF-Token: ${csrf:-}" ${3:+-d "$3"} "$base$2"
}
status_of() { echo "${1##* }"; }

# The first start makes the data directory; the second one finds a dead RTC battery.
start_server --ntp_servers=off
check "server starts" test -n "${port:-}"
check "and stops" stop_server
start_server --simulate_rtc_battery_dead --ntp_servers="127.0.0.1:$ntp_port"
check "server starts with a dead RTC battery and NTP on loopback" test -n "${port:-}"

csrf=$(ews_login "$base" "$jar" administrator 99999)
check "the administrator logs in" test -n "$csrf"

# --- NTP sets the time --------------------------------------------------------------------
for _ in $(seq 1 300); do  # at most 30 s: three samples 2 s apart, then the step
  ntp=$(call GET /api/v1/system/ntp)
  grep -q '"last_sync":"' <<<"$ntp" && break
  sleep 0.1
done
echo "ntp: $ntp"
check "NTP status lists the server" grep -q "\"server\":\"127.0.0.1:$ntp_port\"" <<<"$ntp"
check "NTP synchronised from chronyd" grep -q '"last_sync":"' <<<"$ntp"
time=$(call GET /api/v1/system/time)
echo "time: $time"
check "the time is valid now, from NTP" grep -q '"valid":true,"source":"ntp"' <<<"$time"
check "the dead battery is still reported" grep -q '"battery_warning":true' <<<"$time"
device_s=$(date -u -d "$(sed -n 's/.*"time":"\([^"]*\)".*/\1/p' <<<"$time")" +%s)
check "and agrees with chronyd's (the host's) clock within 5 s" \
  test $(( device_s - $(date +%s) )) -le 5 -a $(( $(date +%s) - device_s )) -le 5

# --- version, network, logs -----------------------------------------------------------------
r=$(call GET /api/v1/system/version)
check "version" grep -qE '^\{"version":"[0-9]+\.[0-9]+\.[0-9]+","model_size":(10|32),"api":"v1"\} 200$' <<<"$r"
r=$(call GET /api/v1/system/network)
check "network state lists loopback with its address" grep -q '"name":"lo".*"127.0.0.1/8"' <<<"$r"
r=$(call GET '/api/v1/system/logs?limit=1000')
check "recent log lines include the start" grep -q '"message":"EWS ready: https://' <<<"$r"
r=$(call GET '/api/v1/system/logs?limit=5000')
check "a bad log limit is 400 with a code" grep -q '"code":"invalid_argument".* 400$' <<<"$r"

# --- certificates -----------------------------------------------------------------------------
ca=$(curl -s -k --max-time 10 -w ' %{http_code}' "$base/api/v1/system/ca-certificate")
check "the CA certificate downloads without a login" test "$(status_of "$ca")" = 200
curl -sk --max-time 10 -o "$TEST_TMPDIR/ca.pem" "$base/api/v1/system/ca-certificate"
check "it is the device CA" cmp -s "$TEST_TMPDIR/ca.pem" "$data/tls/ca.pem"
check "curl trusts the server with the downloaded CA (no -k)" \
  curl -s --max-time 10 --cacert "$TEST_TMPDIR/ca.pem" -o /dev/null \
  --resolve "localhost:$port:127.0.0.1" "https://localhost:$port/api/v1/health"
r=$(call GET /api/v1/system/certificate)
served=$(timeout 10 openssl s_client -connect "127.0.0.1:$port" </dev/null 2>/dev/null |
  openssl x509 -noout -fingerprint -sha256 | cut -d= -f2)
ca_fp=$(openssl x509 -in "$data/tls/ca.pem" -noout -fingerprint -sha256 | cut -d= -f2)
check "the certificate route shows the served certificate's fingerprint" \
  grep -q "\"in_use\":{[^}]*\"sha256_fingerprint\":\"$served\"" <<<"$r"
check "and the CA's" grep -q "\"ca\":{[^}]*\"sha256_fingerprint\":\"$ca_fp\"" <<<"$r"
before=$(sha256sum "$data/tls/server.pem")
r=$(call PUT /api/v1/system/certificate "{\"certificate\":\"garbage\",\"private_key\":\"\"}")
check "a bad certificate upload is refused (400 bad_certificate)" \
  grep -q '"code":"bad_certificate".* 400$' <<<"$r"
check "and the served certificate is unchanged" test "$(sha256sum "$data/tls/server.pem")" = "$before"
check "no site certificate was installed" test ! -e "$data/tls/site.pem"

# --- time set by hand -----------------------------------------------------------------------
r=$(call PUT /api/v1/system/time '{"time":"2027-01-01T00:00:00Z"}')
check "the administrator sets the time (200)" test "$(status_of "$r")" = 200
r=$(call GET /api/v1/system/time)
check "the time follows, from the user" grep -q '"time":"2027-01-01T00:00:0[0-9]Z".*"source":"user"' <<<"$r"
r=$(call PUT /api/v1/system/time '{"time":"2027-01-01"}')
check "a malformed time is 400 and changes nothing" test "$(status_of "$r")" = 400

# --- graceful restart -----------------------------------------------------------------------
r=$(call POST /api/v1/system/restart '')
check "restart is accepted (202)" test "$(status_of "$r")" = 202
for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
wait "$server_pid"
code=$?
server_pid=""
check "the server exits with status 75 for its service manager" test "$code" = 75
check "the ready file is removed" test ! -e "$data/run/ews-server.ready"
check "the log says why" grep -q 'restart requested: asked for through the API' "$TEST_TMPDIR/server.log"
# --- certificate renewal: the periodic check issues a new server certificate, the server restarts
start_server --ntp_servers=off --certificate_check_s=1
check "and starts again on the same data" test -n "${port:-}"
old_fingerprint=$(openssl x509 -in "$data/tls/server.pem" -noout -fingerprint -sha256)
rm "$data/tls/server.pem"  # as good as expiring: the next check must issue a new one
for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || break; sleep 0.1; done
wait "$server_pid"
code=$?
server_pid=""
check "a renewed certificate restarts the server (exit 75)" test "$code" = 75
check "the log says why" grep -q 'restart requested: TLS certificate renewed' "$TEST_TMPDIR/server.log"
check "the new certificate is a new one" \
  test "$(openssl x509 -in "$data/tls/server.pem" -noout -fingerprint -sha256)" != "$old_fingerprint"
start_server --ntp_servers=off
check "the server starts with the renewed certificate" test -n "${port:-}"
check "which the same downloaded CA still vouches for" \
  curl -s --max-time 10 --cacert "$TEST_TMPDIR/ca.pem" -o /dev/null \
  --resolve "localhost:$port:127.0.0.1" "https://localhost:$port/api/v1/health"
check "the server stops cleanly" stop_server

finish "$TEST_TMPDIR/server.log"
