#!/usr/bin/env bash
# End to end over real HTTPS (curl): the installer reads and applies a configuration section;
# malformed, unknown-field, wrong-section, oversized and CSRF-less requests get 4xx and leave
# config.textproto byte-identical; an applied RS485 change is live (no restart required); the
# backup is the administrator's only.
set -uo pipefail

source tests/lib/test_lib.sh
data="$TEST_TMPDIR/data"
jar="$TEST_TMPDIR/cookies"

check "the server starts" ews_start apps/server/ews-server "$data" "$TEST_TMPDIR/server.log" \
  --http_port=-1 --modbus_port=-1 --rtc_device=/nonexistent/rtc --rs485_device=/nonexistent/tty
base="https://127.0.0.1:$https_port"

# call METHOD PATH [BODY] [extra curl args...]: prints "BODY STATUS"
call() {
  local method=$1 path=$2 body=${3:-}; shift 3 2>/dev/null || shift $#
  curl -sk --max-time 10 -b "$jar" -c "$jar" -X "$method" -w ' %{http_code}' \
    ${body:+--data-binary "$body"} "$@" "$base$path"
}
status_of() { echo "${1##* }"; }

csrf=$(ews_login "$base" "$jar" installer 55555)
check "the installer logs in, changing the factory codes" test -n "$csrf"

r=$(call GET /api/v1/config/rs485)
check "GET rs485 answers 200" test "$(status_of "$r")" = 200
check "with the section" grep -q '^{"rs485":{"device":' <<<"$r"

cp "$data/config.textproto" "$TEST_TMPDIR/before"
bad() { # bad "description" STATUS CODE METHOD PATH BODY [curl args...]
  local what=$1 want=$2 code=$3 method=$4 path=$5 body=$6; shift 6
  local r
  r=$(call "$method" "$path" "$body" -H "X-CSRF-Token: $csrf" "$@")
  check "$what: $want" test "$(status_of "$r")" = "$want"
  [[ -z "$code" ]] || check "$what: code $code" grep -q "\"code\":\"$code\"" <<<"$r"
}
bad "truncated JSON" 400 malformed_body PUT /api/v1/config/rs485 '{"rs485":{"baud_rate":96'
bad "unknown field" 400 unknown_field PUT /api/v1/config/rs485 '{"rs485":{"baudrate":9600}}'
bad "another section's key" 400 wrong_section PUT /api/v1/config/rs485 '{"network":{}}'
bad "invalid value" 400 invalid_config PUT /api/v1/config/rs485 '{"rs485":{"baud_rate":14400}}'
head -c 300000 /dev/zero | tr '\0' 'x' >"$TEST_TMPDIR/big"
bad "a 300 KB body" 413 body_too_large PUT /api/v1/config/rs485 "@$TEST_TMPDIR/big"
head -c 2000000 /dev/zero | tr '\0' 'x' >"$TEST_TMPDIR/huge"
bad "a 2 MB body" 413 "" PUT /api/v1/config/rs485 "@$TEST_TMPDIR/huge"
bad "a path with .." 400 "" PUT /api/v1/config/../config/rs485 '{"rs485":{}}' --path-as-is
bad "an escaped path" 400 "" PUT /api/v1/config/%2e%2e/config/rs485 '{"rs485":{}}' --path-as-is
r=$(call PUT /api/v1/config/rs485 '{"rs485":{"baud_rate":9600}}')
check "no CSRF token: 403" test "$(status_of "$r")" = 403
bad "restore by the installer" 403 "" POST /api/v1/config/restore "@$data/config.textproto"
check "config.textproto is byte-identical after every refused request" \
  cmp -s "$data/config.textproto" "$TEST_TMPDIR/before"

section=$(call GET /api/v1/config/rs485)
section=${section% *}
new=$(sed 's/"baud_rate":[0-9]*/"baud_rate":9600/' <<<"$section")
r=$(call PUT /api/v1/config/rs485 "$new" -H "X-CSRF-Token: $csrf")
check "an RS485 change applies (200)" test "$(status_of "$r")" = 200
check "live, without a restart" grep -q '"applied_live":\["rs485"\],"restart_required":false' <<<"$r"
check "it is saved" grep -q 'baud_rate: 9600' "$data/config.textproto"
r=$(call GET /api/v1/health)
check "the server answers after the change" test "$(status_of "$r")" = 200
r=$(call GET /api/v1/config/backup)
check "the backup is the administrator's only (403)" test "$(status_of "$r")" = 403

# --- the administrator: backup and restore --------------------------------------------------
jar="$TEST_TMPDIR/admin-cookies"
csrf=$(ews_login "$base" "$jar" administrator 99999 97531 "11223 3445 56677")
check "the administrator logs in, changing the factory codes" test -n "$csrf"
curl -sk --max-time 10 -b "$jar" -o "$TEST_TMPDIR/backup" -w '%{http_code}' \
  "$base/api/v1/config/backup" >"$TEST_TMPDIR/backup.status"
check "the administrator downloads the backup" grep -qx 200 "$TEST_TMPDIR/backup.status"
check "the backup is the stored file" cmp -s "$TEST_TMPDIR/backup" "$data/config.textproto"
cp "$data/config.textproto" "$TEST_TMPDIR/before"
head -c 500 "$TEST_TMPDIR/backup" >"$TEST_TMPDIR/truncated"
bad "a truncated backup" 400 "" POST /api/v1/config/restore "@$TEST_TMPDIR/truncated"
bad "a backup of another schema" 400 "" POST /api/v1/config/restore \
  "$(sed 's/^schema_version: 1$/schema_version: 99/' "$TEST_TMPDIR/backup")"
bad "garbage" 400 malformed_body POST /api/v1/config/restore 'not { a config'
check "config.textproto is byte-identical after every refused restore" \
  cmp -s "$data/config.textproto" "$TEST_TMPDIR/before"
r=$(call POST /api/v1/config/restore "@$TEST_TMPDIR/backup" -H "X-CSRF-Token: $csrf")
check "the backup restores (200)" test "$(status_of "$r")" = 200
check "and changes nothing" grep -q '"changed_sections":\[\]' <<<"$r"
r=$(call GET "/api/v1/audit?limit=20")
check "the audit log has the apply, the backup and the restores" \
  bash -c 'grep -q "config.rs485" <<<"$1" && grep -q "config.backup" <<<"$1" &&
           grep -q "config.restore" <<<"$1"' _ "$r"
check "and the RS485 change from -> to" grep -q '"field":"rs485.baud_rate","from":"19200","to":"9600"' <<<"$r"

check "the server stops cleanly" stop_server
finish "$TEST_TMPDIR/server.log"
