#!/usr/bin/env bash
# End to end over real HTTPS (curl): factory codes forced to change, CSRF rejection, lockout
# and PUK unblock, administrator audit view, logout; then a restart keeps the lockout state
# and the audit log, and ends every session.
set -uo pipefail

source tests/lib/test_lib.sh

data="$TEST_TMPDIR/data"
jar="$TEST_TMPDIR/cookies"

start_server() {
  ews_start apps/server/ews-server "$data" "$TEST_TMPDIR/server.log" --http_port=-1 \
    --modbus_port=-1 --rtc_device=/nonexistent/rtc || return 1
  base="https://127.0.0.1:$https_port"
}

# call METHOD PATH [BODY] [extra curl args...]: prints "STATUS BODY"
call() {
  local method=$1 path=$2 body=${3:-}; shift 3 2>/dev/null || shift $#
  curl -sk --max-time 10 -b "$jar" -c "$jar" -X "$method" -w ' %{http_code}' \
    ${body:+-d "$body"} "$@" "$base$path"
}
status_of() { echo "${1##* }"; }
csrf_of() { sed -n 's/.*"csrf_token":"\([0-9a-f]*\)".*/\1/p' <<<"$1"; }

check "server starts" start_server || { cat "$TEST_TMPDIR/server.log"; exit 1; }

# --- forced change of the factory codes, CSRF -----------------------------------------------
login=$(call POST /api/v1/session/login '{"role":"administrator","pin":"99999"}' \
  -D "$TEST_TMPDIR/headers")
check "factory administrator logs in" test "$(status_of "$login")" = 200
check "and must change the codes" grep -q '"must_change_pin":true' <<<"$login"
check "the cookie is Secure, HttpOnly, SameSite=Strict" grep -qi \
  '^set-cookie: __Host-ews_session=[0-9a-f]\{64\}; Path=/; Max-Age=28800; Secure; HttpOnly; SameSite=Strict' \
  "$TEST_TMPDIR/headers"
csrf=$(csrf_of "$login")
r=$(call GET /api/v1/users)
check "nothing else is allowed before the change (403)" test "$(status_of "$r")" = 403
body='{"current_pin":"99999","new_pin":"31415","new_puk":"27182 8182 84590"}'
r=$(call POST /api/v1/session/codes "$body")
check "a change without the CSRF token is refused (403)" test "$(status_of "$r")" = 403
r=$(call POST /api/v1/session/codes "$body" -H "X-CSRF-Token: 0000")
check "a change with a wrong CSRF token is refused (403)" test "$(status_of "$r")" = 403
r=$(call POST /api/v1/session/codes "$body" -H "X-CSRF-Token: $csrf")
check "the change with the CSRF token succeeds" test "$(status_of "$r")" = 200
r=$(call GET /api/v1/users)
check "now the administrator sees the users" test "$(status_of "$r")" = 200
check "no code is stored in clear" bash -c "! grep -qE '31415|27182' '$data/config.textproto'"

# --- lockout and unblock (another client) ---------------------------------------------------
for i in 1 2 3 4 5; do
  r=$(curl -sk --max-time 10 -w ' %{http_code}' -X POST \
    -d '{"role":"user","pin":"00001"}' "$base/api/v1/session/login")
done
check "the 5th wrong PIN is refused (401)" test "$(status_of "$r")" = 401
r=$(curl -sk --max-time 10 -w ' %{http_code}' -X POST -d '{"role":"user","pin":"11111"}' \
  "$base/api/v1/session/login")
check "the blocked user cannot log in with the right PIN (409)" test "$(status_of "$r")" = 409

# --- restart: lockout state and audit survive, sessions do not -----------------------------
check "SIGTERM stops the server" stop_server
check "server restarts" start_server
r=$(call GET /api/v1/users)
check "sessions end with a restart (401)" test "$(status_of "$r")" = 401
r=$(curl -sk --max-time 10 -w ' %{http_code}' -X POST -d '{"role":"user","pin":"11111"}' \
  "$base/api/v1/session/login")
check "the block survives the restart (409)" test "$(status_of "$r")" = 409
r=$(curl -sk --max-time 10 -w ' %{http_code}' -X POST \
  -d '{"role":"user","puk":"00000 1111 00000","new_pin":"24680"}' "$base/api/v1/session/unblock")
check "the PUK unblocks the user with a new PIN" test "$(status_of "$r")" = 200
r=$(curl -sk --max-time 10 -w ' %{http_code}' -X POST -d '{"role":"user","pin":"24680"}' \
  "$base/api/v1/session/login")
check "the user logs in with the new PIN" test "$(status_of "$r")" = 200

login=$(call POST /api/v1/session/login '{"role":"administrator","pin":"31415"}')
check "the administrator logs in with its new PIN" test "$(status_of "$login")" = 200
audit=$(call GET '/api/v1/audit?limit=100')
echo "audit: $audit"
check "the audit log kept the entries from before the restart" \
  grep -q '"action":"auth.codes_changed"' <<<"$audit"
check "the audit log has the block" grep -q '"action":"auth.blocked"' <<<"$audit"
check "the audit log has the unblock" grep -q '"action":"auth.unblocked"' <<<"$audit"
check "the audit log names the client address" grep -q '"address":"127.0.0.1"' <<<"$audit"
check "no code appears in the audit log" \
  bash -c "! grep -qE '31415|27182|24680|00001' <<<'$audit'"
r=$(call POST /api/v1/session/logout '' -H "X-CSRF-Token: $(csrf_of "$login")")
check "logout" test "$(status_of "$r")" = 200
r=$(call GET /api/v1/session)
check "after logout the session is gone (401)" test "$(status_of "$r")" = 401

check "SIGTERM stops the server again" stop_server
finish "$TEST_TMPDIR/server.log"
