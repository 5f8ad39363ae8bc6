// Proves Google Benchmark links and runs.
#include <cstdint>

#include "benchmark/benchmark.h"

static void BM_Sum(benchmark::State& state) {
  for (auto _ : state) {
    uint64_t sum = 0;
    for (int64_t i = 0; i < state.range(0); ++i) sum += i;
    benchmark::DoNotOptimize(sum);
  }
}
BENCHMARK(BM_Sum)->Arg(64);
