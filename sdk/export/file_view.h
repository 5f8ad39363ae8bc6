// The history as a read-only tree of CSV files, generated from the store on
// demand: what FTP, WebDAV and the web download serve (docs/data-access.md).
//
//   FileView view(store, clock, time_zone);
//   FileAccess access = ...;  // what the logged-in role may see
//   EWS_ASSIGN_OR_RETURN(std::vector<FileEntry> entries,
//                        view.List("/meter-1", access));
//   EWS_RETURN_IF_ERROR(view.Read("/meter-1/meter-1_2026-01.csv", access,
//                                 /*offset=*/0, kToEnd, sink));
//
// The tree (names are stable; a script may build them itself):
//   /<device>/<device>_YYYY-MM-DD.csv  one day, one row per minute (while the
//                                      minute tier holds the day)
//   /<device>/<device>_YYYY-MM.csv     one month, one row per hour
//   /<device>/<device>_YYYY.csv        one year, one row per day
//   /_site/site_YYYY-MM.csv            the whole site's consumption per day
//                                      of the month, one column per counter
// <device> is the store's device id (a configured device or pulse counter
// id: [a-z0-9_-], never starting with '_'). Periods follow the site's time
// zone. Nothing is stored: every read runs the store's CSV export.
//
// Sizes must be exact (FTP SIZE, HTTP Content-Length, PROPFIND): a file's
// size is found by generating it once and counting. A past period whose data
// is complete (its end more than `immutable_after` ago, and not cut by
// retention) never changes, so its size is cached (bounded LRU-free map,
// cleared when full); the current period is generated again each time it is
// asked for (at most a day of minutes, a month of hours, a year of days).
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/storage/store.h"

namespace ews::files {

// Who is looking: which devices' folders exist for them, and whether the
// whole-site folder does.
struct FileAccess {
  std::function<bool(absl::string_view device_id)> device;
  bool site = false;
};

struct FileEntry {
  std::string name;  // last path component ("" for the root)
  bool is_directory = false;
  int64_t size = 0;  // bytes (0 for directories)
  absl::Time modified;
};

struct FileViewOptions {
  storage::CsvStyle style = storage::CsvStyle::kSemicolonDecimalComma;
  // A period that ended this long ago no longer changes (the store refuses
  // samples for consolidated hours; its late grace is 2 minutes).
  absl::Duration immutable_after = absl::Hours(1);
  // Cached sizes of immutable files; the cache is cleared when full.
  size_t max_cached_sizes = 20000;
};

inline constexpr uint64_t kToEnd = std::numeric_limits<uint64_t>::max();

// A canonical path split in components. Accepts "/", "/a", "/a/b" (a trailing
// '/' is allowed). Errors: InvalidArgument for anything else: relative
// paths, empty, "." or ".." components, '%', '\\', control characters, NUL,
// more than 255 bytes.
absl::StatusOr<std::vector<std::string>> SplitPath(absl::string_view path);

class FileView {
 public:
  // `store` and `clock` are not owned and must outlive the view.
  FileView(const storage::Store* store, const Clock& clock,
           absl::TimeZone time_zone, FileViewOptions options = {});

  // The entry at `path`. Errors: InvalidArgument (see SplitPath), NotFound
  // (no such file, or one `access` does not show), DataLoss and others from
  // the store.
  absl::StatusOr<FileEntry> Stat(absl::string_view path,
                                 const FileAccess& access) const;

  // A directory's entries, sorted by name. Errors: as Stat(), and
  // FailedPrecondition when `path` is a file.
  absl::StatusOr<std::vector<FileEntry>> List(absl::string_view path,
                                              const FileAccess& access) const;

  // Streams bytes [offset, offset + length) of a file to `sink` (fewer at
  // the end of the file; none when offset >= size). Constant memory.
  // Errors: as Stat(), FailedPrecondition for a directory, and whatever the
  // sink returns.
  absl::Status Read(absl::string_view path, const FileAccess& access,
                    uint64_t offset, uint64_t length,
                    const storage::CsvSink& sink) const;

  // What a file holds: the store's CSV export request for a device file.
  // The HTTP history CSV route builds the same request from its query.
  // Errors: as Stat(); NotFound for the site files (not a device export).
  absl::StatusOr<storage::CsvRequest> ExportRequestFor(
      absl::string_view path, const FileAccess& access) const;

 private:
  struct Period;  // a file: what it exports and when
  absl::StatusOr<Period> Resolve(const std::vector<std::string>& parts,
                                 const FileAccess& access) const;
  absl::StatusOr<std::vector<Period>> PeriodsOf(absl::string_view device,
                                                bool site) const;
  storage::CsvRequest DeviceRequest(const Period& period) const;
  absl::Status Generate(const Period& period,
                        const storage::CsvSink& sink) const;
  absl::StatusOr<int64_t> SizeOf(const Period& period) const;
  std::vector<std::string> Devices(const FileAccess& access) const;

  const storage::Store* const store_;
  const Clock& clock_;
  const absl::TimeZone time_zone_;
  const FileViewOptions options_;
  mutable absl::Mutex mutex_;
  mutable absl::flat_hash_map<std::string, int64_t> sizes_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::files
