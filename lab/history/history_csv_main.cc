// history_csv: one device's history from an EWS history database as CSV (the
// SDK's own export, minute tier, ',' and '.'), for the lab's scenarios and for
// looking at a device container's data from the host.
//
//   history_csv --db=RUN_DIR/device-data/history.db --device=ID
//               [--quantities=ea_import,v1n] [--minutes=60]
//
// Open the copy of a running server's database, not the file itself: opening
// a store may consolidate and write.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/strings/str_split.h"
#include "sdk/base/clock.h"
#include "sdk/storage/store.h"

ABSL_FLAG(std::string, db, "", "The history database (a copy)");
ABSL_FLAG(std::string, device, "", "Device id, as in the configuration");
ABSL_FLAG(std::string, quantities, "", "Comma-separated quantity ids (all)");
ABSL_FLAG(int, minutes, 60, "How many minutes back from now");

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  if (absl::GetFlag(FLAGS_db).empty() || absl::GetFlag(FLAGS_device).empty() ||
      absl::GetFlag(FLAGS_minutes) < 1) {
    std::fprintf(stderr, "history_csv: --db and --device are required\n");
    return 2;
  }
  ews::storage::StoreOptions options;
  options.path = absl::GetFlag(FLAGS_db);
  options.recover_corrupt = false;
  absl::StatusOr<std::unique_ptr<ews::storage::Store>> store =
      ews::storage::Store::Open(options, &ews::SystemClock::Get(),
                                absl::UTCTimeZone());
  if (!store.ok()) {
    std::fprintf(stderr, "history_csv: %s\n",
                 store.status().ToString().c_str());
    return 1;
  }
  ews::storage::CsvRequest request;
  request.device_id = absl::GetFlag(FLAGS_device);
  if (!absl::GetFlag(FLAGS_quantities).empty()) {
    request.quantity_ids = absl::StrSplit(absl::GetFlag(FLAGS_quantities), ',');
  }
  request.to = ews::SystemClock::Get().WallNow() + absl::Minutes(1);
  request.from = request.to - absl::Minutes(absl::GetFlag(FLAGS_minutes) + 1);
  request.tier = ews::storage::Tier::kMinute;
  request.style = ews::storage::CsvStyle::kCommaDecimalPoint;
  absl::Status exported =
      (*store)->ExportCsv(request, [](absl::string_view chunk) {
        std::fwrite(chunk.data(), 1, chunk.size(), stdout);
        return absl::OkStatus();
      });
  if (!exported.ok()) {
    std::fprintf(stderr, "history_csv: %s\n", exported.ToString().c_str());
    return 1;
  }
  return 0;
}
