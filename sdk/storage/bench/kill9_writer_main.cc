// A writer for the kill -9 durability test: appends samples to four series,
// flushing in small random batches and consolidating now and then, and prints
// each sample's sequence number once the flush that made it durable returned.
// Sample `seq` is at 2026-01-01T00:00Z + seq minutes; counters hold `seq` Wh.
//
//   kill9_writer <db path> <random seed>
#include <cstdio>
#include <cstdlib>
#include <random>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/storage/store.h"

namespace {

constexpr int kSeries = 4;

int Fail(const absl::Status& status) {
  std::fprintf(stderr, "kill9_writer: %s\n", status.ToString().c_str());
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  using ews::storage::SeriesKind;
  if (argc != 3) {
    std::fprintf(stderr, "usage: kill9_writer <db> <seed>\n");
    return 2;
  }
  const absl::Time t0 = absl::FromUnixSeconds(1767225600);
  ews::SimulatedClock clock(t0);
  ews::storage::StoreOptions options;
  options.path = argv[1];
  options.recover_corrupt = false;  // a corrupt file here is a test failure
  // Every other run absorbs the sample log into SQLite every few flushes,
  // not only at consolidations.
  if (std::atoi(argv[2]) % 2 != 0) options.max_log_bytes = 512;
  absl::TimeZone tz;
  if (!absl::LoadTimeZone("Europe/Paris", &tz)) return 2;
  auto store = ews::storage::Store::Open(options, &clock, tz);
  if (!store.ok()) return Fail(store.status());
  ews::storage::SeriesId ids[kSeries];
  for (int i = 0; i < kSeries; ++i) {
    ews::storage::SeriesSpec spec;
    spec.device_id = absl::StrCat("dev-", i);
    spec.quantity_id = i % 2 == 0 ? "ea_import" : "p_total";
    spec.kind = i % 2 == 0 ? SeriesKind::kCounter : SeriesKind::kInstantaneous;
    spec.unit = i % 2 == 0 ? "Wh" : "W";
    spec.scale = 1;
    auto id = (*store)->RegisterSeries(spec);
    if (!id.ok()) return Fail(id.status());
    ids[i] = *id;
  }
  // Resume after the last durable sample of the last series written.
  auto last = (*store)->LastSampleTime(ids[kSeries - 1]);
  if (!last.ok()) return Fail(last.status());
  int64_t seq =
      *last == absl::InfinitePast() ? 0 : (*last - t0) / absl::Minutes(1) + 1;
  std::mt19937 rng(static_cast<unsigned>(std::atoi(argv[2])));
  for (;;) {
    const int batch = 1 + static_cast<int>(rng() % 5);
    const int64_t first = seq;
    for (int k = 0; k < batch; ++k, ++seq) {
      const absl::Time t = t0 + absl::Minutes(seq);
      clock.SetWallTime(t);
      for (int i = 0; i < kSeries; ++i) {
        const double value = i % 2 == 0 ? static_cast<double>(seq)
                                        : static_cast<double>(seq % 977);
        absl::Status status = (*store)->Append(ids[i], t, value);
        if (!status.ok()) return Fail(status);
      }
    }
    absl::Status status = (*store)->Flush();
    if (!status.ok()) return Fail(status);
    for (int64_t s = first; s < seq; ++s)
      std::printf("%lld\n", static_cast<long long>(s));
    std::fflush(stdout);
    if (rng() % 8 == 0) {
      status = (*store)->Consolidate(/*force_prune=*/rng() % 4 == 0);
      if (!status.ok()) return Fail(status);
    }
  }
}
