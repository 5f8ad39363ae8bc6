// The store's read connections: a few read-only SQLite connections to one
// file, each lent to one caller at a time. With WAL, transactions on
// different connections read at the same time and never block the writer,
// and each connection keeps its own compiled statements (Db's cache), so
// concurrent queries (charts, device pages) do not wait for each other.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sdk/storage/internal/db.h"

namespace ews::storage::internal {

class ReadPool {
 public:
  // A connection lent to one caller; given back when the lease is destroyed.
  // A lease must not outlive its pool (Close() waits for it).
  class Lease {
   public:
    Lease(Lease&& other) noexcept = default;
    Lease& operator=(Lease&&) = delete;
    ~Lease();
    Db& operator*() const { return *db_; }
    Db* operator->() const { return db_.get(); }

   private:
    friend class ReadPool;
    Lease(ReadPool* pool, std::unique_ptr<Db> db)
        : pool_(pool), db_(std::move(db)) {}
    ReadPool* pool_;
    std::unique_ptr<Db> db_;
  };

  // The size of an automatic pool (count 0): as many connections as hardware
  // threads, at least 2, at most 4.
  static int AutomaticSize();

  ReadPool() = default;
  ~ReadPool() { Close(); }
  ReadPool(const ReadPool&) = delete;
  ReadPool& operator=(const ReadPool&) = delete;

  // Opens `count` read-only connections to `path` (0: AutomaticSize()).
  // Errors: InvalidArgument for count < 0, FailedPrecondition when the pool
  // is open already, and those of Db::Open() (DataLoss, Unavailable, ...);
  // after an error no connection is open.
  absl::Status Open(const std::string& path, int count);
  // Waits for an idle connection. FailedPrecondition when the pool is not
  // open (never opened, or closed).
  absl::StatusOr<Lease> Acquire();
  // Refuses new leases, waits until every lent connection is given back, then
  // closes all of them (so the file can be moved, or the writer's close be the
  // last one). Open() may be called again afterwards.
  void Close();
  // Connections open (idle or lent).
  int size() const;

 private:
  void GiveBack(std::unique_ptr<Db> db);
  // Conditions: Acquire() may return (a connection or an error); Close() may
  // close.
  bool CanLend() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool AllGivenBack() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::vector<std::unique_ptr<Db>> idle_ ABSL_GUARDED_BY(mu_);
  int open_ ABSL_GUARDED_BY(mu_) = 0;  // idle + lent
  bool closing_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace ews::storage::internal
