#!/usr/bin/env bash
# Installs, with apt-get and only if missing, everything EWS needs to build, test and run on
# Debian 12. Idempotent: a second run installs nothing and does not touch the network.
set -euo pipefail

PACKAGES=(
  # build
  bazel-bootstrap bazel-rules-java bazel-rules-proto bazel-platforms bazel-skylib
  g++ clang-format python3
  # libraries (third_party/ wraps each one)
  libabsl-dev libmodbus-dev android-libboringssl-dev libcivetweb-dev libsqlite3-dev
  libprotobuf-dev protobuf-compiler libgtest-dev libgmock-dev libbenchmark-dev libgpiod-dev
  # independent peers used by tests and the demo
  openssl curl socat mbpoll python3-pymodbus sqlite3
  # a real WebSocket client for the live-values tests (tests/lib/ws_client.py)
  python3-websockets
  # the SNTP client tests run a real NTP server on loopback
  chrony
  # the HTTPS benchmark (lab/https_bench): load generator, the nginx anchor, ss for its sockets
  wrk nginx iproute2
)

missing=()
for package in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

if ((${#missing[@]} > 0)); then
  echo "setup: installing ${missing[*]}" >&2
  sudo_cmd=()
  [[ $(id -u) -eq 0 ]] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq \
    --no-install-recommends "${missing[@]}" >&2
fi
