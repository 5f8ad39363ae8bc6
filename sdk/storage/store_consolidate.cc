// Store::Consolidate: staged samples into the tiers, sealing, pruning.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/storage/internal/codec.h"
#include "sdk/storage/internal/store_impl.h"
#include "sdk/storage/internal/tiers.h"
#include "sdk/storage/store.h"

namespace ews::storage {

using internal::Db;
using internal::Record;
using internal::Sample;
using internal::Statement;

// ------------------------------------------------------------- consolidation

namespace {

// Decoded blocks of the hour..year tiers touched by one consolidation.
class BlockCache {
 public:
  BlockCache(Db& db, const absl::TimeZone& tz) : db_(db), tz_(tz) {}

  // Inserts or replaces the record of `tier` with the same start.
  absl::Status Upsert(Tier tier, SeriesId id, SeriesKind kind,
                      const Record& record) {
    const int64_t block = internal::BlockStart(tier, record.start, tz_);
    Key key{static_cast<int>(tier), id, block};
    auto it = blocks_.find(key);
    if (it == blocks_.end()) {
      Entry entry;
      entry.kind = kind;
      EWS_ASSIGN_OR_RETURN(
          auto select,
          db_.Prepare(absl::StrCat("SELECT data FROM ",
                                   internal::kTierTable[static_cast<int>(tier)],
                                   " WHERE start = ? AND series_id = ?")));
      select->Bind(1, block).Bind(2, id);
      EWS_ASSIGN_OR_RETURN(bool row, select->Step());
      if (row) {
        absl::StatusOr<std::vector<Record>> records =
            internal::DecodeBlock(kind, select->ColumnBlob(0));
        if (records.ok()) {
          entry.records = *std::move(records);
        } else {
          // Rewriting it is the only way forward: a block that cannot be
          // decoded would otherwise stop every later consolidation.
          EWS_LOG(ERROR) << "history store: " << TierName(tier)
                         << " block of series " << id << " at " << block
                         << " is corrupt and is rebuilt from new data: "
                         << records.status();
        }
      }
      it = blocks_.emplace(key, std::move(entry)).first;
    }
    std::vector<Record>& records = it->second.records;
    auto pos = std::lower_bound(
        records.begin(), records.end(), record.start,
        [](const Record& r, int64_t start) { return r.start < start; });
    if (pos != records.end() && pos->start == record.start) {
      *pos = record;
    } else {
      records.insert(pos, record);
    }
    return absl::OkStatus();
  }

  // Rolls every block of `tier` into the record of the next tier.
  absl::Status RollUp(Tier tier) {
    const Tier parent = static_cast<Tier>(static_cast<int>(tier) + 1);
    std::vector<std::pair<Key, const Entry*>> todo;
    for (const auto& [key, entry] : blocks_) {
      if (key.tier == static_cast<int>(tier)) todo.push_back({key, &entry});
    }
    for (const auto& [key, entry] : todo) {
      EWS_RETURN_IF_ERROR(
          Upsert(parent, key.series, entry->kind,
                 internal::Aggregate(entry->kind, key.block, entry->records)));
    }
    return absl::OkStatus();
  }

  absl::Status WriteAll() {
    std::unique_ptr<Statement> write[kTierCount];
    for (const auto& [key, entry] : blocks_) {
      if (!write[key.tier]) {
        EWS_ASSIGN_OR_RETURN(
            write[key.tier],
            db_.Prepare(absl::StrCat("INSERT OR REPLACE INTO ",
                                     internal::kTierTable[key.tier],
                                     "(series_id, start, n, data) "
                                     "VALUES(?,?,?,?)")));
      }
      write[key.tier]
          ->Bind(1, key.series)
          .Bind(2, key.block)
          .Bind(3, static_cast<int64_t>(entry.records.size()))
          .BindBlob(3 + 1, internal::EncodeBlock(entry.kind, entry.records));
      EWS_RETURN_IF_ERROR(write[key.tier]->Run());
    }
    return absl::OkStatus();
  }

 private:
  struct Key {
    int tier;
    SeriesId series;
    int64_t block;
    bool operator<(const Key& o) const {
      return std::tie(tier, series, block) <
             std::tie(o.tier, o.series, o.block);
    }
  };
  struct Entry {
    SeriesKind kind;
    std::vector<Record> records;
  };
  Db& db_;
  const absl::TimeZone& tz_;
  std::map<Key, Entry> blocks_;
};

struct SeriesUpdate {
  SeriesState* state;
  int64_t until_ms;
  bool has_prev;
  Sample prev;
  bool restaged;  // `staged` replaces the series' staged chunks
  std::vector<std::string> staged;
  int64_t staged_count;
};

// Measures what a record of a non-counter series costs per tier, on recent
// blocks only (rows are keyed by start: this reads the table's newest end).
absl::Status MeasureBudgetRecords(Store::Impl& impl, int64_t now_s)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl.mu) {
  constexpr int64_t kWindowDays[kTierCount] = {2, 30, 366, 5 * 366, 100 * 366};
  bool any = false;
  for (const auto& [id, state] : impl.series) {
    any |= !internal::IsCounter(state->info.spec.kind);
  }
  if (!any) return absl::OkStatus();
  for (int k = 0; k < kTierCount; ++k) {
    EWS_ASSIGN_OR_RETURN(
        auto stmt,
        impl.write_db->Prepare(absl::StrCat(
            "SELECT COUNT(*), SUM(n), SUM(length(data)) FROM ",
            internal::kTierTable[k],
            " WHERE start >= ? AND series_id IN (SELECT id FROM series WHERE "
            "kind != ",
            static_cast<int>(SeriesKind::kCounter), ")")));
    stmt->Bind(1,
               internal::BlockStart(static_cast<Tier>(k),
                                    now_s - kWindowDays[k] * 86400, impl.tz));
    EWS_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (!row) continue;
    const int64_t rows = stmt->ColumnInt(0);
    const int64_t records = stmt->ColumnInt(1);
    const int64_t bytes = stmt->ColumnInt(2);
    if (records >= 1000) {
      absl::WriterMutexLock registry_lock(&impl.registry_mu);
      impl.measured_bytes_per_record[k] =
          (static_cast<double>(bytes) + kRowOverheadBytes * rows) / records;
    }
  }
  return absl::OkStatus();
}

absl::Status PruneLocked(Store::Impl& impl, int64_t now_s)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl.mu) {
  EWS_RETURN_IF_ERROR(MeasureBudgetRecords(impl, now_s));
  const TierRetention budget = impl.BudgetRetentionLocked();
  for (int k = 0; k < kTierCount; ++k) {
    const Tier tier = static_cast<Tier>(k);
    // Counters and the rest have a limit each; rows are keyed by start first,
    // so each DELETE scans only the old end of the table.
    for (const bool counters : {true, false}) {
      const absl::Duration keep = counters
                                      ? impl.options.counter_retention.Get(tier)
                                      : budget.Get(tier);
      if (keep == absl::InfiniteDuration()) continue;
      const int64_t limit = now_s - absl::ToInt64Seconds(keep);
      EWS_ASSIGN_OR_RETURN(
          auto del,
          impl.write_db->Prepare(absl::StrCat(
              "DELETE FROM ", internal::kTierTable[k],
              " WHERE start < ? AND series_id IN (SELECT id FROM series WHERE "
              "kind ",
              counters ? "=" : "!=", " ",
              static_cast<int>(SeriesKind::kCounter), ")")));
      del->Bind(1, internal::BlockStart(tier, limit, impl.tz));
      EWS_RETURN_IF_ERROR(del->Run());
    }
  }
  impl.last_prune_s = now_s;
  return absl::OkStatus();
}

}  // namespace

absl::Status Store::Consolidate(bool force_prune) {
  Impl& impl = *impl_;
  absl::MutexLock lock(&impl.mu);
  EWS_RETURN_IF_ERROR(impl.FlushLocked());
  const int64_t now_s = absl::ToUnixSeconds(impl.clock->WallNow());
  const int64_t cutoff_s = internal::SlotStart(
      Tier::kHour, now_s - absl::ToInt64Seconds(impl.options.late_grace),
      impl.tz);
  const int64_t cutoff_ms = cutoff_s * 1000;
  const bool prune = force_prune || now_s - impl.last_prune_s >= 3600;

  std::vector<SeriesState*> todo;
  for (const auto& [id, state] : impl.series) {
    if (state->consolidated_until_ms < cutoff_ms) todo.push_back(state.get());
  }
  if (todo.empty() && !prune) return absl::OkStatus();

  Db& db = *impl.write_db;
  EWS_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  std::vector<SeriesUpdate> updates;
  bool restaged_any = false;
  absl::Status status = [&]() -> absl::Status {
    EWS_ASSIGN_OR_RETURN(
        auto minute_block,
        db.Prepare("INSERT OR REPLACE INTO tier_minute(series_id, start, n, "
                   "data) VALUES(?,?,?,?)"));
    EWS_ASSIGN_OR_RETURN(
        auto save, db.Prepare("UPDATE series SET consolidated_until_ms = ?, "
                              "prev_t_ms = ?, prev_raw = ? WHERE id = ?"));
    BlockCache cache(db, impl.tz);
    bool restage = false;
    for (SeriesState* state : todo) {
      const SeriesInfo& info = state->info;
      std::vector<Sample> samples;
      samples.reserve(state->staged_count);
      for (const std::string& chunk : state->staged) {
        EWS_ASSIGN_OR_RETURN(std::vector<Sample> part,
                             internal::DecodeChunk(chunk));
        samples.insert(samples.end(), part.begin(), part.end());
      }
      auto split = std::lower_bound(
          samples.begin(), samples.end(), cutoff_ms,
          [](const Sample& s, int64_t t) { return s.t_ms < t; });
      std::vector<Sample> done(samples.begin(), split);
      std::vector<Sample> keep(split, samples.end());
      SeriesUpdate update{state, cutoff_ms, state->has_prev, state->prev, false,
                          {},    0};
      if (!done.empty()) {
        std::vector<Record> minutes =
            internal::BuildMinutes(info, state->has_prev, state->prev, done);
        size_t begin = 0;
        while (begin < minutes.size()) {
          const int64_t hour =
              internal::SlotStart(Tier::kHour, minutes[begin].start, impl.tz);
          size_t end = begin;
          while (end < minutes.size() && minutes[end].start < hour + 3600)
            ++end;
          std::vector<Record> group(minutes.begin() + begin,
                                    minutes.begin() + end);
          minute_block->Bind(1, info.id)
              .Bind(2, hour)
              .Bind(3, static_cast<int64_t>(group.size()))
              .BindBlob(4, internal::EncodeBlock(info.spec.kind, group));
          EWS_RETURN_IF_ERROR(minute_block->Run());
          EWS_RETURN_IF_ERROR(
              cache.Upsert(Tier::kHour, info.id, info.spec.kind,
                           internal::Aggregate(info.spec.kind, hour, group)));
          begin = end;
        }
        update.has_prev = true;
        update.prev = done.back();
      }
      if (!done.empty()) {
        update.restaged = true;
        if (!keep.empty()) update.staged.push_back(internal::EncodeChunk(keep));
        update.staged_count = static_cast<int64_t>(keep.size());
        restage = true;
      }
      save->Bind(1, cutoff_ms);
      if (update.has_prev) {
        save->Bind(2, update.prev.t_ms).Bind(3, update.prev.raw);
      }
      save->Bind(4, info.id);
      EWS_RETURN_IF_ERROR(save->Run());
      updates.push_back(update);
    }
    EWS_RETURN_IF_ERROR(cache.RollUp(Tier::kHour));
    EWS_RETURN_IF_ERROR(cache.RollUp(Tier::kDay));
    EWS_RETURN_IF_ERROR(cache.RollUp(Tier::kMonth));
    EWS_RETURN_IF_ERROR(cache.WriteAll());
    restaged_any = restage;
    if (restage) {
      // Replace the staging table by one batch of what stays live.
      std::vector<std::pair<SeriesId, std::string>> chunks;
      absl::flat_hash_map<SeriesState*, const SeriesUpdate*> by_state;
      for (const SeriesUpdate& u : updates) by_state[u.state] = &u;
      for (const auto& [id, state] : impl.series) {
        auto it = by_state.find(state.get());
        const std::vector<std::string>& staged =
            it != by_state.end() && it->second->restaged ? it->second->staged
                                                         : state->staged;
        for (const std::string& chunk : staged) chunks.emplace_back(id, chunk);
      }
      EWS_RETURN_IF_ERROR(db.Exec("DELETE FROM staging"));
      if (!chunks.empty()) {
        EWS_ASSIGN_OR_RETURN(
            auto insert,
            db.Prepare("INSERT INTO staging(batch, data) VALUES(?,?)"));
        insert->Bind(1, impl.next_batch)
            .BindBlob(2, internal::EncodeBatch(chunks));
        EWS_RETURN_IF_ERROR(insert->Run());
      }
    }
    if (prune) EWS_RETURN_IF_ERROR(PruneLocked(impl, now_s));
    // Readers take their snapshot under live_mu: they see either the old
    // tiers with the old staged samples, or the new ones with the new.
    impl.live_mu.Lock();
    absl::Status commit = db.Exec("COMMIT");
    if (!commit.ok()) impl.live_mu.Unlock();
    return commit;
  }();
  if (!status.ok()) {
    db.Exec("ROLLBACK").IgnoreError();
    impl.last_prune_s = INT64_MIN;
    return status;
  }
  for (SeriesUpdate& u : updates) {
    u.state->consolidated_until_ms = u.until_ms;
    u.state->has_prev = u.has_prev;
    u.state->prev = u.prev;
    if (u.restaged) {
      u.state->staged = std::move(u.staged);
      u.state->staged_count = u.staged_count;
    }
  }
  impl.live_mu.Unlock();
  if (restaged_any) ++impl.next_batch;
  return absl::OkStatus();
}

}  // namespace ews::storage
