#!/bin/sh
# Starts a virtual RS485 bus with the demo population of simulated devices,
# in the background, for ./demo.sh and manual trials.
#
#   lab/devices/start_demo_bus.sh RUN_DIR [LINE]      (LINE default "19200 8E1")
#
# Needs //lab/bus:virtual_bus and //lab/devices:device_simulator built
# (BIN_DIR, default ./bazel-bin). Creates in RUN_DIR:
#   ep0 -> /dev/pts/N   the endpoint for the EWS application (its RS485 port)
#   ep1 -> /dev/pts/M   the simulators' endpoint
#   ep2 -> /dev/pts/K   spare (a sniffer, mbpoll, a second app)
#   bus.control         the bus's control socket (faults, capture)
#   simulator.commands  a FIFO: echo "fault 1 silent" > RUN_DIR/simulator.commands
#   bus.pid, simulator.pid, bus.log, simulator.log
# and prints "app_port /dev/pts/N" once both are ready. Stop with
#   kill $(cat RUN_DIR/simulator.pid) $(cat RUN_DIR/bus.pid)
set -eu
run_dir="$1"
line="${2:-19200 8E1}"
bin_dir="${BIN_DIR:-bazel-bin}"
mkdir -p "$run_dir"
rm -f "$run_dir/ep0" "$run_dir/ep1" "$run_dir/ep2" "$run_dir/bus.control" \
  "$run_dir/simulator.commands"

"$bin_dir/lab/bus/virtual_bus" --endpoints=3 --line="$line" \
  --link_dir="$run_dir" --control_socket="$run_dir/bus.control" \
  </dev/null >"$run_dir/bus.log" 2>&1 &
echo $! >"$run_dir/bus.pid"
for _ in $(seq 100); do
  grep -q '^ready' "$run_dir/bus.log" 2>/dev/null && break
  sleep 0.1
done
grep -q '^ready' "$run_dir/bus.log" || {
  echo "start_demo_bus: the bus did not start (see $run_dir/bus.log)" >&2
  exit 1
}
app_port=$(awk '$1 == "endpoint" && $2 == "0" {print $3}' "$run_dir/bus.log")
sim_port=$(awk '$1 == "endpoint" && $2 == "1" {print $3}' "$run_dir/bus.log")

mkfifo "$run_dir/simulator.commands"
"$bin_dir/lab/devices/device_simulator" --port="$sim_port" --line="$line" \
  --population=demo --commands="$run_dir/simulator.commands" \
  </dev/null >"$run_dir/simulator.log" 2>&1 &
echo $! >"$run_dir/simulator.pid"
for _ in $(seq 100); do
  grep -q '^ready' "$run_dir/simulator.log" 2>/dev/null && break
  sleep 0.1
done
grep -q '^ready' "$run_dir/simulator.log" || {
  echo "start_demo_bus: the simulators did not start (see $run_dir/simulator.log)" >&2
  exit 1
}
echo "app_port $app_port"
