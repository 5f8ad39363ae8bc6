#include "sdk/config/config_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/config/text_json.h"
#include "sdk/config/validate.h"

namespace ews::config {
namespace {

// Larger files are not configurations (a full one is a few hundred KiB).
constexpr off_t kMaxFileBytes = 16 << 20;

absl::Status ErrnoError(int error, absl::string_view what,
                        absl::string_view path) {
  std::string message =
      absl::StrCat(what, " ", path, ": ", std::strerror(error));
  switch (error) {
    case ENOENT:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
    case EROFS:
      return absl::PermissionDeniedError(message);
    default:
      return absl::InternalError(message);
  }
}

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  // Closes now, reporting the error close() may return.
  int Close() {
    int result = ::close(fd_);
    fd_ = -1;
    return result;
  }

 private:
  int fd_;
};

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoError(errno, "cannot open", path);
  struct stat st;
  if (::fstat(fd.get(), &st) != 0)
    return ErrnoError(errno, "cannot stat", path);
  if (st.st_size > kMaxFileBytes) {
    return absl::DataLossError(absl::StrCat(
        path, " is ", st.st_size, " bytes, too large for a configuration"));
  }
  std::string content;
  char buffer[16384];
  while (true) {
    ssize_t n = ::read(fd.get(), buffer, sizeof(buffer));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(errno, "cannot read", path);
    }
    if (n == 0) break;
    content.append(buffer, n);
    if (content.size() > static_cast<size_t>(kMaxFileBytes)) {
      return absl::DataLossError(absl::StrCat(path, " is too large"));
    }
  }
  return content;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
}

absl::Status FsyncDirectory(const std::string& directory) {
  Fd fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0)
    return ErrnoError(errno, "cannot open directory", directory);
  if (::fsync(fd.get()) != 0) {
    return ErrnoError(errno, "cannot fsync directory", directory);
  }
  return absl::OkStatus();
}

// Writes `content` to `temp` (mode 0600), fsyncs it, renames it over
// `path` and fsyncs the directory. On error `path` is untouched.
absl::Status WriteFileAtomically(const std::string& directory,
                                 const std::string& path,
                                 const std::string& temp,
                                 absl::string_view content) {
  {
    Fd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (fd.get() < 0) return ErrnoError(errno, "cannot create", temp);
    // O_CREAT's mode does not apply to a stray temp file that already
    // existed.
    if (::fchmod(fd.get(), 0600) != 0) {
      return ErrnoError(errno, "cannot chmod", temp);
    }
    size_t written = 0;
    while (written < content.size()) {
      ssize_t n =
          ::write(fd.get(), content.data() + written, content.size() - written);
      if (n < 0) {
        if (errno == EINTR) continue;
        int error = errno;
        ::unlink(temp.c_str());
        return ErrnoError(error, "cannot write", temp);
      }
      written += n;
    }
    if (::fsync(fd.get()) != 0 || fd.Close() != 0) {
      int error = errno;
      ::unlink(temp.c_str());
      return ErrnoError(error, "cannot flush", temp);
    }
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    return ErrnoError(error, absl::StrCat("cannot rename ", temp, " to"), path);
  }
  return FsyncDirectory(directory);
}

// An exclusive flock() on the directory itself, so that two processes (the
// server and the ctl tool) never interleave a load and a save.
class DirectoryLock {
 public:
  static absl::StatusOr<DirectoryLock> Acquire(const std::string& directory) {
    int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return ErrnoError(errno, "cannot open directory", directory);
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int error = errno;
      ::close(fd);
      return ErrnoError(error, "cannot lock directory", directory);
    }
    return DirectoryLock(fd);
  }
  DirectoryLock(DirectoryLock&& other) : fd_(other.fd_) { other.fd_ = -1; }
  DirectoryLock& operator=(DirectoryLock&&) = delete;
  ~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_;
};

// Parses and validates a config file's content.
absl::StatusOr<v1::DeviceConfig> ParseAndValidate(absl::string_view text) {
  EWS_ASSIGN_OR_RETURN(v1::DeviceConfig config, FromText(text));
  EWS_RETURN_IF_ERROR(Validate(config));
  return config;
}

}  // namespace

ConfigStore::ConfigStore(std::string directory, const Clock& clock)
    : directory_(std::move(directory)), clock_(clock) {}

std::string ConfigStore::config_path() const {
  return absl::StrCat(directory_, "/", kFileName);
}

std::string ConfigStore::last_good_path() const {
  return config_path() + ".last-good";
}

std::string ConfigStore::temp_path() const { return config_path() + ".tmp"; }

absl::StatusOr<v1::DeviceConfig> ConfigStore::Load() {
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<DirectoryLock> directory_lock =
      DirectoryLock::Acquire(directory_);
  if (!directory_lock.ok()) {
    if (absl::IsNotFound(directory_lock.status())) {
      return absl::NotFoundError(absl::StrCat("no configuration: ", directory_,
                                              " does not exist (first start)"));
    }
    return directory_lock.status();
  }
  return LoadLocked();
}

absl::StatusOr<v1::DeviceConfig> ConfigStore::LoadLocked() {
  for (const std::string& temp : {temp_path(), last_good_path() + ".tmp"}) {
    if (Exists(temp)) {
      EWS_LOG(WARNING) << "removing " << temp
                       << ", left by an interrupted save";
      ::unlink(temp.c_str());
    }
  }

  absl::StatusOr<std::string> text = ReadFile(config_path());
  if (!text.ok()) {
    if (!absl::IsNotFound(text.status())) {
      if (absl::IsDataLoss(text.status())) {
        return FallBackLocked(std::string(text.status().message()));
      }
      return text.status();
    }
    if (!Exists(last_good_path())) {
      return absl::NotFoundError(
          absl::StrCat("no configuration in ", directory_, " (first start)"));
    }
    return FallBackLocked(absl::StrCat(config_path(), " is missing"));
  }

  absl::StatusOr<v1::DeviceConfig> config = FromText(*text);
  if (config.ok() && config->schema_version() > kSchemaVersion) {
    return absl::FailedPreconditionError(absl::StrCat(
        config_path(), " has schema_version ", config->schema_version(),
        ", written by newer software; this one reads up to ", kSchemaVersion));
  }
  if (config.ok()) {
    absl::Status valid = Validate(*config);
    if (!valid.ok()) config = valid;
  }
  if (!config.ok()) {
    return FallBackLocked(
        absl::StrCat(config_path(), ": ", config.status().message()));
  }

  // A good file and no backup (e.g. installed by hand): make one.
  if (!Exists(last_good_path())) {
    absl::Status backup = WriteFileAtomically(directory_, last_good_path(),
                                              last_good_path() + ".tmp", *text);
    if (!backup.ok()) {
      EWS_LOG(WARNING) << "cannot create " << last_good_path() << ": "
                       << backup;
    }
  }
  return config;
}

absl::StatusOr<std::string> ConfigStore::MoveAsideLocked() {
  std::string base =
      absl::StrCat(config_path(), ".corrupt-",
                   absl::FormatTime("%Y%m%dT%H%M%SZ", clock_.WallNow(),
                                    absl::UTCTimeZone()));
  std::string aside = base;
  for (int i = 1; Exists(aside); ++i) aside = absl::StrCat(base, "-", i);
  if (::rename(config_path().c_str(), aside.c_str()) != 0) {
    return ErrnoError(errno, absl::StrCat("cannot move aside"), config_path());
  }
  return aside;
}

absl::StatusOr<v1::DeviceConfig> ConfigStore::FallBackLocked(
    const std::string& main_problem) {
  EWS_LOG(ERROR) << "configuration file is unusable: " << main_problem
                 << "; loading " << last_good_path();

  absl::StatusOr<std::string> text = ReadFile(last_good_path());
  absl::StatusOr<v1::DeviceConfig> config =
      text.ok() ? ParseAndValidate(*text)
                : absl::StatusOr<v1::DeviceConfig>(text.status());
  if (!config.ok()) {
    // Nothing is moved: every later Load() fails the same way until someone
    // decides (Save() of a repaired or factory config), so a reboot can never
    // turn this into a silent first start.
    std::string message = absl::StrCat(
        main_problem, "; the last good copy is unusable too: ",
        text.ok() ? last_good_path() + ": " : "", config.status().message());
    EWS_LOG(ERROR) << "no usable configuration: " << message;
    return absl::DataLossError(message);
  }

  if (Exists(config_path())) {
    absl::StatusOr<std::string> aside = MoveAsideLocked();
    if (aside.ok()) {
      EWS_LOG(ERROR) << "moved the unusable " << config_path() << " to "
                     << *aside;
    } else {
      EWS_LOG(ERROR) << aside.status();
    }
  }
  absl::Status restored =
      WriteFileAtomically(directory_, config_path(), temp_path(), *text);
  if (restored.ok()) {
    EWS_LOG(ERROR) << "restored " << config_path() << " from "
                   << last_good_path();
  } else {
    EWS_LOG(ERROR) << "cannot restore " << config_path() << ": " << restored;
  }
  return config;
}

absl::Status ConfigStore::Save(const v1::DeviceConfig& config) {
  EWS_RETURN_IF_ERROR(Validate(config));
  absl::MutexLock lock(&mutex_);

  if (::mkdir(directory_.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoError(errno, "cannot create directory", directory_);
  }
  EWS_ASSIGN_OR_RETURN(DirectoryLock directory_lock,
                       DirectoryLock::Acquire(directory_));
  std::string text = ToText(config);

  // The file being replaced becomes last-good if it is a good config; an
  // unusable one is kept aside rather than overwritten.
  absl::StatusOr<std::string> current = ReadFile(config_path());
  if (current.ok() && *current != text) {
    if (ParseAndValidate(*current).ok()) {
      EWS_RETURN_IF_ERROR(WriteFileAtomically(
          directory_, last_good_path(), last_good_path() + ".tmp", *current));
    } else {
      EWS_ASSIGN_OR_RETURN(std::string aside, MoveAsideLocked());
      EWS_LOG(WARNING) << "replacing the unusable " << config_path()
                       << "; kept it as " << aside;
    }
  }

  EWS_RETURN_IF_ERROR(
      WriteFileAtomically(directory_, config_path(), temp_path(), text));

  if (!Exists(last_good_path())) {
    EWS_RETURN_IF_ERROR(WriteFileAtomically(directory_, last_good_path(),
                                            last_good_path() + ".tmp", text));
  }
  return absl::OkStatus();
}

}  // namespace ews::config
