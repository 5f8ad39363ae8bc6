// Internals of Store shared by its parts (store*.cc, csv_export.cc).
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/storage/disk_space.h"
#include "sdk/storage/internal/block_walker.h"
#include "sdk/storage/internal/db.h"
#include "sdk/storage/internal/live.h"
#include "sdk/storage/internal/read_pool.h"
#include "sdk/storage/internal/record.h"
#include "sdk/storage/internal/sample_log.h"
#include "sdk/storage/store.h"

namespace ews::storage {

using internal::LiveState;
using internal::SeriesInfo;

struct SeriesState {
  SeriesInfo info;
  int64_t consolidated_until_ms = 0;  // staged samples are all at/after this
  int64_t rolled_until_s = 0;         // see LiveState
  bool has_prev = false;              // last consolidated sample
  internal::Sample prev{0, 0};
  bool has_last = false;  // last accepted sample (pending or staged)
  int64_t last_t_ms = 0;
  int64_t last_raw = 0;
  std::vector<internal::Sample> pending;
  // Acknowledged samples not consolidated yet, as encoded chunks (a copy of
  // what the staging table holds for this series, for live reads).
  std::vector<std::string> staged;
  int64_t staged_count = 0;
};

class Store::Impl {
 public:
  // Fixed at open, except options.counter_retention and options.budget_bytes:
  // changed by SetRetention() with `mu` and `registry_mu` held, read with
  // either.
  StoreOptions options;
  Clock* clock = nullptr;
  absl::TimeZone tz;

  // Locks, in this order: a lease of `readers`, mu, registry_mu, live_mu.
  // Readers never take `mu`, so a long consolidation does not hold up
  // queries, and hold a connection of their own, so queries do not wait for
  // each other (up to the pool's size).
  //
  // mu: the write connection and the writer's state (pending samples,
  // consolidation progress).
  mutable absl::Mutex mu;
  std::unique_ptr<internal::Db> write_db ABSL_GUARDED_BY(mu);
  // The acknowledged samples not yet in SQLite (internal/sample_log.h):
  // Flush() appends to it, a consolidation that restages (or a Flush() that
  // would take it past options.max_log_bytes) moves them into SQLite.
  std::unique_ptr<internal::SampleLog> log ABSL_GUARDED_BY(mu);
  // registry_mu: the series maps and the measured record sizes; changed with
  // both `mu` and `registry_mu` held, read with either.
  mutable absl::Mutex registry_mu;
  absl::flat_hash_map<SeriesId, std::unique_ptr<SeriesState>> series;
  std::map<std::pair<std::string, std::string>, SeriesId> by_name;
  // live_mu: SeriesState::staged/staged_count/has_prev/prev, changed with
  // both `mu` and `live_mu` held (and, by a consolidation, together with its
  // COMMIT), read by readers with `live_mu`.
  mutable absl::Mutex live_mu;
  std::vector<SeriesState*> dirty ABSL_GUARDED_BY(mu);
  int64_t pending_total ABSL_GUARDED_BY(mu) = 0;
  int64_t next_batch ABSL_GUARDED_BY(mu) = 1;
  int64_t last_prune_s ABSL_GUARDED_BY(mu) = INT64_MIN;
  // Measured bytes per stored record (with row overhead) of non-counter
  // series per tier; 0 = not measured yet.
  double measured_bytes_per_record[kTierCount] = {};
  // The non-counter budget in force: options.budget_bytes, or less when the
  // file system has less room (disk_space.h). Changed like the sizes above.
  int64_t budget_bytes = 0;

  // The read-only connections (options.read_connections), opened once the
  // file has been checked (and, if corrupt, replaced); each query leases one.
  // Thread-safe by itself.
  mutable internal::ReadPool readers;

  absl::Mutex bg_mu;
  bool bg_stop ABSL_GUARDED_BY(bg_mu) = false;
  std::thread bg_thread;

  absl::StatusOr<SeriesInfo> Info(SeriesId id) const;
  // Starts a read transaction on `db` and copies the live (staged) state of
  // `ids` at the same instant, so tiers and live data never overlap or miss
  // a consolidation.
  absl::StatusOr<std::vector<LiveState>> BeginSnapshot(
      internal::Db& db, const std::vector<SeriesId>& ids) const;
  absl::StatusOr<std::vector<SeriesInfo>> DeviceSeries(
      absl::string_view device_id) const;
  TierRetention RetentionFor(SeriesKind kind) const;
  // Stored plus live records of one tier in [from_s, to_s).
  absl::StatusOr<std::vector<internal::Record>> ReadRecords(
      const SeriesInfo& info, Tier tier, int64_t from_s, int64_t to_s) const;
  // Requires `mu` or `registry_mu`.
  TierRetention BudgetRetentionLocked() const;
  // Appends the pending samples to the log as one batch, or absorbs them
  // with the log into SQLite (store_ingest.cc).
  absl::Status FlushLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
  // The room on the store's file system (options.disk_space or statvfs).
  absl::StatusOr<FileSystemSpace> QuerySpace() const;
  // Sets budget_bytes from the room on the store's file system (kept as it
  // was when the file system cannot be asked): at open and at each prune.
  void UpdateBudgetLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu);
};

namespace internal {
// The size of the file at `path`, 0 when it does not exist.
int64_t FileSize(const std::string& path);
// The bytes of the store's files: database, WAL and sample log.
int64_t StoreFilesSize(const std::string& path);
// Inside a write transaction: replaces the staging table by one batch
// `batch` of `chunks` (a row even when empty): every log record up to
// `batch` is in SQLite.
absl::Status WriteStaging(
    Db& db, int64_t batch,
    const std::vector<std::pair<SeriesId, std::string>>& chunks);
}  // namespace internal

// Bytes a WITHOUT ROWID row costs besides its BLOB (key, header, cell pointer,
// page slack), for estimates when dbstat is unavailable.
inline constexpr double kRowOverheadBytes = 14;

}  // namespace ews::storage
