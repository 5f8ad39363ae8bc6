#!/usr/bin/env bash
set -euo pipefail
summary="$PWD/tools/test_summary.py"
work="$TEST_TMPDIR/summary"
mkdir -p "$work/logs/pkg/good" "$work/logs/pkg/bad" "$work/logs/pkg/crashed"
cat > "$work/logs/pkg/good/test.xml" <<'XML'
<testsuites><testsuite><testcase name="a"/><testcase name="b"/><testcase name="c"/></testsuite></testsuites>
XML
cat > "$work/logs/pkg/bad/test.xml" <<'XML'
<testsuites><testsuite><testcase name="a"/><testcase name="b"><failure message="x"/></testcase></testsuite></testsuites>
XML
# A crash: the XML lists no failed case, but the target's status is FAILED.
cat > "$work/logs/pkg/crashed/test.xml" <<'XML'
<testsuites><testsuite><testcase name="a"/></testsuite></testsuites>
XML
printf '//pkg:good\n//pkg:bad\n//pkg:crashed\n//pkg:unbuilt\n' > "$work/targets"
cat > "$work/events.json" <<'JSON'
{"id":{"testSummary":{"label":"//pkg:good"}},"testSummary":{"overallStatus":"PASSED"}}
{"id":{"testSummary":{"label":"//pkg:bad"}},"testSummary":{"overallStatus":"FAILED"}}
{"id":{"testSummary":{"label":"//pkg:crashed"}},"testSummary":{"overallStatus":"FAILED"}}
JSON
set +e
output=$(/usr/bin/python3 "$summary" "$work/targets" "$work/events.json" "$work/logs" \
  clang-format=PASS offline=FAIL)
status=$?
set -e
echo "$output"
# good 3 + bad 1 + crashed 1 + clang-format 1 = 6 passed;
# bad 1 + crashed 1 + unbuilt 1 + offline 1 = 4 failed.
[[ "$(tail -1 <<<"$output")" == "6 passed, 4 failed" ]]
[[ $status -ne 0 ]]
grep -q 'FAILED: //pkg:unbuilt (NO_STATUS)' <<<"$output"

output=$(/usr/bin/python3 "$summary" /dev/null /dev/null "$work/logs" clang-format=PASS)
[[ "$(tail -1 <<<"$output")" == "1 passed, 0 failed" ]]
echo "ok"
