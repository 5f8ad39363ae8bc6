#include "sdk/config/config_store.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "sdk/base/files.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/config/text_json.h"
#include "sdk/config/validate.h"

namespace ews::config {
namespace {

// Larger files are not configurations (a full one is a few hundred KiB).
constexpr size_t kMaxFileBytes = 16 << 20;

absl::Status ErrnoError(int error, absl::string_view what,
                        absl::string_view path) {
  return ErrnoToStatus(error, absl::StrCat(what, " ", path));
}

// A file too large to be a configuration is as unusable as a corrupt one.
absl::StatusOr<std::string> ReadFile(const std::string& path) {
  absl::StatusOr<std::string> text = ReadFileToString(path, kMaxFileBytes);
  if (absl::IsResourceExhausted(text.status())) {
    return absl::DataLossError(text.status().message());
  }
  return text;
}

bool Exists(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0;
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

// The lock of a directory that must exist: NotFound on a first start.
absl::StatusOr<DirectoryLock> LockExistingDirectory(
    const std::string& directory) {
  absl::StatusOr<DirectoryLock> lock = DirectoryLock::Acquire(directory);
  if (absl::IsNotFound(lock.status())) {
    return absl::NotFoundError(absl::StrCat("no configuration: ", directory,
                                            " does not exist (first start)"));
  }
  return lock;
}

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
  EWS_ASSIGN_OR_RETURN(DirectoryLock directory_lock,
                       LockExistingDirectory(directory_));
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
    absl::Status backup = WriteFileAtomically(last_good_path(), *text);
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
  absl::Status restored = WriteFileAtomically(config_path(), *text);
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
  return SaveLocked(config);
}

absl::StatusOr<v1::DeviceConfig> ConfigStore::Update(
    const std::function<absl::Status(v1::DeviceConfig&)>& modify) {
  absl::MutexLock lock(&mutex_);
  EWS_ASSIGN_OR_RETURN(DirectoryLock directory_lock,
                       LockExistingDirectory(directory_));
  EWS_ASSIGN_OR_RETURN(v1::DeviceConfig config, LoadLocked());
  EWS_RETURN_IF_ERROR(modify(config));
  EWS_RETURN_IF_ERROR(Validate(config));
  EWS_RETURN_IF_ERROR(SaveLocked(config));
  return config;
}

absl::Status ConfigStore::SaveLocked(const v1::DeviceConfig& config) {
  std::string text = ToText(config);

  // The file being replaced becomes last-good if it is a good config; an
  // unusable one is kept aside rather than overwritten.
  absl::StatusOr<std::string> current = ReadFile(config_path());
  if (current.ok() && *current != text) {
    if (ParseAndValidate(*current).ok()) {
      EWS_RETURN_IF_ERROR(WriteFileAtomically(last_good_path(), *current));
    } else {
      EWS_ASSIGN_OR_RETURN(std::string aside, MoveAsideLocked());
      EWS_LOG(WARNING) << "replacing the unusable " << config_path()
                       << "; kept it as " << aside;
    }
  }

  EWS_RETURN_IF_ERROR(WriteFileAtomically(config_path(), text));

  if (!Exists(last_good_path())) {
    EWS_RETURN_IF_ERROR(WriteFileAtomically(last_good_path(), text));
  }
  return absl::OkStatus();
}

}  // namespace ews::config
