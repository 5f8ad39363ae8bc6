// How much room the file system under the history store has, and the share of
// it the store's storage budget may take, so that the store never fills the
// disk it lives on (the flash partition it shares with the configuration, the
// pulse counts and the logs).
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

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

// The mount that holds a path: what decides how much flash a commit wears
// beyond its own data. Every write changes the file's modification time; on a
// file system mounted without `lazytime` the kernel writes that inode back
// within half a minute (on ext4 with a journal: a journal commit, ~3 blocks,
// and later the inode's own block), so a commit a minute costs about one more
// block than its data. With `lazytime` the times stay in memory until the
// inode is written for another reason (or a day has passed).
struct MountInfo {
  std::string mount_point;
  std::string file_system;  // ext4, f2fs, tmpfs, ...
  bool lazytime = false;
  // True for file systems kept in memory (tmpfs, ramfs): nothing is worn.
  bool in_memory = false;
};

// The mount of `path` in `mountinfo` (the text of /proc/self/mountinfo): the
// longest mount point that contains it. `path` must be absolute and without
// symbolic links (see FindMount). Errors: InvalidArgument (not absolute),
// NotFound (no mount contains it: a malformed mountinfo).
absl::StatusOr<MountInfo> MountOfPath(absl::string_view path,
                                      absl::string_view mountinfo);

// The mount of `path` (a file or a directory) for this process: realpath(3)
// then /proc/self/mountinfo. Errors: NotFound, Unavailable (no /proc).
absl::StatusOr<MountInfo> FindMount(const std::string& path);

}  // namespace ews::storage
