// Store::Consolidate: staged samples into the tiers, sealing, pruning.
#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/storage/internal/block_walker.h"
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

// Measures what a record of a non-counter series costs per tier, on recent
// blocks only (rows are keyed by start: this reads the table's newest end).
absl::Status MeasureBudgetRecords(Store::Impl& impl, int64_t now_s)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl.mu) {
  constexpr int64_t kWindowDays[kTierCount] = {3, 30, 366, 5 * 366, 100 * 366};
  bool any = false;
  for (const auto& [id, state] : impl.series) {
    any |= !internal::IsCounter(state->info.spec.kind);
  }
  if (!any) return absl::OkStatus();
  for (int k = 0; k < kTierCount; ++k) {
    EWS_ASSIGN_OR_RETURN(
        auto stmt,
        impl.write_db->Prepare(absl::StrCat(
            "SELECT COUNT(*), SUM(n), SUM(length(data)) FROM (",
            internal::TierBlocksSql(static_cast<Tier>(k)),
            ") WHERE series_id IN (SELECT id FROM series WHERE kind != ",
            static_cast<int>(SeriesKind::kCounter), ")")));
    internal::BindBlocksSince(
        *stmt, internal::BlockStart(static_cast<Tier>(k),
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

// Deletes the blocks past each tier's horizon, except the minute blocks
// from `unrolled_s` on (not rolled up yet: they stay whatever the budget
// says).
absl::Status PruneLocked(Store::Impl& impl, int64_t now_s, int64_t unrolled_s)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl.mu) {
  impl.UpdateBudgetLocked();
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
      int64_t limit = now_s - absl::ToInt64Seconds(keep);
      if (tier == Tier::kMinute) limit = std::min(limit, unrolled_s);
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
      if (tier != Tier::kMinute) continue;
      // Sealed days entirely before the limit.
      EWS_ASSIGN_OR_RETURN(
          auto del_sealed,
          impl.write_db->Prepare(absl::StrCat(
              "DELETE FROM ", internal::kSealedTable, " WHERE key < ? AND ",
              internal::kSealedSeriesSql,
              " IN (SELECT id FROM series WHERE kind ", counters ? "=" : "!=",
              " ", static_cast<int>(SeriesKind::kCounter), ")")));
      del_sealed->Bind(
          1, internal::SealedKey(internal::SealedBlockStart(limit), 0));
      EWS_RETURN_IF_ERROR(del_sealed->Run());
    }
  }
  impl.last_prune_s = now_s;
  return absl::OkStatus();
}

// One run of Consolidate(): every step writes inside one transaction, and
// Commit() makes the result visible to readers at once.
class Consolidation {
 public:
  Consolidation(Store::Impl& impl, int64_t cutoff_ms)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl.mu)
      : impl_(impl),
        db_(*impl.write_db),
        cutoff_ms_(cutoff_ms),
        cache_(db_, impl.tz) {}

  // Prepares the statements of the steps below.
  absl::Status Prepare();
  // Builds the minute records of the series' staged samples before the
  // cutoff, writes one minute block per hour, and rolls the days that the
  // cutoff has now passed up into the hour records (RollUpDays()).
  absl::Status WriteMinutes(SeriesState& state);
  // Replaces the hour blocks of each UTC day that the cutoff has now passed
  // by one sealed (compressed) block of the whole day. A day with a damaged
  // hour block stays as it is.
  absl::Status SealDays(const SeriesState& state);
  // Recomputes the day, month and year records of the days rolled up from
  // their child blocks and writes every touched hour..year block.
  absl::Status RollUp();
  // Rewrites the staging table as one batch of the samples still live.
  absl::Status Restage();
  // COMMIT, and the in-memory state that goes with it, under live_mu:
  // readers take their snapshot under live_mu too, so they see either the
  // old tiers with the old staged samples, or the new ones with the new.
  absl::Status Commit();

  bool restaged() const { return restaged_; }
  // The first minute not rolled up yet of any series, with this run's
  // changes (INT64_MAX: none).
  int64_t FirstUnrolledS() const;

 private:
  struct SeriesUpdate {
    SeriesState* state;
    int64_t until_ms;
    bool has_prev;
    Sample prev;
    bool restaged;  // `staged` replaces the series' staged chunks
    std::vector<std::string> staged;
    int64_t staged_count;
    int64_t rolled_until_s;
  };
  absl::Status WriteMinuteBlock(const SeriesInfo& info, int64_t hour,
                                const std::vector<Record>& minutes);
  // Adds the hour records of the series' minute records from
  // update->rolled_until_s to the start of the cutoff's day, and moves
  // rolled_until_s there. Once a day, so that the hour..year blocks, which
  // grow with their period, are rewritten once a day rather than every hour
  // (the flash's wear); readers build the open day's records from its minute
  // blocks (OpenRecords()).
  absl::Status RollUpDays(const SeriesInfo& info, SeriesUpdate* update);
  absl::Status SealDay(const SeriesInfo& info, int64_t day);

  Store::Impl& impl_;
  Db& db_;
  const int64_t cutoff_ms_;
  BlockCache cache_;
  std::vector<SeriesUpdate> updates_;
  bool restaged_ = false;
  std::unique_ptr<Statement> minute_block_;
  std::unique_ptr<Statement> minute_lookup_;
  std::unique_ptr<Statement> minute_delete_;
  std::unique_ptr<Statement> sealed_block_;
  std::unique_ptr<Statement> save_;
};

absl::Status Consolidation::Prepare() {
  EWS_ASSIGN_OR_RETURN(
      minute_block_,
      db_.Prepare("INSERT OR REPLACE INTO tier_minute(series_id, start, n, "
                  "data) VALUES(?,?,?,?)"));
  EWS_ASSIGN_OR_RETURN(minute_lookup_,
                       db_.Prepare("SELECT data FROM tier_minute WHERE "
                                   "start = ? AND series_id = ?"));
  EWS_ASSIGN_OR_RETURN(minute_delete_,
                       db_.Prepare("DELETE FROM tier_minute WHERE start = ? "
                                   "AND series_id = ?"));
  EWS_ASSIGN_OR_RETURN(
      sealed_block_, db_.Prepare(absl::StrCat("INSERT OR REPLACE INTO ",
                                              internal::kSealedTable,
                                              "(key, n, data) VALUES(?,?,?)")));
  EWS_ASSIGN_OR_RETURN(
      save_, db_.Prepare("UPDATE series SET consolidated_until_ms = ?, "
                         "prev_t_ms = ?, prev_raw = ?, rolled_until_s = ? "
                         "WHERE id = ?"));
  return absl::OkStatus();
}

absl::Status Consolidation::WriteMinuteBlock(
    const SeriesInfo& info, int64_t hour, const std::vector<Record>& minutes) {
  minute_block_->Bind(1, info.id)
      .Bind(2, hour)
      .Bind(3, static_cast<int64_t>(minutes.size()))
      .BindBlob(4, internal::EncodeBlock(info.spec.kind, minutes));
  return minute_block_->Run();
}

absl::Status Consolidation::RollUpDays(const SeriesInfo& info,
                                       SeriesUpdate* update) {
  const int64_t from = update->rolled_until_s;
  const int64_t to =
      internal::SlotStart(Tier::kDay, cutoff_ms_ / 1000, impl_.tz);
  if (from == 0 || to <= from) return absl::OkStatus();
  EWS_ASSIGN_OR_RETURN(
      auto walker, internal::BlockWalker::Create(db_, info, Tier::kMinute, from,
                                                 to, impl_.tz));
  std::vector<Record> minutes;
  std::vector<absl::Status> damaged;
  EWS_RETURN_IF_ERROR(walker->AppendAll(&minutes, &damaged));
  for (const absl::Status& block : damaged) {
    // The day is rolled up without that block (its reads keep reporting the
    // damage); stopping here would stop every later consolidation.
    EWS_LOG(ERROR) << "history store: a minute block of series " << info.id
                   << " between " << from << " and " << to
                   << " is corrupt; its hours are left out of the hour..year "
                      "tiers: "
                   << block;
  }
  for (const Record& hour : internal::GroupIntoSlots(
           info.spec.kind, minutes, Tier::kHour, from, to, impl_.tz)) {
    EWS_RETURN_IF_ERROR(
        cache_.Upsert(Tier::kHour, info.id, info.spec.kind, hour));
  }
  update->rolled_until_s = to;
  return absl::OkStatus();
}

absl::Status Consolidation::WriteMinutes(SeriesState& state) {
  const SeriesInfo& info = state.info;
  std::vector<Sample> samples;
  samples.reserve(state.staged_count);
  for (const std::string& chunk : state.staged) {
    EWS_ASSIGN_OR_RETURN(std::vector<Sample> part,
                         internal::DecodeChunk(chunk));
    samples.insert(samples.end(), part.begin(), part.end());
  }
  auto split =
      std::lower_bound(samples.begin(), samples.end(), cutoff_ms_,
                       [](const Sample& s, int64_t t) { return s.t_ms < t; });
  std::vector<Sample> done(samples.begin(), split);
  std::vector<Sample> keep(split, samples.end());
  SeriesUpdate update{
      &state, cutoff_ms_, state.has_prev,      state.prev, false,
      {},     0,          state.rolled_until_s};
  if (!done.empty()) {
    const std::vector<Record> minutes =
        internal::BuildMinutes(info, state.has_prev, state.prev, done);
    size_t begin = 0;
    while (begin < minutes.size()) {
      const int64_t hour =
          internal::SlotStart(Tier::kHour, minutes[begin].start, impl_.tz);
      size_t end = begin;
      while (end < minutes.size() && minutes[end].start < hour + 3600) ++end;
      EWS_RETURN_IF_ERROR(WriteMinuteBlock(
          info, hour,
          std::vector<Record>(minutes.begin() + begin, minutes.begin() + end)));
      begin = end;
    }
    // The series' first minute block: the tiers above hold nothing before
    // its day.
    if (update.rolled_until_s == 0 && !minutes.empty()) {
      update.rolled_until_s =
          internal::SlotStart(Tier::kDay, minutes.front().start, impl_.tz);
    }
    update.has_prev = true;
    update.prev = done.back();
    update.restaged = true;
    if (!keep.empty()) update.staged.push_back(internal::EncodeChunk(keep));
    update.staged_count = static_cast<int64_t>(keep.size());
    restaged_ = true;
  }
  save_->Bind(1, cutoff_ms_);
  if (update.has_prev) {
    save_->Bind(2, update.prev.t_ms).Bind(3, update.prev.raw);
  }
  EWS_RETURN_IF_ERROR(RollUpDays(info, &update));
  save_->Bind(4, update.rolled_until_s).Bind(5, info.id);
  EWS_RETURN_IF_ERROR(save_->Run());
  updates_.push_back(std::move(update));
  return absl::OkStatus();
}

absl::Status Consolidation::SealDay(const SeriesInfo& info, int64_t day) {
  std::vector<Record> records;
  std::vector<int64_t> hours;
  for (int64_t hour = day; hour < day + internal::kSealedBlockSeconds;
       hour += 3600) {
    minute_lookup_->Reset();
    minute_lookup_->Bind(1, hour).Bind(2, info.id);
    EWS_ASSIGN_OR_RETURN(bool row, minute_lookup_->Step());
    if (!row) continue;
    absl::StatusOr<std::vector<Record>> block =
        internal::DecodeBlock(info.spec.kind, minute_lookup_->ColumnBlob(0));
    if (!block.ok()) {
      // The whole day stays in hour blocks, the damaged one as it is, so
      // that reads keep reporting the DataLoss: a reader takes a day's
      // sealed block alone when there is one.
      EWS_LOG(ERROR) << "history store: minute block of series " << info.id
                     << " at " << hour << " is corrupt; the day " << day
                     << " stays unsealed: " << block.status();
      return absl::OkStatus();
    }
    records.insert(records.end(), block->begin(), block->end());
    hours.push_back(hour);
  }
  if (records.empty()) return absl::OkStatus();
  for (int64_t hour : hours) {
    minute_delete_->Reset();
    minute_delete_->Bind(1, hour).Bind(2, info.id);
    EWS_RETURN_IF_ERROR(minute_delete_->Run());
  }
  sealed_block_->Bind(1, internal::SealedKey(day, info.id))
      .Bind(2, static_cast<int64_t>(records.size()))
      .BindBlob(3, internal::EncodeSealedBlock(info.spec.kind, records));
  return sealed_block_->Run();
}

absl::Status Consolidation::SealDays(const SeriesState& state) {
  // The days whose end the cutoff passed, from the first one that may still
  // hold hour blocks (the state is the one before this consolidation).
  int64_t first_ms = state.consolidated_until_ms;
  if (first_ms == 0) {  // never consolidated: its first staged sample
    if (state.staged.empty()) return absl::OkStatus();
    EWS_ASSIGN_OR_RETURN(std::vector<Sample> first,
                         internal::DecodeChunk(state.staged.front()));
    if (first.empty()) return absl::OkStatus();
    first_ms = first.front().t_ms;
  }
  for (int64_t day = internal::SealedBlockStart(first_ms / 1000);
       day + internal::kSealedBlockSeconds <= cutoff_ms_ / 1000;
       day += internal::kSealedBlockSeconds) {
    EWS_RETURN_IF_ERROR(SealDay(state.info, day));
  }
  return absl::OkStatus();
}

absl::Status Consolidation::RollUp() {
  EWS_RETURN_IF_ERROR(cache_.RollUp(Tier::kHour));
  EWS_RETURN_IF_ERROR(cache_.RollUp(Tier::kDay));
  EWS_RETURN_IF_ERROR(cache_.RollUp(Tier::kMonth));
  return cache_.WriteAll();
}

absl::Status Consolidation::Restage() {
  if (!restaged_) return absl::OkStatus();
  std::vector<std::pair<SeriesId, std::string>> chunks;
  absl::flat_hash_map<SeriesState*, const SeriesUpdate*> by_state;
  for (const SeriesUpdate& u : updates_) by_state[u.state] = &u;
  for (const auto& [id, state] : impl_.series) {
    auto it = by_state.find(state.get());
    const std::vector<std::string>& staged =
        it != by_state.end() && it->second->restaged ? it->second->staged
                                                     : state->staged;
    for (const std::string& chunk : staged) chunks.emplace_back(id, chunk);
  }
  // Every live sample, those of the log included, is now in this batch.
  return internal::WriteStaging(db_, impl_.next_batch, chunks);
}

int64_t Consolidation::FirstUnrolledS() const {
  absl::flat_hash_map<const SeriesState*, int64_t> updated;
  for (const SeriesUpdate& u : updates_) updated[u.state] = u.rolled_until_s;
  int64_t first = INT64_MAX;
  for (const auto& [id, state] : impl_.series) {
    auto it = updated.find(state.get());
    const int64_t rolled =
        it != updated.end() ? it->second : state->rolled_until_s;
    if (rolled > 0) first = std::min(first, rolled);
  }
  return first;
}

absl::Status Consolidation::Commit() {
  absl::MutexLock live_lock(&impl_.live_mu);
  EWS_RETURN_IF_ERROR(db_.Exec("COMMIT"));
  for (SeriesUpdate& u : updates_) {
    u.state->consolidated_until_ms = u.until_ms;
    u.state->has_prev = u.has_prev;
    u.state->prev = u.prev;
    u.state->rolled_until_s = u.rolled_until_s;
    if (u.restaged) {
      u.state->staged = std::move(u.staged);
      u.state->staged_count = u.staged_count;
    }
  }
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
  // INT64_MIN: never pruned (or a failed prune): due now. (now_s - INT64_MIN
  // would overflow and never be due.)
  const bool prune = force_prune || impl.last_prune_s == INT64_MIN ||
                     now_s - impl.last_prune_s >= 3600;
  std::vector<SeriesState*> todo;
  for (const auto& [id, state] : impl.series) {
    if (state->consolidated_until_ms < cutoff_s * 1000) {
      todo.push_back(state.get());
    }
  }
  if (todo.empty() && !prune) return absl::OkStatus();
  // In id order: a day's sealed blocks are appended in key order.
  std::sort(todo.begin(), todo.end(),
            [](const SeriesState* a, const SeriesState* b) {
              return a->info.id < b->info.id;
            });

  Db& db = *impl.write_db;
  EWS_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  Consolidation run(impl, cutoff_s * 1000);
  absl::Status status = [&]() -> absl::Status {
    EWS_RETURN_IF_ERROR(run.Prepare());
    for (SeriesState* state : todo) {
      EWS_RETURN_IF_ERROR(run.WriteMinutes(*state));
      EWS_RETURN_IF_ERROR(run.SealDays(*state));
    }
    EWS_RETURN_IF_ERROR(run.RollUp());
    EWS_RETURN_IF_ERROR(run.Restage());
    if (prune) {
      EWS_RETURN_IF_ERROR(PruneLocked(impl, now_s, run.FirstUnrolledS()));
    }
    return run.Commit();
  }();
  if (!status.ok()) {
    db.Exec("ROLLBACK").IgnoreError();
    impl.last_prune_s = INT64_MIN;
    return status;
  }
  if (run.restaged()) {
    ++impl.next_batch;
    impl.log->Reset();
  }
  return absl::OkStatus();
}

}  // namespace ews::storage
