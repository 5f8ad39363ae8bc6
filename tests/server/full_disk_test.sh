#!/usr/bin/env bash
# ews-server with its data directory on a small file system that fills up: it keeps polling and
# serving, says so in /api/v1/health ("status":"degraded", history_writes.state "disk_full"),
# logs a line when it starts (not one per poll), keeps the newest samples in memory, and writes
# them by itself once space returns. The file system is a 3 MB tmpfs mounted in a mount namespace
# of the test's own (root only: skipped with a message where mounting is refused).
set -uo pipefail

source tests/lib/test_lib.sh
if [[ -z "${EWS_FULL_DISK_NS:-}" ]]; then
  # Re-run inside a private mount namespace, so that the mount is the test's alone.
  unshare -m --propagation private true 2>/dev/null ||
    skip "cannot create a mount namespace here (needs root): the full-disk test did not run"
  EWS_FULL_DISK_NS=1 exec unshare -m --propagation private "$0" "$@"
fi

root="$PWD"
small="$TEST_TMPDIR/small"
data="$small/data"
log="$TEST_TMPDIR/server.log"
cleanup() {
  stop_lab
  umount "$small" 2>/dev/null
  true
}

mkdir -p "$small"
mount -t tmpfs -o size=3m tmpfs "$small" ||
  skip "cannot mount a tmpfs here (needs root): the full-disk test did not run"

start_lab_bus
trap cleanup EXIT
start_server() {
  ews_start "$root/apps/server/ews-server" "$data" "$log" --http_port=-1 --modbus_port=-1 \
    --rs485_device="$run/ep0" --scan_on_first_start=1-30 --simulate_pulse_inputs \
    --model_size=32 || { cat "$log"; echo "FAIL: server did not start"; exit 1; }
}

# First start commissions the demo devices; then 10 s polls and 10 s commits.
start_server
stop_server
sed -i 's/^\(\s*\)modbus_devices {/&\n\1  poll_interval_s: 10/' "$data/config.textproto"
sed -i 's/^\(\s*\)storage {/&\n\1  commit_interval_s: 10/' "$data/config.textproto"
start_server
# The device list needs a session: log in (changing the factory codes) while the disk has room.
jar="$TEST_TMPDIR/cookies"
ews_login "https://127.0.0.1:$https_port" "$jar" installer 55555 >/dev/null ||
  { echo "FAIL: cannot log in"; exit 1; }

health() { curl -sk --max-time 5 "https://127.0.0.1:$https_port/api/v1/health"; }
field() { grep -o "\"$1\":[^,}]*" <<<"$2" | head -1 | cut -d: -f2- | tr -d '"'; }
# Waits (at most $1 s) until health matches the regular expression $2; prints the last health.
wait_health() {
  local h=""
  for _ in $(seq 1 $(($1 * 4))); do
    h=$(health)
    grep -qE "$2" <<<"$h" && break
    sleep 0.25
  done
  echo "$h"
}

h=$(wait_health 40 '"committed_samples":[1-9]')
echo "health: $h"
check "history is committed" grep -q '"state":"ok"' <<<"$h"
check "health says ok" grep -q '"status":"ok"' <<<"$h"

# Fill the file system to the last byte.
dd if=/dev/zero of="$small/filler" bs=64k 2>/dev/null
df -k "$small" | tail -1
full_at=$(date +%s)
h=$(wait_health 60 '"state":"disk_full"')
echo "health: $h"
check "health reports the full disk" grep -q '"history_writes":{"state":"disk_full"' <<<"$h"
check "and says degraded" grep -q '"status":"degraded"' <<<"$h"
check "with the cause" grep -q '"problem":"[^"]*full' <<<"$h"
# A further 30 s (three commit intervals) on the full disk: polling and serving go on.
sleep 30
h=$(health)
echo "health: $h"
buffered=$(field buffered_samples "$h")
check "the samples wait in memory ($buffered)" test "${buffered:-0}" -gt 100
check "the pages are still served" grep -q '"online":true' <<<"$(curl -sk -b "$jar" --max-time 5 \
  "https://127.0.0.1:$https_port/api/v1/devices")"
lines=$(grep -cE ' [WE] [a-z_]+\.cc:[0-9]+\] history' "$log")
check "a few log lines about it, not one per poll ($lines)" test "$lines" -le 3

# Space returns: the next commit writes what was kept.
committed=$(field committed_samples "$h")
rm -f "$small/filler"
h=$(wait_health 30 '"history_writes":\{"state":"ok"')
echo "health: $h"
check "health is ok again" grep -q '"status":"ok"' <<<"$h"
check "the buffered samples were written ($committed -> $(field committed_samples "$h"))" \
  test "$(field committed_samples "$h")" -ge $((committed + buffered))
check "nothing waits any more" test "$(field buffered_samples "$h")" = 0
check "the recovery is logged" grep -q 'history is written again' "$log"
echo "full for $(( $(date +%s) - full_at )) s"

check "SIGTERM stops the server with status 0" stop_server
echo "--- server log"; grep -v ' I ' "$log" | cut -c1-240 | tail -20
finish
