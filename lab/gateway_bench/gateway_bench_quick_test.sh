#!/bin/bash
# Runs gateway_bench in quick mode and checks that it reports every figure.
set -euo pipefail
out="$("${TEST_SRCDIR}/ews/lab/gateway_bench/gateway_bench" --quick)"
echo "$out"
for baud in 19200 115200; do
  grep -q "^line ${baud} 8E1" <<<"$out" || { echo "no line ${baud}"; exit 1; }
done
[ "$(grep -c '  ratio [0-9.]*$' <<<"$out")" = 2 ] || { echo "no ratio"; exit 1; }
[ "$(grep -c 'latency added by the gateway.*p99 [0-9.-]* ms' <<<"$out")" = 2 ]
# Every transaction answered. (Not `! grep`: set -e ignores a negated command's status.)
if grep -q ' [1-9][0-9]* errors)' <<<"$out"; then echo "transactions failed"; exit 1; fi
# The dead-unit phase: both runs, the revival, no broken connection.
[ "$(grep -c '^    dead-unit ratio [0-9.]* ' <<<"$out")" = 2 ] || {
  echo "no dead-unit ratio"; exit 1; }
[ "$(grep -c 'silent unit 2: .*, 0 errors$' <<<"$out")" = 2 ] || {
  echo "dead-unit phase errors"; exit 1; }
grep -q 'unit 2 answers again: its clients answered after [0-9.]* s' <<<"$out"
grep -q 'unit 2 health: state online, 1 absences' <<<"$out"
