#!/usr/bin/env bash
# Builds the web UI into web/dist (see web/README.md). The build itself never touches the network:
# node_modules is (re)installed from the npm cache with `npm ci --offline` when package-lock.json
# changed; only when the cache lacks a package (a fresh machine) does `npm ci` fetch it from the
# registry once, which is the set-up step, like tools/setup.sh's apt-get.
set -euo pipefail
cd "$(dirname "$0")"

command -v node >/dev/null && command -v npm >/dev/null || {
  echo "web/build.sh: node and npm are missing (tools/setup.sh installs them)" >&2; exit 1; }

lock_sum=$(sha256sum package-lock.json | cut -d' ' -f1)
stamp=node_modules/.ews-lock-sha256
if [[ "$(cat "$stamp" 2>/dev/null)" != "$lock_sum" ]]; then
  npm_flags=(--no-audit --no-fund --loglevel=error)
  if ! npm ci --offline "${npm_flags[@]}" >&2; then
    echo "web/build.sh: npm cache incomplete, filling it from the registry once" >&2
    npm ci "${npm_flags[@]}" >&2
  fi
  echo "$lock_sum" > "$stamp"
fi
node build.mjs
