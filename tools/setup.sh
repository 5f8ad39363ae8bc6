#!/usr/bin/env bash
# Installs, with apt-get and only if missing, everything EWS needs to build, test and run on
# Debian 12. Idempotent: a second run installs nothing, prints nothing and does not touch the
# network. Packages are installed without their Recommends, so every package something imports
# or runs at test time is listed here by name, even when Debian only recommends it.
# tools/fresh_machine_check.sh proves this list on a minimal Debian 12 root.
set -euo pipefail

PACKAGES=(
  # build
  bazel-bootstrap bazel-rules-java bazel-rules-proto bazel-platforms bazel-skylib
  g++ clang-format python3
  # ./test.sh itself: git (the tracked files to format-check), iproute2 (`ip`, the offline build)
  git iproute2
  # libraries (third_party/ wraps each one)
  libabsl-dev libmodbus-dev android-libboringssl-dev libcivetweb-dev libsqlite3-dev libzstd-dev
  libprotobuf-dev protobuf-compiler libgtest-dev libgmock-dev libbenchmark-dev libgpiod-dev
  libcurl4-gnutls-dev
  # independent peers used by tests and the demo; python3-pymodbus imports serial_asyncio at
  # load time, a package Debian only recommends
  openssl curl socat mbpoll python3-pymodbus python3-serial-asyncio sqlite3
  # a real WebSocket client for the live-values tests (tests/lib/ws_client.py)
  python3-websockets
  # the SNTP client tests run a real NTP server on loopback
  chrony
  # the reports tests deliver to a real SMTP server and a real FTP(S) server on loopback
  # (pyftpdlib's TLS_FTPHandler imports pyOpenSSL, which Debian only recommends)
  python3-aiosmtpd python3-pyftpdlib python3-openssl
  # the HTTPS benchmark (lab/https_bench): load generator, the nginx anchor
  wrk nginx
  # tests/server/openapi_test.py reads docs/openapi.yaml
  python3-yaml
  # real FTP and WebDAV clients of the data-access test (cadaver runs under util-linux's script)
  lftp cadaver rclone
  # the lab: a private Docker daemon (no system service) and busybox for the lab image
  docker.io busybox-static
  # the web UI's browser tests (tests/web): driven by npm's playwright-core, never downloaded
  chromium
)

missing=()
for package in "${PACKAGES[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$package" 2>/dev/null || true)
  [[ "$status" == "install ok installed" ]] || missing+=("$package")
done

# The web UI is built with node and npm (web/build.sh). Debian 12's own (node 18, npm 9) do; a
# machine with another node (e.g. NodeSource's, which bundles npm) keeps it: installing Debian's
# npm beside it would conflict.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
((${#missing[@]} > 0)) || exit 0

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [[ $(id -u) -ne 0 ]]; then
  if ! command -v sudo >/dev/null; then  # Debian's installer leaves sudo out if root has a password
    echo "setup: no sudo; as root run: apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  sudo_cmd=(sudo)
fi
# Another apt/dpkg run (unattended-upgrades, a second setup) holds apt's locks: wait for it
# instead of failing, up to 10 minutes. apt-get waits for dpkg's lock itself
# (DPkg::Lock::Timeout) but not for the package lists' lock, hence the loop around `update`.
# The lists are refreshed every time: on a machine where `apt-get update` never ran there are
# none, and stale ones name versions the mirror no longer has.
apt=("${sudo_cmd[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600)
deadline=$((SECONDS + 600))
until output=$("${apt[@]}" update -qq 2>&1); do
  if [[ "$output" != *"Could not get lock"* ]] || ((SECONDS >= deadline)); then
    echo "$output" >&2
    exit 1
  fi
  sleep 5
done
[[ -z "$output" ]] || echo "$output" >&2
"${apt[@]}" install -y -qq --no-install-recommends "${missing[@]}" >&2
