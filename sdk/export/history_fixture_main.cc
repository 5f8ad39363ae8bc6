// Test fixture: writes `days` days of minute history (up to the current
// minute) for `devices` meters of `series` quantities each into a store, so
// end-to-end tests have files to fetch.
//   history_fixture <db path> <time zone> <days> <devices> <series>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/storage/store.h"

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr,
                 "usage: history_fixture DB ZONE DAYS DEVICES SERIES\n");
    return 2;
  }
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(argv[2], &zone)) return 2;
  const int days = std::atoi(argv[3]);
  const int devices = std::atoi(argv[4]);
  const int series = std::atoi(argv[5]);
  const absl::Time end =
      absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) / 60 * 60);
  ews::SimulatedClock clock(end - absl::Hours(24) * days);
  ews::storage::StoreOptions options;
  options.path = argv[1];
  auto store = ews::storage::Store::Open(options, &clock, zone);
  if (!store.ok()) {
    std::fprintf(stderr, "%s\n", store.status().ToString().c_str());
    return 1;
  }
  std::vector<ews::storage::SeriesId> ids;
  for (int d = 1; d <= devices; ++d) {
    for (int s = 0; s < series; ++s) {
      ews::storage::SeriesSpec spec;
      spec.device_id = absl::StrCat("meter-", d);
      const bool counter = s == 0;
      spec.quantity_id = counter ? "ea_import" : absl::StrCat("p", s);
      spec.kind = counter ? ews::storage::SeriesKind::kCounter
                          : ews::storage::SeriesKind::kInstantaneous;
      spec.unit = counter ? "kWh" : "W";
      spec.scale = counter ? 0.001 : 0.1;
      auto id = (*store)->RegisterSeries(spec);
      if (!id.ok()) return 1;
      ids.push_back(*id);
    }
  }
  int64_t minute = 0;
  while (clock.WallNow() < end) {
    const absl::Time t = clock.WallNow();
    for (size_t i = 0; i < ids.size(); ++i) {
      const double value = i % series == 0
                               ? 1000 + 0.125 * minute
                               : 100 + (minute * 7 + i * 13) % 500 * 0.1;
      if (!(*store)->Append(ids[i], t, value).ok()) return 1;
    }
    ++minute;
    clock.Advance(absl::Minutes(1));
    if (minute % 60 == 0 && !(*store)->Consolidate().ok()) return 1;
  }
  if (!(*store)->Flush().ok()) return 1;
  std::printf("%lld minutes x %zu series\n", static_cast<long long>(minute),
              ids.size());
  return 0;
}
