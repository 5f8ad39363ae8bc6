#include "sdk/storage/internal/block_walker.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "sdk/base/status_macros.h"
#include "sdk/storage/internal/tiers.h"

namespace ews::storage::internal {

const char* const kTierTable[kTierCount] = {
    "tier_minute", "tier_hour", "tier_day", "tier_month", "tier_year"};

std::string TierBlocksSql(Tier tier) {
  std::string sql =
      absl::StrCat("SELECT series_id, start, n, data FROM ",
                   kTierTable[static_cast<int>(tier)], " WHERE start >= ?1");
  if (tier == Tier::kMinute) {
    absl::StrAppend(&sql, " UNION ALL SELECT ", kSealedSeriesSql, ", ",
                    kSealedStartSql, ", n, data FROM ", kSealedTable,
                    " WHERE key >= ?2");
  }
  return sql;
}

void BindBlocksSince(Statement& stmt, int64_t from_s) {
  stmt.Bind(1, from_s);
  stmt.Bind(2, SealedKey(SealedBlockStart(from_s), 0));  // ignored elsewhere
}

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
  walker->minute_ = tier == Tier::kMinute;
  // A sealed day is keyed by the day's start, before `from_s`'s hour.
  walker->next_block_ =
      walker->minute_ ? SealedBlockStart(from_s) : BlockStart(tier, from_s, tz);
  const int64_t blocks =
      (to_s - walker->next_block_) / NominalSeconds(walker->block_tier_) + 1;
  // Point lookups cost a few microseconds each; a scan reads every series'
  // blocks of the period, so it only pays for absurdly long periods.
  walker->scan_ = blocks > 200000;
  const std::string table = kTierTable[static_cast<int>(tier)];
  if (walker->scan_ && walker->minute_) {
    // Days from before sealing, sealed days and the open day, in order.
    EWS_ASSIGN_OR_RETURN(
        walker->stmt_,
        db.Prepare(absl::StrCat(
            "SELECT start, data FROM ", table,
            " WHERE start >= ?1 AND start < ?2 AND series_id = ?3 UNION ALL "
            "SELECT ",
            kSealedStartSql, ", data FROM ", kSealedTable,
            " WHERE key >= ?4 AND key < ?5 AND ", kSealedSeriesSql,
            " = ?3 ORDER BY 1")));
    walker->stmt_->Bind(1, walker->next_block_)
        .Bind(2, to_s)
        .Bind(3, info.id)
        .Bind(4, SealedKey(walker->next_block_, 0))
        .Bind(5, SealedKey(SealedBlockStart(to_s) + 86400, 0));
  } else if (walker->scan_) {
    EWS_ASSIGN_OR_RETURN(
        walker->stmt_,
        db.Prepare(absl::StrCat("SELECT start, data FROM ", table,
                                " WHERE start >= ? AND start < ? AND "
                                "series_id = ? ORDER BY start")));
    walker->stmt_->Bind(1, walker->next_block_).Bind(2, to_s).Bind(3, info.id);
  } else {
    EWS_ASSIGN_OR_RETURN(
        walker->stmt_,
        db.Prepare(absl::StrCat("SELECT data FROM ", table,
                                " WHERE start = ? AND series_id = ?")));
  }
  if (walker->minute_ && !walker->scan_) {
    EWS_ASSIGN_OR_RETURN(walker->sealed_, db.Prepare(absl::StrCat(
                                              "SELECT data FROM ", kSealedTable,
                                              " WHERE key = ?")));
  }
  return walker;
}

absl::StatusOr<bool> BlockWalker::Lookup(Statement& stmt, int64_t key,
                                         absl::string_view* data) {
  stmt.Reset();
  stmt.Bind(1, key);
  if (&stmt != sealed_.get()) stmt.Bind(2, id_);  // keyed (start, series_id)
  EWS_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (row) *data = stmt.ColumnBlob(0);
  return row;
}

absl::StatusOr<bool> BlockWalker::NextBlock(absl::string_view* data) {
  if (scan_) {
    EWS_ASSIGN_OR_RETURN(bool row, stmt_->Step());
    if (row) *data = stmt_->ColumnBlob(1);
    return row;
  }
  for (;;) {
    if (!minute_) {
      if (next_block_ >= to_s_) return false;
      const int64_t key = next_block_;
      next_block_ = NextSlot(block_tier_, next_block_, *tz_);
      EWS_ASSIGN_OR_RETURN(bool row, Lookup(*stmt_, key, data));
      if (row) return true;
      continue;
    }
    // Minute tier: the sealed day, else the day's hour blocks.
    if (next_hour_ < 0) {
      if (next_block_ >= to_s_) return false;
      const int64_t day = next_block_;
      EWS_ASSIGN_OR_RETURN(bool row,
                           Lookup(*sealed_, SealedKey(day, id_), data));
      if (row) {
        next_block_ = day + kSealedBlockSeconds;
        return true;
      }
      next_hour_ = std::max(day, SlotStart(Tier::kHour, first_slot_, *tz_));
    }
    if (next_hour_ >= next_block_ + kSealedBlockSeconds ||
        next_hour_ >= to_s_) {
      next_block_ += kSealedBlockSeconds;
      next_hour_ = -1;
      continue;
    }
    const int64_t hour = next_hour_;
    next_hour_ += 3600;
    EWS_ASSIGN_OR_RETURN(bool row, Lookup(*stmt_, hour, data));
    if (row) return true;
  }
}

absl::StatusOr<bool> BlockWalker::Next(std::vector<Record>* records) {
  records->clear();
  for (;;) {
    absl::string_view data;
    EWS_ASSIGN_OR_RETURN(bool more, NextBlock(&data));
    if (!more) return false;
    EWS_ASSIGN_OR_RETURN(std::vector<Record> block, DecodeBlock(kind_, data));
    for (const Record& r : block) {
      if (r.start >= first_slot_ && r.start < to_s_) records->push_back(r);
    }
    if (!records->empty()) return true;
  }
}

absl::Status BlockWalker::AppendAll(std::vector<Record>* records,
                                    std::vector<absl::Status>* damaged) {
  std::vector<Record> block;
  for (;;) {
    // Next() has moved past a block that does not decode: the walk can go on.
    absl::StatusOr<bool> more = Next(&block);
    if (damaged != nullptr && absl::IsDataLoss(more.status())) {
      damaged->push_back(more.status());
      continue;
    }
    if (!more.ok()) return more.status();
    if (!*more) return absl::OkStatus();
    records->insert(records->end(), block.begin(), block.end());
  }
}

absl::StatusOr<std::vector<Record>> OpenRecords(Db& db, const SeriesInfo& info,
                                                const LiveState& live,
                                                Tier tier, int64_t from_s,
                                                int64_t to_s,
                                                const absl::TimeZone& tz) {
  EWS_ASSIGN_OR_RETURN(std::vector<Record> live_records,
                       LiveRecords(info, live, tier, from_s, to_s, tz));
  if (tier == Tier::kMinute || live.rolled_until_s == 0) return live_records;
  const int64_t first =
      std::max(live.rolled_until_s, SlotStart(tier, from_s, tz));
  // Every minute of the slots that start before to_s, up to the last
  // consolidation's cutoff (the minute tier holds nothing after it).
  const int64_t last =
      std::min(NextSlot(tier, SlotStart(tier, to_s - 1, tz), tz),
               live.consolidated_until_ms / 1000);
  if (first >= last) return live_records;
  EWS_ASSIGN_OR_RETURN(auto walker, BlockWalker::Create(db, info, Tier::kMinute,
                                                        first, last, tz));
  std::vector<Record> minutes;
  EWS_RETURN_IF_ERROR(walker->AppendAll(&minutes));
  return MergeRecords(
      info.spec.kind,
      GroupIntoSlots(info.spec.kind, minutes, tier, from_s, to_s, tz),
      live_records);
}

}  // namespace ews::storage::internal
