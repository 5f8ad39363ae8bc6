#!/usr/bin/env bash
# Builds and starts ews-server against a local data directory with the factory configuration,
# on loopback and unprivileged ports, with a virtual RS485 bus of simulated devices (meters,
# breakers, a DIN module, an EV charger, EMS CX3 modules) that it finds by a bus scan on its
# first start, and simulated meters on its pulse inputs (a water meter, a gas meter and an energy
# sub-meter, configured on the first start). It runs as a model 32: ten Modbus devices and three
# pulse counters do not fit a model 10. Prints the URL to open. Ctrl-C stops everything.
#   EWS_DEMO_PORT=8443 EWS_DEMO_MODBUS_PORT=5020 EWS_DEMO_DATA=./demo-data ./demo.sh
set -euo pipefail
cd "$(dirname "$0")"

tools/setup.sh
https_port=${EWS_DEMO_PORT:-8443}
http_port=${EWS_DEMO_HTTP_PORT:-8080}
modbus_port=${EWS_DEMO_MODBUS_PORT:-5020}
data=${EWS_DEMO_DATA:-$PWD/demo-data}

bazel build //apps/server:ews-server //lab/bus:virtual_bus //lab/devices:device_simulator
web/build.sh >/dev/null  # the web UI into web/dist (offline once the npm cache is filled)
bin=$(bazel info bazel-bin 2>/dev/null)
server="$bin/apps/server/ews-server"

# The virtual RS485 line (19200 8E1, the factory setting) with the simulated devices on it.
bus=$(mktemp -d /tmp/ews-demo-bus.XXXXXX)
stop_all() {
  [[ -n "${pid:-}" ]] && kill -TERM "$pid" 2>/dev/null && wait "$pid"
  for p in "$bus/simulator.pid" "$bus/bus.pid"; do
    [[ -f "$p" ]] && kill "$(cat "$p")" 2>/dev/null
  done
  rm -rf "$bus"
}
trap stop_all INT TERM EXIT
BIN_DIR="$bin" lab/devices/start_demo_bus.sh "$bus" "19200 8E1" >/dev/null

mkdir -p "$data"
rm -f "$data/run/ews-server.ready"
"$server" --data_dir="$data" --web_root="$PWD/web/dist" --bind_address=127.0.0.1 --ntp_servers=off \
  --https_port="$https_port" --http_port="$http_port" --modbus_port="$modbus_port" \
  --rs485_device="$bus/ep0" --scan_on_first_start=1-30 --net_interface=lo --simulate_rtc \
  --simulate_pulse_inputs --model_size=32 &
pid=$!

# The ready file (a first start scans the bus first, about 7 s): tests/lib/test_lib.sh's wait.
source tests/lib/test_lib.sh
trap stop_all INT TERM EXIT
wait_ready "$data" "$pid" || { echo "ews-server did not start (see the log above)"; exit 1; }

cat <<MSG

  EWS is running:  https://127.0.0.1:$https_port/
  Health (JSON):   https://127.0.0.1:$https_port/api/v1/health
  Devices (JSON):  https://127.0.0.1:$https_port/api/v1/devices
  Plain HTTP on http://127.0.0.1:$http_port/ redirects to HTTPS.

  Modbus TCP gateway onto the simulated RS485 line: 127.0.0.1:$modbus_port, e.g.
    mbpoll -m tcp -p $modbus_port -a 1 -r 4097 -c 2 -t 4:int -B 127.0.0.1   # meter 1, V1-N in mV
  Make a device stop answering:  echo "fault 4 silent" > $bus/simulator.commands
  Pulse counters (simulated meters, "line":"pulse" in the devices): water-main, gas-boiler,
  submeter-lighting; their counts are kept in $data/pulse-counts across restarts.

  The certificate is self-signed (generated on first start, kept in $data/tls/):
  your browser will ask you to accept it once.

  Log in with (PIN / PUK):
    administrator  99999 / 00000 9999 00000
    greenUp        88888 / 00000 8888 00000
    installer      55555 / 00000 5555 00000
    user           11111 / 00000 1111 00000

  Data directory: $data      Stop: Ctrl-C
MSG
wait "$pid"
