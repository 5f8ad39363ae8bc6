#!/bin/bash
# ews-ctl check-config: valid file, conversion round trip, invalid file,
# syntax error.
set -euo pipefail
ctl="$1"
check() { "$ctl" check-config "$@"; }
dir="${TEST_TMPDIR}"
fail() { echo "FAIL: $*" >&2; exit 1; }

check --to-text "$2" > "$dir/good.textproto" || fail "factory text invalid"
check "$dir/good.textproto" 2> "$dir/out" || fail "reparse"
grep -q "valid" "$dir/out" || fail "no 'valid' line"

check --to-json "$dir/good.textproto" > "$dir/good.json" || fail "to json"
check --to-text "$dir/good.json" > "$dir/again.textproto" || fail "from json"
cmp "$dir/good.textproto" "$dir/again.textproto" || fail "text->json->text differs"

sed 's/baud_rate: 19200/baud_rate: 14400/' "$dir/good.textproto" > "$dir/bad.textproto"
if check "$dir/bad.textproto" 2> "$dir/out"; then fail "bad file accepted"; fi
grep -q "rs485.baud_rate: 14400 bps is not supported" "$dir/out" || fail "field not named: $(cat $dir/out)"

printf 'schema_version: 1\nsite {\n  name "x"\n}\n' > "$dir/syntax.textproto"
if check "$dir/syntax.textproto" 2> "$dir/out"; then fail "syntax error accepted"; fi
grep -q "line 3, column 8" "$dir/out" || fail "no position: $(cat $dir/out)"

check --redact --to-text "$dir/good.textproto" > "$dir/redacted" || true
grep -q 'hash: "\[REDACTED\]"' "$dir/redacted" || fail "not redacted"

if check 2>/dev/null; then fail "no usage error"; fi
echo PASS
