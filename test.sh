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

# 2. The web UI: npm packages from the npm cache (web/build.sh fetches them only when the cache
#    lacks them, on a fresh machine), then an offline esbuild build into web/dist.
if web/build.sh >"$state/web-build.log" 2>&1; then
  results+=("web-build=PASS")
  grep -E '^first load' "$state/web-build.log"
else
  tail -30 "$state/web-build.log"
  results+=("web-build=FAIL")
fi

# 3. Everything Bazel knows, built and tested offline.
targets=("$@")
((${#targets[@]})) || targets=(//...)
bazel query "tests(set(${targets[*]}))" 2>/dev/null | sort > "$state/targets"
bazel test --keep_going --build_event_json_file="$state/events.json" "${targets[@]}"
testlogs=$(bazel info bazel-testlogs 2>/dev/null)

# 4. The web UI in Debian's chromium against a running ews-server with simulated devices
#    (tests/web/run.sh): pages, live values, layout at 360/390 px, first-load bytes, axe-core.
#    Its screenshots stay in the temporary directory (tests/web/run.sh --docs refreshes docs/images/).
if ((${#@} == 0)); then
  if bazel build //apps/server:ews-server //lab/bus:virtual_bus //lab/devices:device_simulator \
       >"$state/web-test-build.log" 2>&1 && tests/web/run.sh "$state/screenshots" >"$state/web-test.log" 2>&1; then
    grep -E "^(first-load bytes|browser tests)" "$state/web-test.log"
    results+=("web-browser=PASS")
  else
    cat "$state/web-test-build.log" "$state/web-test.log" | grep -v '^ok: ' | tail -40
    results+=("web-browser=FAIL")
  fi
fi

# 5. The build needs no network: build everything again in a network namespace that has only
#    loopback (Bazel's client talks to its server over it), with a fresh output base.
if ((${#@} == 0)) && unshare -n true 2>/dev/null; then
  # The web UI too: a copy of its sources, node_modules installed with `npm ci --offline` from
  # the npm cache, then built.
  mkdir -p "$state/web"
  cp -r web/.npmrc web/package.json web/package-lock.json web/build.mjs web/build.sh web/index.html web/src \
    "$state/web/"
  if unshare -n sh -c "ip link set lo up && bazel --output_base='$state/offline' build --symlink_prefix=/ //... \
       && bazel --output_base='$state/offline' shutdown && '$state/web/build.sh'" \
       >"$state/offline.log" 2>&1; then
    results+=("offline-build=PASS")
  else
    tail -30 "$state/offline.log"
    results+=("offline-build=FAIL")
  fi
else
  echo "offline build check skipped (needs the whole suite and unshare -n)"
fi

# 6. The lab: end-to-end scenarios with the device image in Docker containers (tests/lab/run.sh,
#    lab/README.md). Results (JSON + summary per scenario) in $EWS_LAB_RESULTS if set.
if ((${#@} == 0)); then
  while read -r line; do
    case "$line" in
      lab=SKIP) echo "lab scenarios SKIPPED: containers cannot run here (reason above)" ;;
      *=*) results+=("$line") ;;
    esac
  done < <(tests/lab/run.sh "${EWS_LAB_RESULTS:-$state/lab}")
else
  echo "lab scenarios skipped (they run with the whole suite)"
fi

/usr/bin/python3 tools/test_summary.py "$state/targets" "$state/events.json" "$testlogs" "${results[@]}"
