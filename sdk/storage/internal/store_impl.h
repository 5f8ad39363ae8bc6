// Internals of Store shared by store.cc and csv_export.cc.
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
#include "sdk/storage/internal/db.h"
#include "sdk/storage/internal/record.h"
#include "sdk/storage/store.h"

namespace ews::storage {

// A copy of what a reader needs to know about a series.
struct SeriesInfo {
  SeriesId id = 0;
  SeriesSpec spec;
  internal::CounterRules rules;
};

// Live data of one series captured with a read transaction.
struct LiveState {
  bool has_prev = false;
  internal::Sample prev{0, 0};
  std::vector<std::string> chunks;
};

struct SeriesState {
  SeriesInfo info;
  int64_t consolidated_until_ms = 0;  // staged samples are all at/after this
  bool has_prev = false;              // last consolidated sample
  internal::Sample prev{0, 0};
  bool has_last = false;  // last accepted sample (pending or staged)
  int64_t last_t_ms = 0;
  std::vector<internal::Sample> pending;
  // Acknowledged samples not consolidated yet, as encoded chunks (a copy of
  // what the staging table holds for this series, for live reads).
  std::vector<std::string> staged;
  int64_t staged_count = 0;
};

class Store::Impl {
 public:
  StoreOptions options;
  Clock* clock = nullptr;
  absl::TimeZone tz;

  // Locks, in this order: read_mu, mu, registry_mu, live_mu. Readers never
  // take `mu`, so a long consolidation does not hold up queries.
  //
  // mu: the write connection and the writer's state (pending samples,
  // consolidation progress).
  mutable absl::Mutex mu;
  std::unique_ptr<internal::Db> write_db ABSL_GUARDED_BY(mu);
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

  mutable absl::Mutex read_mu;
  std::unique_ptr<internal::Db> read_db ABSL_GUARDED_BY(read_mu);

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
};

namespace internal {

extern const char* const kTierTable[kTierCount];

std::string EncodeChunk(const std::vector<Sample>& samples);
absl::StatusOr<std::vector<Sample>> DecodeChunk(absl::string_view data);

// Minute records from raw samples (in time order), continuing a counter from
// `prev` when `has_prev`.
std::vector<Record> BuildMinutes(const SeriesInfo& info, bool has_prev,
                                 const Sample& prev,
                                 const std::vector<Sample>& samples);

// Records of `tier` in [from_s, to_s) built from the acknowledged but not yet
// consolidated samples of a series.
absl::StatusOr<std::vector<Record>> LiveRecords(const SeriesInfo& info,
                                                const LiveState& live,
                                                Tier tier, int64_t from_s,
                                                int64_t to_s,
                                                const absl::TimeZone& tz);

// A staging batch: the chunks of every series written by one Flush().
std::string EncodeBatch(
    const std::vector<std::pair<SeriesId, std::string>>& chunks);
absl::StatusOr<std::vector<std::pair<SeriesId, std::string>>> DecodeBatch(
    absl::string_view data);

// Merges live records into stored ones (both sorted by start).
std::vector<Record> MergeRecords(SeriesKind kind, std::vector<Record> stored,
                                 const std::vector<Record>& live);

Point ToPoint(const SeriesSpec& spec, Tier tier, const Record& r,
              const absl::TimeZone& tz);

// Clamps a period in unix seconds to 1970..9999 (InfinitePast/Future become
// the bounds).
void ClampPeriod(int64_t* from_s, int64_t* to_s);

// Walks the stored blocks of one series and tier that may hold records in
// [from_s, to_s), in time order. Tier tables are keyed (start, series_id) so
// that one consolidation writes neighbouring rows; the walker looks blocks up
// by key, or scans the period when it spans very many blocks.
class BlockWalker {
 public:
  static absl::StatusOr<std::unique_ptr<BlockWalker>> Create(
      Db& db, const SeriesInfo& info, Tier tier, int64_t from_s, int64_t to_s,
      const absl::TimeZone& tz);
  // The next block's records within [from_s, to_s); false when done.
  absl::StatusOr<bool> Next(std::vector<Record>* records);

 private:
  BlockWalker() = default;
  SeriesKind kind_ = SeriesKind::kUnspecified;
  Tier block_tier_ = Tier::kHour;
  const absl::TimeZone* tz_ = nullptr;
  int64_t first_slot_ = 0;
  int64_t to_s_ = 0;
  bool scan_ = false;
  int64_t next_block_ = 0;
  SeriesId id_ = 0;
  std::unique_ptr<Statement> stmt_;
};

}  // namespace internal
}  // namespace ews::storage
