#!/usr/bin/env bash
# The HTTPS benchmark: Debian's wrk with keep-alive against ews-server's /api/v1/health and, in
# the same run as the anchor, against an unprivileged nginx (Debian's, Mozilla's "intermediate"
# TLS settings) serving the same JSON body as a file with the same certificate, both on loopback.
# Prints req/s, p50 and p99 for each, CPU time per request (the server's and wrk's), how many of
# the connections the server answered during the load, a new client's wait while the load runs,
# the ratio ews-server / nginx, and a CPU-bound estimate of that ratio (lab/https_bench/README.md).
#
#   bazel run //lab/https_bench:https_bench -- [--duration=10] [--connections=100] [--rounds=1]
#   bazel run //lab/https_bench:https_bench -- --quick     # 2 s a server: only checks it runs
#
# Bounded: each wrk run lasts --duration seconds (killed 30 s after that at the latest), every
# start-up wait is bounded, and everything started here is stopped by its pid on exit.
set -uo pipefail

duration=10
connections=100
rounds=1
for arg in "$@"; do
  case "$arg" in
    --quick) duration=2 ;;
    --duration=*) duration=${arg#*=} ;;
    --connections=*) connections=${arg#*=} ;;
    --rounds=*) rounds=${arg#*=} ;;
    *) echo "usage: $0 [--quick] [--duration=S] [--connections=N] [--rounds=N]" >&2; exit 2 ;;
  esac
done
for tool in wrk nginx curl ss; do
  command -v "$tool" >/dev/null || [[ -x /usr/sbin/$tool ]] ||
    { echo "https_bench: $tool is missing (tools/setup.sh installs it)" >&2; exit 1; }
done
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)

# ews-server and the tests' shell helpers (the start handshake, the login): from the runfiles
# (bazel run / bazel test). ews-server is built with -c opt, as it ships, whatever the command
# line's compilation mode (BUILD.bazel: opt_binary); $EWS_SERVER measures another binary.
runfiles=$PWD
[[ -f "$runfiles/tests/lib/test_lib.sh" ]] || runfiles=$0.runfiles/ews
source "$runfiles/tests/lib/test_lib.sh" || exit 1
server_bin=${EWS_SERVER:-$runfiles/lab/https_bench/ews-server-opt}
[[ -x "$server_bin" ]] || { echo "https_bench: ews-server not found (set EWS_SERVER)" >&2; exit 1; }
# "ews-server 0.1.0 (optimized build)": the binary says how it was compiled.
server_build=$("$server_bin" --version 2>/dev/null)
[[ -n "$server_build" ]] || { echo "https_bench: $server_bin --version failed" >&2; exit 1; }

# Under /tmp, not the test's TEMP dir: started as root, nginx's workers run as nobody and must
# reach the body file (the directory is private otherwise; the data dir and key stay private).
work=$(mktemp -d /tmp/ews-https-bench.XXXXXX)
chmod 0711 "$work"
server_pid=""
nginx_pid=""
stop() {  # $1: pid
  [[ -n "$1" ]] || return 0
  kill -TERM "$1" 2>/dev/null
  for _ in $(seq 1 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null
  wait "$1" 2>/dev/null
}
cleanup() {
  stop "$server_pid"
  stop "$nginx_pid"
  [[ -n "${HTTPS_BENCH_KEEP:-}" ]] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# ews-server as the device runs it, with simulated hardware: no RS485 line, a simulated RTC and
# simulated pulse inputs, the Modbus gateway and the HTTP redirect off, a fresh data directory.
# All of wrk's connections come from 127.0.0.1, so the per-address cap (16 by default) is raised
# above their number.
if ! ews_start "$server_bin" "$work/data" "$work/server.log" --http_port=-1 --modbus_port=-1 \
  --rs485_device="$work/no-rs485" --rtc_device="$work/no-rtc" --simulate_pulse_inputs \
  --net_interface=lo --connections_per_address=$((connections + 28)); then
  cat "$work/server.log" >&2; echo "https_bench: ews-server did not start" >&2; exit 1
fi
server_port=$https_port
base="https://127.0.0.1:$server_port"

# A session through the real flow: the factory user logs in and must change its codes (with the
# CSRF token). Its cookie goes with every authenticated request.
ews_login "$base" "$work/jar" user 11111 13579 "24680 1357 92468" >/dev/null ||
  { echo "https_bench: login through the code change failed" >&2; exit 1; }
cookie=$(awk '$6 == "__Host-ews_session" { print $6 "=" $7 }' "$work/jar")

# The routes measured: "name path auth" (auth: whether the session cookie is sent). The history
# chart is measured once ews-server serves it.
routes=("health /api/v1/health no" "devices /api/v1/devices yes")
chart=/api/v1/history/chart
if "$server_bin" --data_dir="$work/routes" --bind_address=127.0.0.1 --https_port=0 --http_port=-1 \
  --modbus_port=-1 --rs485_device="$work/no-rs485" --rtc_device="$work/no-rtc" --net_interface=lo \
  --list_routes 2>/dev/null | grep -qx "GET $chart"; then
  # The water meter's series exists once its first minute is committed (up to 90 s after the
  # start); a bench that cannot wait that long measures the other routes.
  chart_path="$chart?device=water-main&quantity=index"
  for ((waited = 0; waited < (duration >= 10 ? 100 : 0); waited += 5)); do
    [[ $(curl -sk --max-time 10 -H "Cookie: $cookie" -o /dev/null -w '%{http_code}' \
      "$base$chart_path") == 200 ]] && break
    sleep 5
  done
  if [[ $(curl -sk --max-time 10 -H "Cookie: $cookie" -o /dev/null -w '%{http_code}' \
    "$base$chart_path") == 200 ]]; then
    routes+=("chart $chart_path yes")
  else
    echo "https_bench: no history chart yet (the first minute is not committed): not measured"
  fi
fi

# nginx: each route's body as a static file, the same certificate (the PEM holds key and chain).
mkdir -p -m 0755 "$work/nginx/tmp"
locations=""
for route in "${routes[@]}"; do
  read -r name route_path auth <<<"$route"
  [[ "$auth" == yes ]] && header=(-H "Cookie: $cookie") || header=()
  status=$(curl -sk --max-time 10 "${header[@]}" -o "$work/nginx/$name.json" -w '%{http_code}' \
    "$base$route_path")
  [[ "$status" == 200 ]] || { echo "https_bench: ews-server answers $status to $route_path" >&2; exit 1; }
  chmod 0644 "$work/nginx/$name.json"
  locations+="    location = ${route_path%%\?*} { default_type application/json; alias $work/nginx/$name.json; }"$'\n'
done
# Whether the authenticated route really checks the session (it does once its Guard is on).
devices_without_cookie=$(curl -sk --max-time 10 -o /dev/null -w '%{http_code}' "$base/api/v1/devices")
certificate="$work/data/tls/server.pem"
free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
start_nginx() {
  nginx_port=$(free_port)
  # Mozilla's intermediate configuration (ssl-config.mozilla.org, nginx 1.22, OpenSSL 3),
  # without the DHE suites (no dhparam file) and OCSP stapling (self-signed certificate).
  cat >"$work/nginx/nginx.conf" <<CONF
worker_processes auto;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/tmp/body;
  proxy_temp_path $work/nginx/tmp/proxy;
  fastcgi_temp_path $work/nginx/tmp/fastcgi;
  uwsgi_temp_path $work/nginx/tmp/uwsgi;
  scgi_temp_path $work/nginx/tmp/scgi;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port ssl http2;
    ssl_certificate $certificate;
    ssl_certificate_key $certificate;
    ssl_session_timeout 1d;
    ssl_session_cache shared:MozSSL:10m;
    ssl_session_tickets off;
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384;
    ssl_prefer_server_ciphers off;
    add_header Strict-Transport-Security "max-age=63072000" always;
$locations
  }
}
CONF
  "$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log" &
  nginx_pid=$!
  for _ in $(seq 1 50); do
    curl -sk --max-time 2 -o /dev/null "https://127.0.0.1:$nginx_port/api/v1/health" && return 0
    kill -0 "$nginx_pid" 2>/dev/null || break
    sleep 0.1
  done
  stop "$nginx_pid"
  nginx_pid=""
  return 1
}
# The port is picked free just before nginx binds it; another process may take it in between.
for _ in 1 2 3; do start_nginx && break; done
if [[ -z "$nginx_pid" ]]; then
  cat "$work/nginx/error.log" >&2; echo "https_bench: nginx did not start" >&2; exit 1
fi

to_ms() {  # wrk's "1.13ms" / "850.00us" / "1.20s" -> milliseconds
  awk -v v="$1" 'BEGIN {
    n = v + 0
    if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000
    printf "%.2f", n }'
}

# CPU time (user + system, clock ticks) used so far by the processes $@ and their children.
cpu_ticks() {
  local pids=("$@") pid
  for pid in "$@"; do pids+=($(cat /proc/"$pid"/task/*/children 2>/dev/null)); done
  for pid in "${pids[@]}"; do cat /proc/"$pid"/stat 2>/dev/null; done |
    awk '{ sub(/^.*\) /, ""); n += $12 + $13 } END { print n + 0 }'
}

# CPU seconds (user + system) of this shell's finished children: here mostly wrk.
# (`times` only into a file: in a pipe or $(...) it would run in a fork that has no children.)
children_cpu() {
  times >"$work/times"
  awk 'NR == 2 { gsub(/[ms]/, " "); print $1 * 60 + $2 + $3 * 60 + $4 }' "$work/times"
}

# One wrk run against $2 (port) with server pid $3 on path $4, with header $5 (or none); prints
# "name req/s p50 p99 served errors wait server_cpu_us client_cpu_us" on one line.
measure() {
  local name=$1 port=$2 pid=$3 route_path=$4 header=${5:-} out="$work/wrk-$1.txt"
  local header_args=()
  [[ -n "$header" ]] && header_args=(-H "$header")
  local ticks_before
  ticks_before=$(cpu_ticks "$pid")
  children_cpu >"$work/client-before"
  timeout $((duration + 30)) wrk -t2 -c"$connections" -d"${duration}s" --latency \
    "${header_args[@]}" "https://127.0.0.1:$port$route_path" >"$out" 2>&1 &
  local wrk_pid=$!
  # Half-way through: how many of the server's connections have been answered (a connection that
  # waits for a worker has had nothing sent to it), and how long a new client waits meanwhile.
  sleep "$(awk -v d="$duration" 'BEGIN { print d / 2 }')"
  local served wait_ms
  served=$(ss -tniH state established "( sport = :$port )" |
    grep -o 'bytes_sent:[0-9]*' | awk -F: '$2 > 4096' | wc -l)
  wait_ms=$(curl -sk --max-time 10 -o /dev/null -w '%{time_total}' "${header_args[@]}" \
    "https://127.0.0.1:$port$route_path" | awk '{ printf "%.1f", $1 * 1000 }')
  wait "$wrk_pid"
  local ticks=$(($(cpu_ticks "$pid") - ticks_before))
  local client_cpu
  children_cpu >"$work/client-after"
  client_cpu=$(cat "$work/client-after" "$work/client-before" | awk 'NR == 1 { a = $1 } NR == 2 { print a - $1 }')
  local rps p50 p99 errors requests cpu_us client_us
  rps=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
  p50=$(to_ms "$(awk '$1 == "50%" { print $2 }' "$out")")
  p99=$(to_ms "$(awk '$1 == "99%" { print $2 }' "$out")")
  errors=$(awk '/Socket errors:/ { gsub(",", ""); n += $4 + $6 + $8 + $10 }
                /Non-2xx/ { n += $NF } END { print n + 0 }' "$out")
  requests=$(awk '/requests in/ { print $1 }' "$out")
  if [[ -z "$rps" || -z "$p99" || -z "$requests" ]]; then
    cat "$out" >&2; echo "https_bench: wrk failed against $name" >&2; return 1
  fi
  cpu_us=$(awk -v t="$ticks" -v hz="$(getconf CLK_TCK)" -v n="$requests" \
    'BEGIN { printf "%.0f", (n > 0 ? t * 1e6 / hz / n : 0) }')
  client_us=$(awk -v c="$client_cpu" -v n="$requests" \
    'BEGIN { printf "%.0f", (n > 0 ? c * 1e6 / n : 0) }')
  echo "$name $rps $p50 $p99 $served $errors ${wait_ms:-timeout} $cpu_us $client_us"
}

report() {  # the line from measure()
  read -r name rps p50 p99 served errors wait_ms cpu_us client_us <<<"$1"
  printf '  %-10s %8s req/s   p50 %7s ms   p99 %7s ms   CPU %4s us/req (wrk %s)   connections served %s/%s   errors %s   a new client waited %s ms\n' \
    "$name" "$rps" "$p50" "$p99" "$cpu_us" "$client_us" "$served" "$connections" "$errors" "$wait_ms"
}

echo "HTTPS keep-alive: wrk -t2 -c$connections -d${duration}s --latency https://127.0.0.1:PORT/PATH"
echo "  ews-server $server_build: $server_bin"
[[ "$server_build" == *"(optimized build)"* ]] ||
  echo "  note: not the shipped (-c opt) build: its figures are not for the record"
echo "  ews-server on port $server_port; nginx $("$nginx_bin" -v 2>&1 | sed 's|.*/||') on port $nginx_port; $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "  session: user logged in through the forced code change; GET /api/v1/devices without the cookie answers $devices_without_cookie"
status=0
for round in $(seq 1 "$rounds"); do
  echo "round $round"
  for route in "${routes[@]}"; do
    read -r route_name route_path auth <<<"$route"
    header=""
    [[ "$auth" == yes ]] && header="Cookie: $cookie"
    echo "  $route_path${header:+ (with the session cookie)}; load average before: $(cut -d' ' -f1 /proc/loadavg) on $(nproc) CPUs"
    ews=$(measure ews-server "$server_port" "$server_pid" "$route_path" "$header") || { status=1; continue; }
    anchor=$(measure nginx "$nginx_port" "$nginx_pid" "$route_path" "$header") || { status=1; continue; }
    report "$ews"
    report "$anchor"
    read -r _ ews_rps _ ews_p99 _ _ _ ews_cpu ews_client <<<"$ews"
    read -r _ nginx_rps _ _ _ _ _ nginx_cpu nginx_client <<<"$anchor"
    awk -v a="$ews_rps" -v b="$nginx_rps" -v p="$ews_p99" -v ca="$ews_cpu" -v cb="$nginx_cpu" \
      -v wa="$ews_client" -v wb="$nginx_client" -v n="$route_name" 'BEGIN {
      printf "  ratio ews-server/nginx %.2f [%s] (target >= 0.50; ews-server p99 %s ms, target < 10)\n", \
        (b > 0 ? a / b : 0), n, p
      printf "  CPU per request ews-server/nginx %.2f; CPU-bound estimate of the ratio with wrk on the", \
        (ca > 0 ? ca / cb : 0)
      printf " same CPUs, (nginx + wrk) / (ews-server + wrk): %.2f\n", (ca + wa > 0 ? (cb + wb) / (ca + wa) : 0) }'
  done
done
if awk -v l="$(cut -d' ' -f1 /proc/loadavg)" -v n="$(nproc)" 'BEGIN { exit !(l > n / 2) }'; then
  echo "note: the machine was busy (other processes competing for the CPUs). ews-server's 100"
  echo "  busy worker threads then win more CPU time from them than nginx's $(nproc) workers do, so"
  echo "  req/s and the ratio favour ews-server; CPU per request depends less on the load (though"
  echo "  a starved nginx batches less). Re-run on a quiet machine for the record."
fi
exit $status
