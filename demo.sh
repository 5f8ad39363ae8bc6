#!/usr/bin/env bash
# Builds and starts ews-server against a local data directory with the factory configuration,
# on loopback and unprivileged ports, and prints the URL to open. Ctrl-C stops it.
#   EWS_DEMO_PORT=8443 EWS_DEMO_DATA=./demo-data ./demo.sh
set -euo pipefail
cd "$(dirname "$0")"

tools/setup.sh
https_port=${EWS_DEMO_PORT:-8443}
http_port=${EWS_DEMO_HTTP_PORT:-8080}
data=${EWS_DEMO_DATA:-$PWD/demo-data}

bazel build //apps/server:ews-server
server="$(bazel info bazel-bin)/apps/server/ews-server"

mkdir -p "$data"
rm -f "$data/run/ews-server.ready"
"$server" --data_dir="$data" --web_root="$PWD/web" --bind_address=127.0.0.1 \
  --https_port="$https_port" --http_port="$http_port" &
pid=$!
trap 'kill -TERM $pid 2>/dev/null; wait $pid' INT TERM EXIT

for _ in $(seq 1 100); do
  [[ -s "$data/run/ews-server.ready" ]] && break
  kill -0 $pid 2>/dev/null || { echo "ews-server did not start (see the log above)"; exit 1; }
  sleep 0.1
done

cat <<MSG

  EWS is running:  https://127.0.0.1:$https_port/
  Health (JSON):   https://127.0.0.1:$https_port/api/v1/health
  Plain HTTP on http://127.0.0.1:$http_port/ redirects to HTTPS.

  The certificate is self-signed (generated on first start, kept in $data/tls/):
  your browser will ask you to accept it once.

  Log in with (PIN / PUK):
    administrator  99999 / 00000 9999 00000
    greenUp        88888 / 00000 8888 00000
    installer      55555 / 00000 5555 00000
    user           11111 / 00000 1111 00000

  Data directory: $data      Stop: Ctrl-C
MSG
wait $pid
