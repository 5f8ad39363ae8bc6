#!/bin/bash
# Runs https_bench in quick mode and checks that it reports every figure for both servers.
set -euo pipefail
out="$(EWS_SERVER="${TEST_SRCDIR}/ews/apps/server/ews-server" \
  "${TEST_SRCDIR}/ews/lab/https_bench/https_bench.sh" --quick)"
echo "$out"
number='[0-9]+(\.[0-9]+)?'
for name in ews-server nginx; do
  grep -Eq "^  $name +$number req/s +p50 +$number ms +p99 +$number ms +CPU +[0-9]+ us/req \(wrk [0-9]+\) +connections served [0-9]+/100 +errors [0-9]+ +a new client waited $number ms$" <<<"$out" ||
    { echo "no complete figures for $name"; exit 1; }
done
grep -Eq "^  ews-server ews-server [0-9.]+ \((optimized|unoptimized) build\)" <<<"$out" ||
  { echo "the build measured is not reported"; exit 1; }
grep -Eq "^  ratio ews-server/nginx $number \[health\]" <<<"$out" || { echo "no ratio"; exit 1; }
grep -Eq "^  ratio ews-server/nginx $number \[devices\]" <<<"$out" ||
  { echo "no ratio for the authenticated devices route"; exit 1; }
grep -q "^  /api/v1/devices (with the session cookie)" <<<"$out" ||
  { echo "the devices route was not measured with the session cookie"; exit 1; }
grep -Eq "^  CPU per request ews-server/nginx $number; .*: $number$" <<<"$out" ||
  { echo "no CPU ratio"; exit 1; }
