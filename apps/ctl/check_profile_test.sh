#!/bin/sh
# ews-ctl check-profile accepts the shipped profiles and names file and field
# of a broken one.
set -eu
ctl="$1"
shift
tool() { "$ctl" check-profile "$@"; }
tool "$@" >"$TEST_TMPDIR/out.txt"
grep -q "emdx3_4_120_45.textproto: ok: emdx3_4_120_45 (FAMILY_ENERGY_METER" \
  "$TEST_TMPDIR/out.txt"
test "$(grep -c ': ok: ' "$TEST_TMPDIR/out.txt")" -eq "$#"
# docs/devices/: 7 of the EMDX3's registers and every breaker register are unconfirmed.
grep -q "ok: emdx3_4_120_45 .*28 quantities, 0 commands (7 unconfirmed)" "$TEST_TMPDIR/out.txt"
grep -q "ok: mccb_measurement_unit .*29 quantities, 3 commands (32 unconfirmed)" \
  "$TEST_TMPDIR/out.txt"
tool --builtin | grep -q "ev_charger_generic"
sed 's/scale: 0.001/scale: 0/' sdk/devices/profiles/din_measurement_module.textproto \
  >"$TEST_TMPDIR/broken.textproto"
if tool "$TEST_TMPDIR/broken.textproto" >"$TEST_TMPDIR/err.txt"; then
  echo "a broken profile was accepted" >&2
  exit 1
fi
grep -q "broken.textproto: quantities\[0\] (v1n).scale: must be finite and non-zero" \
  "$TEST_TMPDIR/err.txt"
echo ok
