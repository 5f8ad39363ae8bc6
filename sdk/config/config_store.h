// Durable storage of the device configuration in one directory:
//
//   config.textproto            the configuration (text format, mode 0600)
//   config.textproto.last-good  the previous good configuration (0600)
//   config.textproto.corrupt-<UTC time>   a file that failed to load, kept
//                                         for inspection
//   *.tmp                       transient, only while saving
//
// Saving is atomic (write a temp file, fsync, rename over, fsync the
// directory), so after a crash or power cut the file is either the old or the
// new configuration, never a mix. A corrupt main file is never replaced by
// factory defaults: Load() falls back to the last good copy and logs an
// ERROR, or fails with DataLoss if there is none.
//
// Thread-safe. Load() and Save() also hold an exclusive flock() on the
// directory, so separate processes (the server, the ctl tool) serialise too.
#pragma once

#include <functional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sdk/base/clock.h"
#include "sdk/config/config.pb.h"

namespace ews::config {

class ConfigStore {
 public:
  static constexpr char kFileName[] = "config.textproto";

  // `clock` (not owned) stamps the names of files moved aside.
  ConfigStore(std::string directory, const Clock& clock);

  ConfigStore(const ConfigStore&) = delete;
  ConfigStore& operator=(const ConfigStore&) = delete;

  // Reads and validates the configuration.
  // - No file at all (first start): NotFound; the app then saves
  //   DefaultConfig().
  // - Main file unreadable as a config (garbage, truncated, invalid values)
  //   or missing while a last-good copy exists: logs an ERROR naming the file
  //   and the problem, loads config.textproto.last-good, moves the bad file
  //   aside as config.textproto.corrupt-<time>, restores the main file from
  //   last-good and returns it.
  // - Last-good copy missing or bad too: DataLoss naming both problems.
  //   Nothing is moved or replaced, so every later Load() (every reboot)
  //   fails the same way: the app must not create defaults on DataLoss, only
  //   on NotFound. A person decides (e.g. Save(DefaultConfig()) from a
  //   "factory reset" action); that Save keeps the bad file aside.
  // - schema_version newer than this software: FailedPrecondition, nothing
  //   is moved (the file belongs to newer firmware).
  // - I/O errors: Internal / PermissionDenied with the path and errno text.
  // Removes *.tmp files left by a save that was interrupted.
  absl::StatusOr<v1::DeviceConfig> Load() ABSL_LOCKS_EXCLUDED(mutex_);

  // Validates `config` (InvalidArgument, nothing written), then writes it
  // atomically with mode 0600. The file it replaces becomes last-good if it
  // was itself a valid configuration, else it is moved aside as
  // config.textproto.corrupt-<time>; after the first save last-good is a
  // copy of the saved file. Creates the directory (0700) if it is missing.
  // Errors: InvalidArgument; Internal / PermissionDenied for I/O errors (the
  // previous file is then intact).
  absl::Status Save(const v1::DeviceConfig& config) ABSL_LOCKS_EXCLUDED(mutex_);

  // Load(), `modify`, Validate() and Save() as one step under the store's
  // locks, so that nobody (another ConfigStore on the same directory, the
  // ctl tool, the Authenticator changing a code) saves in between and no
  // stale copy is written back. Returns the saved configuration. Errors: as
  // Load(); `modify`'s error (nothing written); InvalidArgument from
  // Validate() (nothing written); as Save().
  absl::StatusOr<v1::DeviceConfig> Update(
      const std::function<absl::Status(v1::DeviceConfig&)>& modify)
      ABSL_LOCKS_EXCLUDED(mutex_);

  const std::string& directory() const { return directory_; }
  std::string config_path() const;
  std::string last_good_path() const;
  std::string temp_path() const;

 private:
  absl::Status SaveLocked(const v1::DeviceConfig& config)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<v1::DeviceConfig> LoadLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<v1::DeviceConfig> FallBackLocked(
      const std::string& main_problem) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<std::string> MoveAsideLocked()
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const std::string directory_;
  const Clock& clock_;
  absl::Mutex mutex_;
};

}  // namespace ews::config
