#include "sdk/storage/disk_space.h"

#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

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

namespace {

// mountinfo writes space, tab, newline and backslash in paths as \ooo.
std::string Unescape(absl::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const absl::string_view digits = field.substr(i + 1, 3);
      if (digits.find_first_not_of("01234567") == absl::string_view::npos) {
        out.push_back(static_cast<char>((digits[0] - '0') * 64 +
                                        (digits[1] - '0') * 8 +
                                        (digits[2] - '0')));
        i += 3;
        continue;
      }
    }
    out.push_back(field[i]);
  }
  return out;
}

// Whether `mount_point` contains `path` (both absolute, no trailing slash
// except the root).
bool Contains(absl::string_view mount_point, absl::string_view path) {
  if (mount_point == "/") return true;
  return absl::StartsWith(path, mount_point) &&
         (path.size() == mount_point.size() || path[mount_point.size()] == '/');
}

bool HasOption(absl::string_view options, absl::string_view option) {
  for (absl::string_view o : absl::StrSplit(options, ',')) {
    if (o == option) return true;
  }
  return false;
}

}  // namespace

absl::StatusOr<MountInfo> MountOfPath(absl::string_view path,
                                      absl::string_view mountinfo) {
  if (path.empty() || path[0] != '/') {
    return absl::InvalidArgumentError(
        absl::StrCat("mount of \"", path, "\": not an absolute path"));
  }
  // A line: id parent major:minor root mount_point mount_options
  // [optional fields...] - fs_type source super_options
  bool found = false;
  MountInfo best;
  for (absl::string_view line : absl::StrSplit(mountinfo, '\n')) {
    const std::vector<absl::string_view> f =
        absl::StrSplit(line, ' ', absl::SkipEmpty());
    size_t dash = 6;
    while (dash < f.size() && f[dash] != "-") ++dash;
    if (dash + 2 >= f.size()) continue;  // not a mount line
    std::string mount_point = Unescape(f[4]);
    if (!Contains(mount_point, path)) continue;
    // Later lines mount over earlier ones at the same point.
    if (found && mount_point.size() < best.mount_point.size()) continue;
    best.mount_point = std::move(mount_point);
    best.file_system = std::string(f[dash + 1]);
    const absl::string_view super_options =
        dash + 3 < f.size() ? f[dash + 3] : absl::string_view();
    best.lazytime =
        HasOption(f[5], "lazytime") || HasOption(super_options, "lazytime");
    best.in_memory = best.file_system == "tmpfs" || best.file_system == "ramfs";
    found = true;
  }
  if (!found) {
    return absl::NotFoundError(
        absl::StrCat("mount of \"", path, "\": not in the mount table"));
  }
  return best;
}

absl::StatusOr<MountInfo> FindMount(const std::string& path) {
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("mount of ", path, ": ", std::strerror(errno)));
  }
  std::ifstream file("/proc/self/mountinfo");
  if (!file) {
    return absl::UnavailableError(
        absl::StrCat("mount of ", path, ": cannot read /proc/self/mountinfo"));
  }
  std::stringstream text;
  text << file.rdbuf();
  return MountOfPath(resolved, text.str());
}

}  // namespace ews::storage
