#!/usr/bin/env bash
# The device and lab rootfs tarballs: under 40 MB uncompressed, no OpenSSL in ews-server (only
# report_sender, a process of its own, maps OpenSSL's libcrypto through libcurl-gnutls's libssh2),
# a service user,
# the unit and the web bundle; and every binary starts with nothing but the image's own
# libraries (its loader, --library-path to the image's directories only, --inhibit-cache).
set -uo pipefail
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then echo "ok: $what"; else fail "$what"; fi; }

device=lab/image/device_rootfs.tar
lab=lab/image/lab_rootfs.tar
root="$TEST_TMPDIR/device"
mkdir -p "$root"
tar -xf "$device" -C "$root"

bytes=$(tar -tvf "$device" | awk '{s += $3} END {print s}')
echo "device image: $bytes bytes uncompressed ($((bytes / 1000000)) MB)"
check "the device image is under 40 MB uncompressed" test "$bytes" -lt 40000000
check "no OpenSSL libssl in the device image" \
  test -z "$(tar -tf "$device" | grep -E 'libssl\.so\.3')"
check "the BoringSSL shim (SONAME libssl.so) is in the image" \
  test -f "$root/usr/lib/x86_64-linux-gnu/libssl.so"
check "BoringSSL's libssl.so.0 is in the image" test -f "$root/usr/lib/x86_64-linux-gnu/android/libssl.so.0"
check "no shell in the device image" test ! -e "$root/usr/bin/sh"
check "the service user" grep -q '^ews:x:101:101:' "$root/etc/passwd"
check "the data directory belongs to it" \
  grep -qE '^drwxr-x--- 101/101 .* var/lib/ews/$' <<<"$(tar -tvf "$device" --numeric-owner)"
check "the systemd unit" grep -q '^User=ews' "$root/usr/lib/systemd/system/ews-server.service"
check "the web bundle" test -f "$root/usr/share/ews/web/index.html"
check "the device profiles" test -f "$root/usr/share/ews/profiles/emdx3_4_120_45.textproto"
check "the factory options" grep -q '^EWS_MODEL_SIZE=' "$root/etc/ews/factory.env"

# Run each binary with the image's loader and only the image's library directories.
run_in_image() {
  local tree=$1; shift
  "$tree/usr/lib64/ld-linux-x86-64.so.2" --inhibit-cache \
    --library-path "$tree/usr/lib/x86_64-linux-gnu/android:$tree/usr/lib/x86_64-linux-gnu" "$@"
}
version=$(run_in_image "$root" "$root/usr/bin/ews-server" --version 2>&1)
check "ews-server runs on the image's libraries ($version)" grep -q '^ews-server ' <<<"$version"

# ews-server's own libraries, as the image's loader resolves them: never OpenSSL's.
server_libs=$(run_in_image "$root" --list "$root/usr/bin/ews-server" 2>&1)
check "ews-server loads no OpenSSL library" \
  test -z "$(grep -E 'libssl\.so\.3|libcrypto\.so\.3' <<<"$server_libs")"
# It is started with a queued delivery's path; a missing one is its own error, not the loader's.
sender=$(run_in_image "$root" "$root/usr/bin/report_sender" /nonexistent 2>&1 | head -1)
check "report_sender runs on the image's libraries ($sender)" grep -q '^NOT_FOUND' <<<"$sender"

applied=$(run_in_image "$root" "$root/usr/bin/ews-network-apply" --config="$TEST_TMPDIR/none" \
  --networkd_dir="$TEST_TMPDIR" 2>&1)
check "ews-network-apply runs on the image's libraries ($applied)" test "$applied" = changed
check "the unit applies the network settings before the server starts" \
  grep -q '^ExecStartPre=+/usr/bin/ews-network-apply ' "$root/usr/lib/systemd/system/ews-server.service"
# systemd's own assessment of the unit's hardening, offline on the image's tree (0 = locked
# down, 10 = exposed; "OK" is below 3.0 — compared as tenths).
if command -v systemd-analyze >/dev/null; then
  security=$(systemd-analyze security --offline=true --root="$root" --threshold=30 \
    ews-server.service 2>&1)
  status=$?
  echo "$security" | grep 'Overall exposure'
  check "the unit's exposure level is OK (under 3.0)" test "$status" = 0
fi

labroot="$TEST_TMPDIR/lab"
mkdir -p "$labroot"
tar -xf "$lab" -C "$labroot"
for binary in virtual_bus device_simulator ews-gateway; do
  check "$binary runs on the lab image's libraries" \
    grep -qi 'usage\|flags' <<<"$(run_in_image "$labroot" "$labroot/usr/bin/$binary" --helpfull 2>&1 | head -5)"
done
check "the lab image has busybox's sh" test -x "$labroot/usr/bin/busybox" -a -L "$labroot/usr/bin/sh"

echo "$failures failure(s)"
((failures == 0))
