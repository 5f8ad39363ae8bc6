#include "sdk/storage/internal/block_walker.h"

#include "absl/strings/str_cat.h"
#include "sdk/base/status_macros.h"
#include "sdk/storage/internal/tiers.h"

namespace ews::storage::internal {

const char* const kTierTable[kTierCount] = {
    "tier_minute", "tier_hour", "tier_day", "tier_month", "tier_year"};

absl::StatusOr<std::unique_ptr<BlockWalker>> BlockWalker::Create(
    Db& db, const SeriesInfo& info, Tier tier, int64_t from_s, int64_t to_s,
    const absl::TimeZone& tz) {
  auto walker = std::unique_ptr<BlockWalker>(new BlockWalker());
  walker->kind_ = info.spec.kind;
  walker->block_tier_ = BlockTier(tier);
  walker->tz_ = &tz;
  walker->id_ = info.id;
  walker->first_slot_ = SlotStart(tier, from_s, tz);
  walker->to_s_ = to_s;
  walker->next_block_ = BlockStart(tier, from_s, tz);
  const int64_t blocks =
      (to_s - walker->next_block_) / NominalSeconds(walker->block_tier_) + 1;
  // Point lookups cost a few microseconds each; a scan reads every series'
  // blocks of the period, so it only pays for absurdly long periods.
  walker->scan_ = blocks > 200000;
  const std::string table = kTierTable[static_cast<int>(tier)];
  if (walker->scan_) {
    EWS_ASSIGN_OR_RETURN(
        walker->stmt_,
        db.Prepare(absl::StrCat("SELECT data FROM ", table,
                                " WHERE start >= ? AND start < ? AND "
                                "series_id = ? ORDER BY start")));
    walker->stmt_->Bind(1, walker->next_block_).Bind(2, to_s).Bind(3, info.id);
  } else {
    EWS_ASSIGN_OR_RETURN(
        walker->stmt_,
        db.Prepare(absl::StrCat("SELECT data FROM ", table,
                                " WHERE start = ? AND series_id = ?")));
  }
  return walker;
}

absl::StatusOr<bool> BlockWalker::Next(std::vector<Record>* records) {
  records->clear();
  for (;;) {
    absl::string_view data;
    if (scan_) {
      EWS_ASSIGN_OR_RETURN(bool row, stmt_->Step());
      if (!row) return false;
      data = stmt_->ColumnBlob(0);
    } else {
      if (next_block_ >= to_s_) return false;
      stmt_->Reset();
      stmt_->Bind(1, next_block_).Bind(2, id_);
      next_block_ = NextSlot(block_tier_, next_block_, *tz_);
      EWS_ASSIGN_OR_RETURN(bool row, stmt_->Step());
      if (!row) continue;
      data = stmt_->ColumnBlob(0);
    }
    EWS_ASSIGN_OR_RETURN(std::vector<Record> block, DecodeBlock(kind_, data));
    for (const Record& r : block) {
      if (r.start >= first_slot_ && r.start < to_s_) records->push_back(r);
    }
    if (!records->empty()) return true;
  }
}

}  // namespace ews::storage::internal
