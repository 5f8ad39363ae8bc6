#!/usr/bin/env python3
"""Counts test results for ./test.sh and prints the closing line `N passed, N failed`.

Each test case in a target's JUnit XML (written by gtest or by Bazel for shell tests) counts
once; a skipped case (a test that cannot run here: GTEST_SKIP, tests/lib/test_lib.sh's `skip`)
counts neither way and is listed. A test target that did not run to completion (build failure,
crash, timeout) counts as one failure on top of whatever cases it reported, so a broken target
can never vanish from the count. Extra results (checks run outside Bazel) come as `name=PASS|FAIL` arguments.
"""

import json
import os
import sys
import xml.etree.ElementTree as ET


def read_events(path):
    statuses = {}
    if not os.path.exists(path):
        return statuses
    with open(path, encoding="utf-8") as events:
        for line in events:
            event = json.loads(line)
            summary = event.get("id", {}).get("testSummary")
            if summary:
                statuses[summary["label"]] = event.get("testSummary", {}).get(
                    "overallStatus", "NO_STATUS")
    return statuses


def count_cases(xml_path):
    """(passed, failed, skipped reasons) of a JUnit XML file, or None when it cannot be read."""
    passed = failed = 0
    skipped = []
    try:
        root = ET.parse(xml_path).getroot()
    except (OSError, ET.ParseError):
        return None
    for case in root.iter("testcase"):
        if case.find("failure") is not None or case.find("error") is not None:
            failed += 1
        elif case.find("skipped") is not None or case.get("status") == "notrun":
            reason = case.find("skipped")
            skipped.append(reason.get("message", "") if reason is not None else "not run")
        else:
            passed += 1
    return passed, failed, skipped


def main():
    targets_file, events_file, testlogs = sys.argv[1:4]
    extra = sys.argv[4:]
    with open(targets_file, encoding="utf-8") as handle:
        targets = [line.strip() for line in handle if line.strip()]
    statuses = read_events(events_file)
    passed = failed = 0
    for target in targets:
        status = statuses.get(target, "NO_STATUS")
        package, name = target.lstrip("/").split(":")
        counts = count_cases(os.path.join(testlogs, package, name, "test.xml"))
        target_ok = status in ("PASSED", "FLAKY")
        if counts is not None and status != "NO_STATUS":
            passed += counts[0]
            failed += counts[1]
            if not target_ok and counts[1] == 0:
                failed += 1
            for reason in counts[2]:
                print(f"SKIPPED (not counted as passed): {target}: {reason}")
        else:
            failed += 0 if target_ok else 1
            passed += 1 if target_ok else 0
        if not target_ok:
            print(f"FAILED: {target} ({status})")
    for item in extra:
        name, _, result = item.partition("=")
        if result == "PASS":
            passed += 1
        else:
            failed += 1
            print(f"FAILED: {name}")
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
