// A DiskSpace whose answer the test sets, and which records the paths asked.
#pragma once

#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "sdk/storage/disk_space.h"

namespace ews::storage {

class FakeDiskSpace final : public DiskSpace {
 public:
  void Set(FileSystemSpace space) {
    absl::MutexLock lock(&mutex_);
    space_ = space;
  }
  void InjectError(absl::Status error) {
    absl::MutexLock lock(&mutex_);
    error_ = std::move(error);
  }
  std::vector<std::string> queried() const {
    absl::MutexLock lock(&mutex_);
    return queried_;
  }

  absl::StatusOr<FileSystemSpace> Query(const std::string& path) override {
    absl::MutexLock lock(&mutex_);
    queried_.push_back(path);
    if (!error_.ok()) return error_;
    return space_;
  }

 private:
  mutable absl::Mutex mutex_;
  FileSystemSpace space_ ABSL_GUARDED_BY(mutex_);
  absl::Status error_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::string> queried_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::storage
