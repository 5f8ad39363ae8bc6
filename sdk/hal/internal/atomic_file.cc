#include "sdk/hal/internal/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "absl/strings/str_cat.h"
#include "sdk/hal/internal/errno_status.h"

namespace ews::hal::internal {

absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents) {
  const std::string temporary = path + ".tmp";
  const int fd =
      open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("create ", temporary));
  size_t done = 0;
  while (done < contents.size()) {
    const ssize_t n = write(fd, contents.data() + done, contents.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int error = errno;
      close(fd);
      return ErrnoToStatus(error, absl::StrCat("write ", temporary));
    }
    done += n;
  }
  if (fsync(fd) != 0) {
    const int error = errno;
    close(fd);
    return ErrnoToStatus(error, absl::StrCat("fsync ", temporary));
  }
  if (close(fd) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("close ", temporary));
  }
  if (rename(temporary.c_str(), path.c_str()) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("rename to ", path));
  }
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  const int dir_fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    fsync(dir_fd);
    close(dir_fd);
  }
  return absl::OkStatus();
}

absl::StatusOr<std::string> ReadSmallFile(const std::string& path,
                                          size_t max_size) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("open ", path));
  std::string text;
  char chunk[4096];
  while (true) {
    const ssize_t n = read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int error = errno;
      close(fd);
      return ErrnoToStatus(error, absl::StrCat("read ", path));
    }
    if (n == 0) break;
    text.append(chunk, n);
    if (text.size() > max_size) {
      close(fd);
      return absl::DataLossError(absl::StrCat(path, " is implausibly large"));
    }
  }
  close(fd);
  return text;
}

}  // namespace ews::hal::internal
