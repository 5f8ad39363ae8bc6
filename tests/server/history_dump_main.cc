// history_dump: prints the minute records of history series, read through the
// SDK's storage::Store (so the test that uses it does not depend on the file
// format). Run it on a store no server has open.
//
//   history_dump --db=DATA/history.db DEVICE/QUANTITY...
//
// One line per minute record: "DEVICE QUANTITY MINUTE_START_UNIX RAW SAMPLES",
// with RAW the counter (or, for other kinds, the last value) at the series'
// register resolution (value / scale, rounded). Exit status 1 on an error.
#include <cmath>
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_split.h"
#include "sdk/base/clock.h"
#include "sdk/storage/store.h"

int main(int argc, char** argv) {
  std::string db;
  int first_series = 1;
  if (argc > 1 && std::string(argv[1]).rfind("--db=", 0) == 0) {
    db = std::string(argv[1]).substr(5);
    first_series = 2;
  }
  if (db.empty() || first_series >= argc) {
    std::fprintf(stderr, "usage: history_dump --db=PATH DEVICE/QUANTITY...\n");
    return 2;
  }
  ews::storage::StoreOptions options;
  options.path = db;
  options.recover_corrupt = false;  // a reader never moves anything
  auto store = ews::storage::Store::Open(options, &ews::SystemClock::Get(),
                                         absl::UTCTimeZone());
  if (!store.ok()) {
    std::fprintf(stderr, "history_dump: %s\n",
                 store.status().ToString().c_str());
    return 1;
  }
  for (int i = first_series; i < argc; ++i) {
    std::pair<std::string, std::string> name =
        absl::StrSplit(argv[i], absl::MaxSplits('/', 1));
    absl::StatusOr<ews::storage::SeriesSpec> spec;
    absl::StatusOr<std::vector<ews::storage::Point>> points;
    absl::StatusOr<ews::storage::SeriesId> id =
        (*store)->FindSeries(name.first, name.second);
    if (id.ok()) spec = (*store)->GetSpec(*id);
    if (id.ok() && spec.ok()) {
      points =
          (*store)->Read(*id, ews::storage::Tier::kMinute, absl::UnixEpoch(),
                         ews::SystemClock::Get().WallNow() + absl::Hours(24));
    }
    const absl::Status status = !id.ok()     ? id.status()
                                : !spec.ok() ? spec.status()
                                             : points.status();
    if (!status.ok()) {
      std::fprintf(stderr, "history_dump: %s: %s\n", argv[i],
                   status.ToString().c_str());
      return 1;
    }
    for (const ews::storage::Point& point : *points) {
      const double value = spec->kind == ews::storage::SeriesKind::kCounter
                               ? point.counter
                               : point.last;
      std::printf("%s %s %lld %lld %lld\n", name.first.c_str(),
                  name.second.c_str(),
                  static_cast<long long>(absl::ToUnixSeconds(point.start)),
                  static_cast<long long>(std::llround(value / spec->scale)),
                  static_cast<long long>(point.samples));
    }
  }
  return 0;
}
