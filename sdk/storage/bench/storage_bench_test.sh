#!/bin/sh
# Runs storage_bench --quick and checks that it printed every figure.
set -eu
out=$(sdk/storage/bench/storage_bench --quick 2>&1)
echo "$out"
for figure in "bytes per value, minute tier" "overall" "whole file" \
    "open day (unsealed" "sealed reads" "power (float32)" "water/gas pulses" \
    "points/s" "bytes per stored point" "1-year daily consumption" \
    "24-hour minute chart" "years of energy+water+gas history" "default budget" \
    "write_bytes per sample over whole hours" "storage_bench: done"; do
  echo "$out" | grep -q "$figure" || { echo "missing: $figure"; exit 1; }
done
