// How much room the file system under the history store has, and the share of
// it the store's storage budget may take, so that the store never fills the
// disk it lives on (the flash partition it shares with the configuration, the
// pulse counts and the logs).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace ews::storage {

struct FileSystemSpace {
  int64_t total_bytes = 0;
  // Free for an unprivileged writer (statvfs f_bavail): the root reserve of
  // ext4 is not counted.
  int64_t free_bytes = 0;
};

class DiskSpace {
 public:
  virtual ~DiskSpace() = default;
  // The file system holding `path` (a file or a directory). Errors: NotFound,
  // PermissionDenied, Internal (the errno of statvfs).
  virtual absl::StatusOr<FileSystemSpace> Query(const std::string& path) = 0;
};

// statvfs(2).
class StatvfsDiskSpace final : public DiskSpace {
 public:
  absl::StatusOr<FileSystemSpace> Query(const std::string& path) override;
};

// What the store keeps free on its file system: 10 % of it, at most 32 MiB.
int64_t DiskReserveBytes(const FileSystemSpace& space);

// The bytes the non-counter series may use: the configured budget, but at most
// three quarters of the room the store can have — its own files plus the free
// space, less DiskReserveBytes() — so that counters (kept forever), the WAL and
// SQLite's free pages fit in the rest. At least 64 KiB (everything but a few
// hours is pruned).
int64_t FreeSpaceBudget(int64_t configured_bytes, int64_t store_file_bytes,
                        const FileSystemSpace& space);

}  // namespace ews::storage
