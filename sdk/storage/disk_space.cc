#include "sdk/storage/disk_space.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ews::storage {

absl::StatusOr<FileSystemSpace> StatvfsDiskSpace::Query(
    const std::string& path) {
  struct statvfs fs;
  if (::statvfs(path.c_str(), &fs) != 0) {
    const int error = errno;
    const std::string message =
        absl::StrCat("statvfs ", path, ": ", std::strerror(error));
    if (error == ENOENT || error == ENOTDIR) {
      return absl::NotFoundError(message);
    }
    if (error == EACCES) return absl::PermissionDeniedError(message);
    return absl::InternalError(message);
  }
  FileSystemSpace space;
  space.total_bytes = static_cast<int64_t>(fs.f_blocks) * fs.f_frsize;
  space.free_bytes = static_cast<int64_t>(fs.f_bavail) * fs.f_frsize;
  return space;
}

int64_t DiskReserveBytes(const FileSystemSpace& space) {
  return std::min(space.total_bytes / 10, int64_t{32} << 20);
}

int64_t FreeSpaceBudget(int64_t configured_bytes, int64_t store_file_bytes,
                        const FileSystemSpace& space) {
  constexpr int64_t kMinimum = int64_t{64} << 10;
  const int64_t room =
      store_file_bytes + space.free_bytes - DiskReserveBytes(space);
  return std::max(kMinimum, std::min(configured_bytes, room / 4 * 3));
}

}  // namespace ews::storage
