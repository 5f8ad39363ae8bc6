#include "sdk/storage/internal/read_pool.h"

#include <algorithm>
#include <thread>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ews::storage::internal {

ReadPool::Lease::~Lease() {
  if (db_ != nullptr) pool_->GiveBack(std::move(db_));
}

int ReadPool::AutomaticSize() {
  const int threads = static_cast<int>(std::thread::hardware_concurrency());
  return std::clamp(threads, 2, 4);
}

absl::Status ReadPool::Open(const std::string& path, int count) {
  if (count < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("read connections: ", count, " < 0"));
  }
  if (count == 0) count = AutomaticSize();
  {
    absl::MutexLock lock(&mu_);
    if (open_ > 0 || closing_) {
      return absl::FailedPreconditionError("read connections already open");
    }
  }
  // Opened outside the lock (opening reads the file); nobody can lease from
  // an empty pool meanwhile.
  std::vector<std::unique_ptr<Db>> opened;
  for (int i = 0; i < count; ++i) {
    absl::StatusOr<std::unique_ptr<Db>> db =
        Db::Open(path, Db::Mode::kReadOnly);
    if (!db.ok()) return db.status();  // `opened` closes the others
    opened.push_back(*std::move(db));
  }
  absl::MutexLock lock(&mu_);
  if (open_ > 0 || closing_) {  // a concurrent Open() won
    return absl::FailedPreconditionError("read connections already open");
  }
  open_ = count;
  idle_ = std::move(opened);
  return absl::OkStatus();
}

absl::StatusOr<ReadPool::Lease> ReadPool::Acquire() {
  absl::MutexLock lock(&mu_, absl::Condition(this, &ReadPool::CanLend));
  if (open_ == 0 || closing_) {
    return absl::FailedPreconditionError("history store: reads are closed");
  }
  std::unique_ptr<Db> db = std::move(idle_.back());
  idle_.pop_back();
  return Lease(this, std::move(db));
}

void ReadPool::Close() {
  std::vector<std::unique_ptr<Db>> closing;
  {
    absl::MutexLock lock(&mu_);
    closing_ = true;
    mu_.Await(absl::Condition(this, &ReadPool::AllGivenBack));
    closing = std::move(idle_);
    idle_.clear();
    open_ = 0;
    closing_ = false;
  }
  closing.clear();  // sqlite3_close outside the lock
}

int ReadPool::size() const {
  absl::MutexLock lock(&mu_);
  return open_;
}

bool ReadPool::CanLend() const {
  return !idle_.empty() || open_ == 0 || closing_;
}

bool ReadPool::AllGivenBack() const {
  return static_cast<int>(idle_.size()) == open_;
}

void ReadPool::GiveBack(std::unique_ptr<Db> db) {
  absl::MutexLock lock(&mu_);
  idle_.push_back(std::move(db));
}

}  // namespace ews::storage::internal
