#!/usr/bin/env bash
# Memory of ews-server while it serves history files: resident size (VmRSS, VmHWM of
# /proc/PID/status) at idle and after rounds of CSV downloads, each round two web downloads
# (civetweb workers) and one FTPS download (a fresh FTP thread) of day files at once, a round
# every 3 s (the login rate limits), for glibc's default malloc arenas (--malloc_arenas=0) and
# another setting (--arenas, default the server's 2).
#
#   bazel run //apps/server:memory_bench -- [--rounds=15] [--days=3] [--devices=4] [--series=30]
#                                           [--arenas=2]
#     --arenas  the setting compared with glibc's default (ews-server's --malloc_arenas)
#     --quick   2 rounds on a small history: checks that the bench runs (bazel test)
#
# Prints, for each setting, "arenas A: idle X MB, after N rounds Y MB, peak Z MB" and the ratio
# of the two final sizes. Loopback only; the history is sdk/export's fixture (minute values up
# to now), so every day file is built from the store at each download.
set -uo pipefail

rounds=15 days=3 devices=4 series=30 arenas=2
for arg in "$@"; do
  case "$arg" in
    --rounds=*) rounds=${arg#*=} ;;
    --days=*) days=${arg#*=} ;;
    --devices=*) devices=${arg#*=} ;;
    --series=*) series=${arg#*=} ;;
    --arenas=*) arenas=${arg#*=} ;;
    --quick) rounds=2 days=2 devices=2 series=4 ;;
    *) echo "unknown argument $arg" >&2; exit 2 ;;
  esac
done

here=${RUNFILES_DIR:-$0.runfiles}/ews
[[ -d "$here" ]] || here=${TEST_SRCDIR:-}/ews
cd "$here" || exit 1
source tests/lib/test_lib.sh
source tests/lib/ews_session.sh
# The flag decides, not an arena limit from the caller's environment (which would win).
unset MALLOC_ARENA_MAX
work=$(mktemp -d /tmp/ews-memory.XXXXXX)
trap 'kill_server; rm -rf "$work"' EXIT

sdk/export/history_fixture "$work/history.db" UTC "$days" "$devices" "$series" ||
  { echo "history fixture failed" >&2; exit 1; }
pin=31415

rss_mb() { awk -v k="$1:" '$1 == k {printf "%.1f", $2 / 1024}' "/proc/$server_pid/status"; }

# measure ARENAS: prints one line and leaves the final RSS in $final.
measure() {
  local arenas=$1 data="$work/data-$1" log="$work/server-$1.log" idle i d pid
  mkdir -p "$data"
  cp "$work/history.db" "$data/"
  ews_start apps/server/ews-server "$data" "$log" --http_port=-1 --modbus_port=-1 --ftp_port=0 \
    --rtc_device=/nonexistent/rtc --malloc_arenas="$arenas" ||
    { cat "$log"; echo "ews-server did not start" >&2; exit 1; }
  local base="https://127.0.0.1:$https_port" jar="$work/jar-$arenas"
  ews_login "$base" "$jar" administrator 99999 "$pin" "27182 8182 84590" >/dev/null ||
    { echo "login failed" >&2; exit 1; }
  idle=$(rss_mb VmRSS)
  day() { date -u -d "$(($1 % days + 1)) day ago" +%Y-%m-%d; }
  for ((i = 0; i < rounds; i++)); do
    d=$((i % devices + 1))
    local downloads=()
    curl -fsk --max-time 60 -b "$jar" -o /dev/null \
      "$base/api/v1/files/meter-$d/meter-${d}_$(day "$i").csv" &
    downloads+=($!)
    curl -fsk --max-time 60 -b "$jar" -o /dev/null \
      "$base/api/v1/files/meter-$d/meter-${d}_$(day $((i + 1))).csv" &
    downloads+=($!)
    # Each FTP login from its own address, a round at most every 3 s: the login rate limits
    # (per address and per user type) would refuse a faster stream.
    curl -s --max-time 60 --ssl-reqd -k --interface "127.0.0.$((10 + i % 100))" \
      --user "administrator:$pin" -o /dev/null \
      "ftp://127.0.0.1:$ftp_port/meter-$d/meter-${d}_$(day $((i + 2))).csv" &
    downloads+=($!)
    # Each download by its pid: `wait` alone would wait for the server too.
    for pid in "${downloads[@]}"; do
      wait "$pid" || { echo "round $i: a download failed (curl exit $?)" >&2; exit 1; }
    done
    sleep 3
  done
  final=$(rss_mb VmRSS)
  echo "arenas $arenas$([[ $arenas == 0 ]] && echo " (glibc default)"): idle $idle MB," \
    "after $rounds rounds $final MB, peak $(rss_mb VmHWM) MB"
  stop_server
}

echo "ews-server: $devices devices x $series series, $days days of minute history;" \
  "$rounds rounds of 2 web + 1 FTPS day-file downloads at once"
measure 0
glibc=$final
measure "$arenas"
awk -v a="$glibc" -v b="$final" -v n="$arenas" \
  'BEGIN { printf "final RSS, %d arenas / glibc default: %.2f\n", n, b / a }'
