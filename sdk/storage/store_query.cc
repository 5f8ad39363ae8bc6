// Store: reads, charts, totals, horizons and statistics.
#include <sys/stat.h>

#include <cmath>

#include "absl/strings/str_cat.h"
#include "sdk/base/status_macros.h"
#include "sdk/storage/internal/store_impl.h"
#include "sdk/storage/internal/tiers.h"
#include "sdk/storage/store.h"

namespace ews::storage {

using internal::Db;
using internal::Record;

// -------------------------------------------------------------------- queries

absl::StatusOr<std::vector<Record>> Store::Impl::ReadRecords(
    const SeriesInfo& info, Tier tier, int64_t from_s, int64_t to_s) const {
  internal::ClampPeriod(&from_s, &to_s);
  std::vector<Record> stored;
  std::vector<Record> open;  // not in the tier's blocks (yet)
  EWS_ASSIGN_OR_RETURN(internal::ReadPool::Lease lease, readers.Acquire());
  Db& db = *lease;
  EWS_ASSIGN_OR_RETURN(std::vector<LiveState> snapshot,
                       BeginSnapshot(db, {info.id}));
  absl::Status status = [&]() -> absl::Status {
    EWS_ASSIGN_OR_RETURN(auto walker, internal::BlockWalker::Create(
                                          db, info, tier, from_s, to_s, tz));
    EWS_RETURN_IF_ERROR(walker->AppendAll(&stored));
    EWS_ASSIGN_OR_RETURN(open, internal::OpenRecords(db, info, snapshot[0],
                                                     tier, from_s, to_s, tz));
    return absl::OkStatus();
  }();
  db.Exec("COMMIT").IgnoreError();
  EWS_RETURN_IF_ERROR(status);
  return internal::MergeRecords(info.spec.kind, std::move(stored), open);
}

absl::StatusOr<std::vector<Point>> Store::Read(SeriesId id, Tier tier,
                                               absl::Time from,
                                               absl::Time to) const {
  if (from > to) return absl::InvalidArgumentError("period: from > to");
  EWS_ASSIGN_OR_RETURN(SeriesInfo info, impl_->Info(id));
  EWS_ASSIGN_OR_RETURN(std::vector<Record> records,
                       impl_->ReadRecords(info, tier, absl::ToUnixSeconds(from),
                                          absl::ToUnixSeconds(to)));
  std::vector<Point> points;
  points.reserve(records.size());
  for (const Record& r : records) {
    points.push_back(internal::ToPoint(info.spec, tier, r, impl_->tz));
  }
  return points;
}

absl::StatusOr<Chart> Store::QueryChart(SeriesId id, absl::Time from,
                                        absl::Time to, int max_points) const {
  if (from > to) return absl::InvalidArgumentError("period: from > to");
  if (max_points < 1) return absl::InvalidArgumentError("max_points < 1");
  EWS_ASSIGN_OR_RETURN(SeriesInfo info, impl_->Info(id));
  const TierRetention retention = impl_->RetentionFor(info.spec.kind);
  const absl::Time now = impl_->clock->WallNow();
  const double span_s = absl::ToDoubleSeconds(to - from);
  struct Resolution {
    Tier tier;
    int per_point;
  };
  static constexpr Resolution kResolutions[] = {
      {Tier::kMinute, 1},  {Tier::kMinute, 2},  {Tier::kMinute, 5},
      {Tier::kMinute, 10}, {Tier::kMinute, 15}, {Tier::kMinute, 30},
      {Tier::kHour, 1},    {Tier::kHour, 2},    {Tier::kHour, 3},
      {Tier::kHour, 6},    {Tier::kDay, 1},     {Tier::kMonth, 1},
      {Tier::kYear, 1},
  };
  Resolution chosen = kResolutions[std::size(kResolutions) - 1];
  for (const Resolution& r : kResolutions) {
    const double seconds =
        static_cast<double>(internal::NominalSeconds(r.tier)) * r.per_point;
    if (std::ceil(span_s / seconds) > max_points) continue;
    const absl::Duration keep = retention.Get(r.tier);
    if (keep != absl::InfiniteDuration() && from < now - keep) continue;
    chosen = r;
    break;
  }
  const int64_t from_s = absl::ToUnixSeconds(from);
  const int64_t to_s = absl::ToUnixSeconds(to);
  EWS_ASSIGN_OR_RETURN(std::vector<Record> records,
                       impl_->ReadRecords(info, chosen.tier, from_s, to_s));
  Chart chart;
  chart.tier = chosen.tier;
  chart.intervals_per_point = chosen.per_point;
  if (chosen.per_point == 1) {
    for (const Record& r : records) {
      chart.points.push_back(
          internal::ToPoint(info.spec, chosen.tier, r, impl_->tz));
    }
    return chart;
  }
  // Merge runs of records into UTC-aligned buckets of per_point intervals.
  const int64_t bucket =
      internal::NominalSeconds(chosen.tier) * chosen.per_point;
  std::vector<Record> group;
  int64_t group_start = 0;
  auto emit = [&] {
    if (group.empty()) return;
    Point p = internal::ToPoint(
        info.spec, chosen.tier,
        internal::Aggregate(info.spec.kind, group_start, group), impl_->tz);
    p.end = absl::FromUnixSeconds(group_start + bucket);
    chart.points.push_back(p);
    group.clear();
  };
  for (const Record& r : records) {
    const int64_t start = r.start - ((r.start % bucket) + bucket) % bucket;
    if (!group.empty() && start != group_start) emit();
    group_start = start;
    group.push_back(r);
  }
  emit();
  return chart;
}

absl::StatusOr<std::vector<Point>> Store::Totals(SeriesId id, Tier tier,
                                                 absl::Time from,
                                                 absl::Time to) const {
  EWS_ASSIGN_OR_RETURN(SeriesInfo info, impl_->Info(id));
  if (!internal::IsCounter(info.spec.kind)) {
    return absl::InvalidArgumentError(
        absl::StrCat("series ", info.spec.device_id, "/", info.spec.quantity_id,
                     " is not a counter: no totals"));
  }
  return Read(id, tier, from, to);
}

absl::StatusOr<std::vector<SeriesHorizon>> Store::Horizons() const {
  std::vector<SeriesInfo> infos;
  std::vector<int64_t> rolled_until_s;
  TierRetention budget;
  TierRetention counters;
  {
    absl::ReaderMutexLock lock(&impl_->registry_mu);
    absl::MutexLock live_lock(&impl_->live_mu);
    for (const auto& [name, id] : impl_->by_name) {
      infos.push_back(impl_->series.at(id)->info);
      rolled_until_s.push_back(impl_->series.at(id)->rolled_until_s);
    }
    budget = impl_->BudgetRetentionLocked();
    counters = impl_->options.counter_retention;
  }
  std::vector<SeriesHorizon> out;
  EWS_ASSIGN_OR_RETURN(internal::ReadPool::Lease lease,
                       impl_->readers.Acquire());
  Db& db = *lease;
  // Oldest block per series and tier: one pass over each table's keys (rows
  // are keyed by start, so a per-series "ORDER BY start LIMIT 1" could scan
  // the whole table for a series without data).
  absl::flat_hash_map<SeriesId, int64_t> oldest_block[kTierCount];
  for (int k = 0; k < kTierCount; ++k) {
    EWS_ASSIGN_OR_RETURN(
        auto scan,
        db.Prepare(absl::StrCat("SELECT series_id, MIN(start) FROM (",
                                internal::TierBlocksSql(static_cast<Tier>(k)),
                                ") GROUP BY series_id")));
    internal::BindBlocksSince(*scan, 0);
    for (;;) {
      EWS_ASSIGN_OR_RETURN(bool row, scan->Step());
      if (!row) break;
      oldest_block[k][scan->ColumnInt(0)] = scan->ColumnInt(1);
    }
  }
  for (size_t i = 0; i < infos.size(); ++i) {
    const SeriesInfo& info = infos[i];
    SeriesHorizon h;
    h.id = info.id;
    h.device_id = info.spec.device_id;
    h.quantity_id = info.spec.quantity_id;
    h.kind = info.spec.kind;
    const TierRetention& retention =
        internal::IsCounter(info.spec.kind) ? counters : budget;
    for (int k = 0; k < kTierCount; ++k) {
      h.retention[k] = retention.Get(static_cast<Tier>(k));
      h.oldest[k] = absl::InfiniteFuture();
      auto it = oldest_block[k].find(info.id);
      if (it == oldest_block[k].end()) continue;
      // The first record of the oldest block (a block may start with a gap).
      EWS_ASSIGN_OR_RETURN(auto walker,
                           internal::BlockWalker::Create(
                               db, info, static_cast<Tier>(k), it->second,
                               it->second + 2 * 366 * 86400, impl_->tz));
      std::vector<Record> block;
      EWS_ASSIGN_OR_RETURN(bool found, walker->Next(&block));
      if (found) h.oldest[k] = absl::FromUnixSeconds(block[0].start);
    }
    // A series younger than a day has its hour..year records in its minute
    // blocks only (not rolled up yet).
    for (int k = 1; k < kTierCount; ++k) {
      if (h.oldest[k] != absl::InfiniteFuture() ||
          h.oldest[0] == absl::InfiniteFuture()) {
        continue;
      }
      const int64_t first =
          std::max(absl::ToUnixSeconds(h.oldest[0]), rolled_until_s[i]);
      h.oldest[k] = absl::FromUnixSeconds(
          internal::SlotStart(static_cast<Tier>(k), first, impl_->tz));
    }
    out.push_back(h);
  }
  return out;
}

absl::StatusOr<StoreStats> Store::Stats() const {
  StoreStats stats;
  stats.file_bytes = internal::StoreFilesSize(impl_->options.path);
  // The log is set at open and its counters are atomic.
  const internal::SampleLog* log = ABSL_TS_UNCHECKED_READ(impl_->log).get();
  stats.log_records = log->records();
  stats.log_bytes = log->used_bytes() - internal::SampleLog::kHeaderBytes;
  EWS_ASSIGN_OR_RETURN(internal::ReadPool::Lease lease,
                       impl_->readers.Acquire());
  Db& db = *lease;
  EWS_ASSIGN_OR_RETURN(int64_t pages, db.QueryInt("PRAGMA page_count"));
  EWS_ASSIGN_OR_RETURN(int64_t free_pages,
                       db.QueryInt("PRAGMA freelist_count"));
  EWS_ASSIGN_OR_RETURN(int64_t page_size, db.QueryInt("PRAGMA page_size"));
  stats.page_bytes = (pages - free_pages) * page_size;
  {
    absl::ReaderMutexLock registry_lock(&impl_->registry_mu);
    absl::MutexLock live_lock(&impl_->live_mu);
    for (const auto& [id, state] : impl_->series) {
      stats.staged_samples += state->staged_count;
    }
    stats.budget_bytes = impl_->budget_bytes;
  }
  stats.read_connections = impl_->readers.size();
  bool have_dbstat = db.Exec("SELECT 1 FROM dbstat LIMIT 1").ok();
  for (int k = 0; k < kTierCount; ++k) {
    EWS_ASSIGN_OR_RETURN(
        auto stmt, db.Prepare(absl::StrCat(
                       "SELECT COUNT(*), SUM(n), SUM(length(data)) FROM (",
                       internal::TierBlocksSql(static_cast<Tier>(k)), ")")));
    internal::BindBlocksSince(*stmt, 0);
    EWS_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (row) {
      stats.records[k] = stmt->ColumnInt(1);
      stats.payload_bytes[k] = stmt->ColumnInt(2);
      stats.table_bytes[k] = static_cast<int64_t>(
          stats.payload_bytes[k] + kRowOverheadBytes * stmt->ColumnInt(0));
    }
    if (have_dbstat) {
      EWS_ASSIGN_OR_RETURN(
          auto dbstat, db.Prepare(absl::StrCat(
                           "SELECT SUM(pgsize) FROM dbstat WHERE name IN ('",
                           internal::kTierTable[k], "', '",
                           k == 0 ? internal::kSealedTable : "", "')")));
      EWS_ASSIGN_OR_RETURN(bool got, dbstat->Step());
      if (got) stats.table_bytes[k] = dbstat->ColumnInt(0);
    }
  }
  return stats;
}

absl::Status Store::CheckIntegrity() const {
  EWS_ASSIGN_OR_RETURN(internal::ReadPool::Lease lease,
                       impl_->readers.Acquire());
  EWS_ASSIGN_OR_RETURN(std::string result,
                       lease->QueryText("PRAGMA integrity_check"));
  if (result != "ok") {
    return absl::DataLossError(absl::StrCat("integrity_check: ", result));
  }
  return absl::OkStatus();
}

}  // namespace ews::storage
