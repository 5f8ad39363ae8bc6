#!/usr/bin/env bash
# ews-network-apply: factory settings without a configuration, a configuration's settings,
# unchanged on a second run, a bad configuration refused with nothing changed, bad flags.
set -uo pipefail
tool=sdk/system/ews-network-apply
dir="$TEST_TMPDIR/net"
mkdir -p "$dir"
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
check() { local what=$1; shift; if "$@"; then echo "ok: $what"; else fail "$what"; fi; }

out=$("$tool" --config="$dir/none.textproto" --networkd_dir="$dir" 2>&1)
check "no configuration yet: the factory settings are written ($out)" test "$out" = changed
check "factory address" grep -q '^Address=192.168.1.100/24$' "$dir/10-ews-eth0.network"
out=$("$tool" --config="$dir/none.textproto" --networkd_dir="$dir" 2>&1)
check "a second run changes nothing ($out)" test "$out" = unchanged

echo 'schema_version: 1
this is not a configuration' >"$dir/bad.textproto"
before=$(cat "$dir/10-ews-eth0.network")
"$tool" --config="$dir/bad.textproto" --networkd_dir="$dir" >"$dir/out" 2>&1
status=$?
check "a configuration that does not parse is refused (exit $status)" test "$status" = 1
check "with a clear message" grep -q 'nothing changed' "$dir/out"
check "and the file is unchanged" test "$before" = "$(cat "$dir/10-ews-eth0.network")"

"$tool" --config="$dir/none.textproto" --backend=record --record_file="$dir/rec" \
  --interface=lab0 >/dev/null 2>&1
check "the recording backend keeps the file a device would write" \
  grep -q '^Name=lab0$' "$dir/rec"
check "and logs the change" grep -q 'applied' "$dir/rec.log"

"$tool" --backend=tftp >/dev/null 2>&1
check "an unknown backend is refused (exit 2)" test $? = 2
"$tool" --config="$dir/none.textproto" --networkd_dir="$dir/missing" >/dev/null 2>&1
check "a missing directory is an error" test $? = 1
echo "$failures failure(s)"
((failures == 0))
