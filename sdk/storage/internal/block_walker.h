// Reading stored blocks of one series and tier in time order.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sdk/storage/internal/db.h"
#include "sdk/storage/internal/live.h"
#include "sdk/storage/internal/record.h"

namespace ews::storage::internal {

// The table of each tier: (series_id, start, n, data), keyed (start,
// series_id), so that one consolidation writes neighbouring rows.
extern const char* const kTierTable[kTierCount];

// Finished UTC days of the minute tier, one sealed (compressed) block per
// series and day: (key, n, data) with key = SealedKey(day, series). A rowid
// table: blocks of a few KiB stay on their leaf page (a WITHOUT ROWID table
// would move everything past ~1000 bytes to overflow pages), and a day's
// blocks, written in key order, fill their pages.
inline constexpr char kSealedTable[] = "minute_sealed";
inline int64_t SealedKey(int64_t day_start_s, SeriesId id) {
  return (day_start_s / 86400) << 32 | id;
}
// SQL for a sealed row's series id and day start.
inline constexpr char kSealedSeriesSql[] = "(key & 4294967295)";
inline constexpr char kSealedStartSql[] = "((key >> 32) * 86400)";

// SQL of a tier's blocks as rows (series_id, start, n, data) that start at
// or after the time BindBlocksSince() gives: for the minute tier the hour
// blocks and the sealed days.
std::string TierBlocksSql(Tier tier);
void BindBlocksSince(Statement& stmt, int64_t from_s);

// Walks the stored blocks of one series and tier that may hold records in
// [from_s, to_s), in time order: by key lookups (the block starts of a
// period are computable), or by a scan when the period spans very many
// blocks. In the minute tier each day is either one sealed block or, while
// it is open (or in a file from before sealing), one block per hour.
class BlockWalker {
 public:
  static absl::StatusOr<std::unique_ptr<BlockWalker>> Create(
      Db& db, const SeriesInfo& info, Tier tier, int64_t from_s, int64_t to_s,
      const absl::TimeZone& tz);
  // The next block's records within [from_s, to_s); false when done.
  absl::StatusOr<bool> Next(std::vector<Record>* records);
  // Appends the records of every block left to *records. With `damaged`,
  // a block that does not decode (DataLoss) is skipped and its error added
  // there instead of ending the walk.
  absl::Status AppendAll(std::vector<Record>* records,
                         std::vector<absl::Status>* damaged = nullptr);

 private:
  BlockWalker() = default;
  // The next block's data; false when done.
  absl::StatusOr<bool> NextBlock(absl::string_view* data);
  // The block at `key` of stmt_ (with id_) or sealed_; false when none.
  absl::StatusOr<bool> Lookup(Statement& stmt, int64_t key,
                              absl::string_view* data);

  SeriesKind kind_ = SeriesKind::kUnspecified;
  Tier block_tier_ = Tier::kHour;
  const absl::TimeZone* tz_ = nullptr;
  int64_t first_slot_ = 0;
  int64_t to_s_ = 0;
  bool scan_ = false;
  bool minute_ = false;
  int64_t next_block_ = 0;  // minute tier: the day; else the block
  int64_t next_hour_ = -1;  // minute tier: the hour within the day, or -1
  SeriesId id_ = 0;
  std::unique_ptr<Statement> stmt_;
  std::unique_ptr<Statement> sealed_;
};

// The records of `tier` in [from_s, to_s) that its blocks do not hold: for
// the hour..year tiers those aggregated from the minute records after the
// series' rolled_until_s (the open day's, rolled up when it ends), then those
// of the live samples, with the records of one slot combined. Callers merge
// them into the stored records (MergeRecords()).
absl::StatusOr<std::vector<Record>> OpenRecords(Db& db, const SeriesInfo& info,
                                                const LiveState& live,
                                                Tier tier, int64_t from_s,
                                                int64_t to_s,
                                                const absl::TimeZone& tz);

}  // namespace ews::storage::internal
