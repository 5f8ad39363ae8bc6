// Reading stored blocks of one series and tier in time order.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sdk/storage/internal/db.h"
#include "sdk/storage/internal/live.h"
#include "sdk/storage/internal/record.h"

namespace ews::storage::internal {

// The table of each tier.
extern const char* const kTierTable[kTierCount];

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

}  // namespace ews::storage::internal
