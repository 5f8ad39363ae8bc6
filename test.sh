#!/usr/bin/env bash
# Runs every EWS test and ends with the line `N passed, N failed`. Exit status 0 only if all
# passed. Installs what is missing first (tools/setup.sh). Usage: ./test.sh [bazel target ...]
set -uo pipefail
cd "$(dirname "$0")"

tools/setup.sh || { echo "0 passed, 1 failed"; exit 1; }

results=()
state=$(mktemp -d)
trap 'rm -rf "$state"' EXIT

# 1. Formatting: every tracked C++ file is clang-format clean (Google style, .clang-format).
sources=$(git ls-files '*.cc' '*.h') || sources=
unformatted=$(while read -r file; do
  [[ -f "$file" ]] && ! clang-format --style=file --dry-run -Werror "$file" >/dev/null 2>&1 \
    && echo "$file"; done <<<"$sources")
if [[ -z "$sources" ]]; then
  echo "clang-format check: git ls-files lists no C++ file (git missing, or not a checkout)"
  results+=("clang-format=FAIL")
elif [[ -z "$unformatted" ]]; then
  results+=("clang-format=PASS")
else
  echo "Not clang-formatted (run clang-format -i on them):"; echo "$unformatted"
  results+=("clang-format=FAIL")
fi

# 2. Everything Bazel knows, built and tested offline.
targets=("$@")
((${#targets[@]})) || targets=(//...)
bazel query "tests(set(${targets[*]}))" 2>/dev/null | sort > "$state/targets"
bazel test --keep_going --build_event_json_file="$state/events.json" "${targets[@]}"
testlogs=$(bazel info bazel-testlogs 2>/dev/null)

# 3. The build needs no network: build everything again in a network namespace that has only
#    loopback (Bazel's client talks to its server over it), with a fresh output base.
if ((${#@} == 0)) && unshare -n true 2>/dev/null; then
  if unshare -n sh -c "ip link set lo up && bazel --output_base='$state/offline' build --symlink_prefix=/ //... \
       && bazel --output_base='$state/offline' shutdown" >"$state/offline.log" 2>&1; then
    results+=("offline-build=PASS")
  else
    tail -30 "$state/offline.log"
    results+=("offline-build=FAIL")
  fi
else
  echo "offline build check skipped (needs the whole suite and unshare -n)"
fi

/usr/bin/python3 tools/test_summary.py "$state/targets" "$state/events.json" "$testlogs" "${results[@]}"
