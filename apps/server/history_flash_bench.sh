#!/usr/bin/env bash
# Flash wear of ews-server itself: bytes written per stored history sample.
#
# Runs ews-server as demo.sh does (the demo's simulated devices on a virtual RS485 bus, found by
# a bus scan on the first start, and three simulated pulse counters: 13 devices), then reads
# write_bytes (bytes the process made the kernel write to storage, page-granular) and wchar
# (bytes passed to write(), sockets and pipes included) from /proc/PID/io between two commits of
# the history writer, N commits apart, and divides by the samples committed in between (health's
# history_writes). The log goes to a pipe (as to journald on the device), and no request is made
# inside the window.
#
#   bazel run //apps/server:history_flash_bench -- [--commits=3] [--warmup=2] [--poll_s=0]
#                                                  [--commit_s=0] [--data_dir=DIR]
#                                                  [--fs=ext4|ext4-nojournal] [--mount_options=O]
#     --warmup     commits to let pass first (the first registers the series, a transaction each)
#     --poll_s     history poll period of the Modbus devices (0: the profiles' one minute)
#     --commit_s   storage.commit_interval_s (0: the default, once a minute); 300 = flash-saving
#     --data_dir   where the data directory lives (default: a temporary one under /tmp); put it
#                  on the file system whose wear you measure
#     --fs         the data directory on a file system of its own: a 256 MiB image (a small
#                  device's data partition), mkfs.ext4 with 4 KiB blocks, with its journal or
#                  without, inode tables initialised at once (no background zeroing), loop-mounted
#                  (needs root). Adds the loop device's own count of bytes written: everything the
#                  file system wrote for ews-server, the journal (written by jbd2, which
#                  write_bytes does not see) and the inodes included
#     --mount_options  more options for that mount, e.g. commit=300 (ext4's journal commit
#                  interval, 5 s by default)
#     --quick      10 s polls and commits, 2 commits: checks that the bench runs (bazel test)
#
# Prints "samples N", "write_bytes B (X B/sample)", "wchar B (Y B/sample)", a per-day figure and,
# with --fs, "device B (Z B/sample)".
set -uo pipefail

commits=3 warmup=2 poll_s=0 commit_s=0 data_parent="" quick=0 fs="" mount_options=""
for arg in "$@"; do
  case "$arg" in
    --commits=*) commits=${arg#*=} ;;
    --warmup=*) warmup=${arg#*=} ;;
    --poll_s=*) poll_s=${arg#*=} ;;
    --commit_s=*) commit_s=${arg#*=} ;;
    --data_dir=*) data_parent=${arg#*=} ;;
    --fs=ext4 | --fs=ext4-nojournal) fs=${arg#*=} ;;
    --mount_options=*) mount_options=${arg#*=} ;;
    --quick) quick=1 commits=2 poll_s=10 commit_s=10 ;;
    *) echo "unknown argument $arg" >&2; exit 2 ;;
  esac
done

# Binaries: from the runfiles (bazel run / bazel test) or bazel-bin.
here=${RUNFILES_DIR:-$0.runfiles}/ews
[[ -d "$here" ]] || here=${TEST_SRCDIR:-}/ews
server="$here/apps/server/ews-server"
[[ -x "$server" ]] || { echo "ews-server not found under $here" >&2; exit 1; }

source "$here/tests/lib/test_lib.sh"
# The demo's bus, in a new run directory under /tmp (its control socket needs a short path).
start_lab_bus "$here" >/dev/null
data=${data_parent:-$run}/ews-flash-data
mnt="" loop=""
trap 'stop_lab; if [[ -n "$mnt" ]]; then umount "$mnt"; rm -rf "${mnt%/*}"; else rm -rf "$data"; fi' EXIT
rm -rf "$data"
if [[ -n "$fs" ]]; then
  image_dir=$(mktemp -d "${data_parent:-/tmp}/ews-flash-fs.XXXXXX")
  truncate -s 256M "$image_dir/data.img"
  features=()
  [[ "$fs" == ext4-nojournal ]] && features=(-O ^has_journal)
  mkfs.ext4 -q -F -b 4096 "${features[@]}" -E lazy_itable_init=0,lazy_journal_init=0 \
    "$image_dir/data.img" || exit 1
  mkdir "$image_dir/mnt"
  mount -o "loop${mount_options:+,$mount_options}" "$image_dir/data.img" "$image_dir/mnt" ||
    { echo "cannot mount a loop file system (needs root)" >&2; rm -rf "$image_dir"; exit 1; }
  mnt=$image_dir/mnt
  loop=$(findmnt -n -o SOURCE "$mnt")
  data=$mnt/ews-flash-data
fi
# Sectors the data file system wrote to its device (field 7 of /sys/block/DEV/stat).
device_bytes() { [[ -n "$loop" ]] && awk '{print $7 * 512}' "/sys/block/${loop##*/}/stat"; }

start() {
  rm -f "$data/run/ews-server.ready"
  "$server" --data_dir="$data" --bind_address=127.0.0.1 --https_port=0 --http_port=-1 \
    --modbus_port=-1 --rs485_device="$run/ep0" --scan_on_first_start=1-30 \
    --simulate_pulse_inputs --model_size=32 2> >(cat >>"$run/server.log") &
  server_pid=$!
  wait_ready "$data" "$server_pid" ||
    { cat "$run/server.log"; echo "ews-server did not start" >&2; exit 1; }
  port=$https_port
}

# First start: the bus scan configures the demo's devices. Then the poll and commit periods.
start
stop_server
config="$data/config.textproto"
if [[ "$poll_s" != 0 ]]; then
  sed -i "s/^\(\s*\)modbus_devices {/&\n\1  poll_interval_s: $poll_s/" "$config"
fi
if [[ "$commit_s" != 0 ]]; then
  sed -i "s/^\(\s*\)storage {/&\n\1  commit_interval_s: $commit_s/" "$config"
fi
devices=$(grep -c 'modbus_devices {' "$config")
pulses=$(grep -c 'pulse_counters {' "$config")
start

committed() {
  curl -sk --max-time 5 "https://127.0.0.1:$port/api/v1/health" |
    grep -o '"committed_samples":[0-9]*' | cut -d: -f2
}
# Commits run at k x interval + min(interval / 2, 30 s) of the wall clock: sleeps until 3 s after
# the next one (it is done by then).
interval=$((commit_s == 0 ? 60 : commit_s))
offset=$((interval / 2 < 30 ? interval / 2 : 30))
after_next_commit() {
  local now into
  now=$(date +%s.%N)
  into=$(awk -v t="$now" -v i="$interval" -v o="$offset" 'BEGIN {
    x = (t - o) - int((t - o) / i) * i; print i - x + 3 }')
  sleep "$into"
}
io() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$server_pid/io"; }

for _ in $(seq 1 "$warmup"); do after_next_commit; done  # the first registers the series
s0=$(committed) w0=$(io write_bytes) c0=$(io wchar) d0=$(device_bytes) t0=$(date +%s)
for _ in $(seq 1 "$commits"); do after_next_commit; done
w1=$(io write_bytes) c1=$(io wchar) d1=$(device_bytes) t1=$(date +%s) s1=$(committed)
stop_server

samples=$((s1 - s0))
(( samples > 0 )) || { echo "no samples committed" >&2; exit 1; }
wb=$((w1 - w0)) wc=$((c1 - c0)) secs=$((t1 - t0))
echo "ews-server: $devices Modbus devices + $pulses pulse counters," \
  "poll ${poll_s/#0/60 (profiles)} s, commit interval ${commit_s/#0/60 (default)} s"
echo "window $secs s, $commits commits after $warmup${fs:+, data on $fs ($(findmnt -n -o OPTIONS "$mnt"))}"
echo "samples $samples ($((samples * 60 / secs)) a minute)"
awk -v wb="$wb" -v wc="$wc" -v n="$samples" -v s="$secs" 'BEGIN {
  printf "write_bytes %d (%.1f B/sample, %.1f MB a day)\n", wb, wb / n, wb / s * 86400 / 1e6
  printf "wchar %d (%.1f B/sample, %.1f MB a day)\n", wc, wc / n, wc / s * 86400 / 1e6
}'
if [[ -n "$loop" ]]; then
  awk -v d="$((d1 - d0))" -v n="$samples" -v s="$secs" 'BEGIN {
    printf "device %d (%.1f B/sample, %.1f MB a day)\n", d, d / n, d / s * 86400 / 1e6 }'
fi
