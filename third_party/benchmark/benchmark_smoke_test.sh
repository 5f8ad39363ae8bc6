#!/bin/sh
set -eu
out=$(third_party/benchmark/benchmark_smoke --benchmark_min_time=0.001 2>&1)
echo "$out"
echo "$out" | grep -q 'BM_Sum/64'
