#!/usr/bin/env bash
# The lab part of ./test.sh: builds the images and the lab's host binaries, runs every scenario
# of tests/lab/scenarios.py in Docker containers (bounded: 15 minutes in all), and prints one
# `lab-<scenario>=PASS|FAIL` line per scenario for tools/test_summary.py. Where the kernel
# refuses containers it prints why and `lab=SKIP` (not counted as passed).
#
#   tests/lab/run.sh RESULTS_DIR [SCENARIO...]
# Results: RESULTS_DIR/<scenario>.json and .txt (see lab/README.md).
set -uo pipefail
cd "$(dirname "$0")/../.."
results="${1:?usage: tests/lab/run.sh RESULTS_DIR [SCENARIO...]}"
shift
mkdir -p "$results"

# The device image ships the built UI (//web:dist): build it first, offline from the npm cache.
if ! web/build.sh >"$results/web-build.log" 2>&1; then
  tail -20 "$results/web-build.log" >&2
  echo "lab-build=FAIL"
  exit 1
fi
if ! bazel build --noshow_progress //lab/image:device_rootfs //lab/image:lab_rootfs \
    //lab/bus:virtual_bus //lab/devices:device_simulator //lab/history:history_csv \
    //tests/server:history_dump >"$results/build.log" 2>&1; then
  tail -20 "$results/build.log" >&2
  echo "lab-build=FAIL"
  exit 1
fi

timeout --signal=TERM --kill-after=60 900 /usr/bin/python3 tests/lab/scenarios.py "$results" "$@" >&2
status=$?
if ((status == 77)); then
  echo "lab: SKIPPED, containers cannot run here: $(grep -h '^skipped:' "$results"/*.txt | head -1)" >&2
  echo "lab=SKIP"
  exit 0
fi
for json in "$results"/*.json; do
  [[ -f "$json" ]] || continue
  /usr/bin/python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print("lab-%s=%s" % (r["scenario"], "PASS" if r["status"] == "pass" else "FAIL"))' "$json"
done
if ((status == 124)); then
  echo "lab: the scenarios ran over their 15-minute bound" >&2
  echo "lab-timeout=FAIL"
fi
cat "$results"/*.txt >&2
exit 0
