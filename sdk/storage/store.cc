// Store: opening, schema and recovery, the series registry, and the helpers
// of Store::Impl. Ingest, consolidation and queries live in store_*.cc.
#include "sdk/storage/store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/storage/disk_space.h"
#include "sdk/storage/internal/store_impl.h"
#include "sdk/storage/internal/tiers.h"

namespace ews::storage {

using internal::Db;
using internal::Sample;

absl::Duration TierRetention::Get(Tier tier) const {
  switch (tier) {
    case Tier::kMinute:
      return minute;
    case Tier::kHour:
      return hour;
    case Tier::kDay:
      return day;
    case Tier::kMonth:
      return month;
    case Tier::kYear:
      return year;
  }
  return absl::InfiniteDuration();
}

absl::Duration SeriesHorizon::Longest() const {
  absl::Duration longest = absl::ZeroDuration();
  for (const absl::Duration& d : retention) longest = std::max(longest, d);
  return longest;
}

int64_t internal::FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
}

int64_t internal::StoreFilesSize(const std::string& path) {
  return FileSize(path) + FileSize(path + "-wal") + FileSize(path + "-log");
}

absl::Status internal::WriteStaging(
    Db& db, int64_t batch,
    const std::vector<std::pair<SeriesId, std::string>>& chunks) {
  EWS_RETURN_IF_ERROR(db.Exec("DELETE FROM staging"));
  // The row is written even without samples: its batch number is how far
  // the log is absorbed (a row of meta for it cost two more pages a
  // consolidation).
  EWS_ASSIGN_OR_RETURN(
      auto insert, db.Prepare("INSERT INTO staging(batch, data) VALUES(?,?)"));
  insert->Bind(1, batch).BindBlob(2, EncodeBatch(chunks));
  return insert->Run();
}

namespace {

// 1: plain blocks. 2: finished days of the minute tier sealed into one
// zstd-compressed block; delta-of-delta and step-exception column modes.
// 3: acknowledged samples in the sample log ("<path>-log") until absorbed
// (meta 'log_absorbed'; from 4 on, the staging row's batch), which older
// code would not read.
// 4: the hour..year tiers are rolled up once a day (series.rolled_until_s);
// older code would miss the open day's records above the minute tier.
constexpr int64_t kSchemaVersion = 4;
// Estimated bytes per record of a non-counter series per tier, until measured.
constexpr double kDefaultBytesPerRecord[kTierCount] = {2.5, 8, 10, 14, 30};

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

absl::Status InitSchema(Db& db, const absl::TimeZone& tz) {
  EWS_ASSIGN_OR_RETURN(std::string mode,
                       db.QueryText("PRAGMA journal_mode=WAL"));
  if (mode != "wal") {
    return absl::FailedPreconditionError(
        absl::StrCat("history store: cannot enable WAL (", mode, ")"));
  }
  // FULL: a committed transaction survives a power cut, not only a crash.
  EWS_RETURN_IF_ERROR(db.Exec("PRAGMA synchronous=FULL"));
  EWS_RETURN_IF_ERROR(db.Exec("PRAGMA cache_size=-4096"));  // 4 MiB
  EWS_ASSIGN_OR_RETURN(std::string check, db.QueryText("PRAGMA quick_check"));
  if (check != "ok") {
    return absl::DataLossError(absl::StrCat("quick_check: ", check));
  }
  EWS_RETURN_IF_ERROR(db.Exec(
      "BEGIN IMMEDIATE;"
      "CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT "
      "NULL);"
      "CREATE TABLE IF NOT EXISTS series(id INTEGER PRIMARY KEY, device TEXT "
      "NOT NULL, quantity TEXT NOT NULL, kind INTEGER NOT NULL, unit TEXT NOT "
      "NULL, scale REAL NOT NULL, counter_bits INTEGER NOT NULL, max_rate REAL "
      "NOT NULL, consolidated_until_ms INTEGER NOT NULL, prev_t_ms INTEGER, "
      "prev_raw INTEGER, rolled_until_s INTEGER NOT NULL DEFAULT 0, "
      "UNIQUE(device, quantity));"
      // The live samples absorbed from the sample log, one row.
      "CREATE TABLE IF NOT EXISTS staging(batch INTEGER PRIMARY KEY, data "
      "BLOB NOT NULL);"));
  for (const char* table : internal::kTierTable) {
    EWS_RETURN_IF_ERROR(db.Exec(absl::StrCat(
        "CREATE TABLE IF NOT EXISTS ", table,
        "(series_id INTEGER NOT NULL, start INTEGER NOT NULL, n INTEGER NOT "
        "NULL, data BLOB NOT NULL, PRIMARY KEY(start, series_id)) WITHOUT "
        "ROWID;")));
  }
  EWS_RETURN_IF_ERROR(db.Exec(absl::StrCat(
      "CREATE TABLE IF NOT EXISTS ", internal::kSealedTable,
      "(key INTEGER PRIMARY KEY, n INTEGER NOT NULL, data BLOB NOT NULL);")));
  EWS_ASSIGN_OR_RETURN(
      std::string version,
      db.QueryText("SELECT value FROM meta WHERE key='schema'"));
  if (version.empty()) {
    EWS_RETURN_IF_ERROR(db.Exec(absl::StrCat(
        "INSERT INTO meta VALUES('schema','", kSchemaVersion, "');")));
  } else if (version == "1" || version == "2" || version == "3") {
    // Version 1 files hold only plain blocks and column modes 0..4, which
    // version 2 reads as they are; from now on finished days are sealed and
    // new column modes are written, which version-1 code must not meet.
    // Version 2 has no sample log (all its staged samples are in SQLite);
    // from now on there is one, which version-2 code would not read.
    // Versions 1 to 3 rolled every consolidated hour up at once: their tiers
    // are complete up to where each series was consolidated.
    EWS_LOG(INFO) << "history store: schema " << version << " -> "
                  << kSchemaVersion;
    EWS_ASSIGN_OR_RETURN(
        int64_t has_column,
        db.QueryInt("SELECT COUNT(*) FROM pragma_table_info('series') WHERE "
                    "name = 'rolled_until_s'"));
    if (has_column == 0) {
      EWS_RETURN_IF_ERROR(db.Exec(
          "ALTER TABLE series ADD COLUMN rolled_until_s INTEGER NOT NULL "
          "DEFAULT 0;"
          "UPDATE series SET rolled_until_s = consolidated_until_ms / 1000;"));
    }
    EWS_RETURN_IF_ERROR(db.Exec(absl::StrCat(
        "UPDATE meta SET value='", kSchemaVersion, "' WHERE key='schema';")));
  } else if (version != absl::StrCat(kSchemaVersion)) {
    db.Exec("ROLLBACK").IgnoreError();
    return absl::FailedPreconditionError(absl::StrCat(
        "history store: schema version ", version,
        " is not supported (this build reads 1 to ", kSchemaVersion, ")"));
  }
  EWS_ASSIGN_OR_RETURN(std::string zone,
                       db.QueryText("SELECT value FROM meta WHERE key='tz'"));
  if (zone.empty()) {
    EWS_ASSIGN_OR_RETURN(auto insert,
                         db.Prepare("INSERT INTO meta VALUES('tz', ?)"));
    insert->BindText(1, tz.name());
    EWS_RETURN_IF_ERROR(insert->Run());
  } else if (zone != tz.name()) {
    EWS_LOG(WARNING) << "history store: days were cut in time zone " << zone
                     << ", now " << tz.name()
                     << "; existing day/month/year intervals keep their zone";
  }
  return db.Exec("COMMIT");
}

absl::StatusOr<std::unique_ptr<Db>> OpenChecked(const std::string& path,
                                                const absl::TimeZone& tz) {
  EWS_ASSIGN_OR_RETURN(auto db, Db::Open(path, Db::Mode::kReadWriteCreate));
  absl::Status status = InitSchema(*db, tz);
  if (!status.ok()) {
    db->Exec("ROLLBACK").IgnoreError();
    return status;
  }
  return db;
}

}  // namespace

// ---------------------------------------------------------------- Impl helpers

absl::StatusOr<SeriesInfo> Store::Impl::Info(SeriesId id) const {
  absl::ReaderMutexLock lock(&registry_mu);
  auto it = series.find(id);
  if (it == series.end()) {
    return absl::NotFoundError(absl::StrCat("unknown series id ", id));
  }
  return it->second->info;
}

absl::StatusOr<std::vector<LiveState>> Store::Impl::BeginSnapshot(
    Db& db, const std::vector<SeriesId>& ids) const {
  absl::ReaderMutexLock registry_lock(&registry_mu);
  absl::MutexLock live_lock(&live_mu);
  EWS_RETURN_IF_ERROR(db.Exec("BEGIN"));
  // The first read fixes the transaction's snapshot; consolidation commits
  // and updates the in-memory staged data under `mu`, so both agree.
  absl::StatusOr<std::string> first =
      db.QueryText("SELECT value FROM meta LIMIT 1");
  if (!first.ok()) {
    db.Exec("ROLLBACK").IgnoreError();
    return first.status();
  }
  std::vector<LiveState> out;
  out.reserve(ids.size());
  for (SeriesId id : ids) {
    LiveState live;
    auto it = series.find(id);
    if (it != series.end()) {
      live.has_prev = it->second->has_prev;
      live.prev = it->second->prev;
      live.chunks = it->second->staged;
      live.rolled_until_s = it->second->rolled_until_s;
      live.consolidated_until_ms = it->second->consolidated_until_ms;
    }
    out.push_back(std::move(live));
  }
  return out;
}

absl::StatusOr<std::vector<SeriesInfo>> Store::Impl::DeviceSeries(
    absl::string_view device_id) const {
  absl::ReaderMutexLock lock(&registry_mu);
  std::vector<SeriesInfo> out;
  for (const auto& [name, id] : by_name) {
    if (name.first == device_id) out.push_back(series.at(id)->info);
  }
  if (out.empty()) {
    return absl::NotFoundError(
        absl::StrCat("no series for device \"", device_id, "\""));
  }
  return out;
}

absl::StatusOr<FileSystemSpace> Store::Impl::QuerySpace() const {
  StatvfsDiskSpace statvfs;
  DiskSpace& disk = options.disk_space != nullptr
                        ? *options.disk_space
                        : static_cast<DiskSpace&>(statvfs);
  const std::string& path = options.path;
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  return disk.Query(dir);
}

void Store::Impl::UpdateBudgetLocked() {
  const std::string& path = options.path;
  absl::StatusOr<FileSystemSpace> space = QuerySpace();
  if (!space.ok()) {
    EWS_LOG(WARNING) << "history store: free space unknown, keeping the "
                     << "budget: " << space.status();
    return;
  }
  const int64_t budget = FreeSpaceBudget(
      options.budget_bytes, internal::StoreFilesSize(path), *space);
  absl::WriterMutexLock registry_lock(&registry_mu);
  // Logged when it first drops below the configured one and then on changes
  // of more than 10 %.
  if (budget < options.budget_bytes &&
      std::llabs(budget - budget_bytes) * 10 > budget_bytes) {
    EWS_LOG(WARNING) << "history store: " << space->free_bytes
                     << " bytes free on its file system: budget of the "
                     << "non-counter quantities " << budget << " bytes instead "
                     << "of " << options.budget_bytes;
  }
  budget_bytes = budget;
}

TierRetention Store::Impl::BudgetRetentionLocked() const {
  int64_t budget_series = 0;
  for (const auto& [id, state] : series) {
    if (!internal::IsCounter(state->info.spec.kind)) ++budget_series;
  }
  absl::Duration d[kTierCount];
  for (int k = 0; k < kTierCount; ++k) {
    if (budget_series == 0) {
      d[k] = absl::InfiniteDuration();
      continue;
    }
    const double per_record = measured_bytes_per_record[k] > 0
                                  ? measured_bytes_per_record[k]
                                  : kDefaultBytesPerRecord[k];
    const double bytes =
        options.budget_share[k] * static_cast<double>(budget_bytes);
    const double records = bytes / (per_record * budget_series);
    const double seconds =
        records * internal::NominalSeconds(static_cast<Tier>(k));
    d[k] = seconds > 1e12 ? absl::InfiniteDuration()
                          : absl::Seconds(std::floor(seconds / 3600) * 3600);
  }
  return TierRetention{d[0], d[1], d[2], d[3], d[4]};
}

TierRetention Store::Impl::RetentionFor(SeriesKind kind) const {
  absl::ReaderMutexLock lock(&registry_mu);
  if (internal::IsCounter(kind)) return options.counter_retention;
  return BudgetRetentionLocked();
}

// ------------------------------------------------------------------ lifecycle

namespace {

// Adds one chunk of acknowledged samples to a series' staged samples.
void AddStaged(Store::Impl* impl, SeriesId id, std::string chunk,
               const std::vector<Sample>& samples)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl->mu) {
  auto it = impl->series.find(id);
  if (it == impl->series.end() || samples.empty()) return;
  SeriesState& state = *it->second;
  state.has_last = true;
  state.last_t_ms = samples.back().t_ms;
  state.last_raw = samples.back().raw;
  state.staged_count += static_cast<int64_t>(samples.size());
  state.staged.push_back(std::move(chunk));
}

// Reads the series and their staged samples absorbed into SQLite.
absl::Status LoadState(Store::Impl* impl, const StoreOptions& options) {
  {
    absl::MutexLock lock(&impl->mu);
    EWS_ASSIGN_OR_RETURN(
        auto rows,
        impl->write_db->Prepare(
            "SELECT id, device, quantity, kind, unit, scale, counter_bits, "
            "max_rate, consolidated_until_ms, prev_t_ms, prev_raw, "
            "rolled_until_s FROM series"));
    for (;;) {
      EWS_ASSIGN_OR_RETURN(bool row, rows->Step());
      if (!row) break;
      auto state = std::make_unique<SeriesState>();
      SeriesInfo& info = state->info;
      info.id = rows->ColumnInt(0);
      info.spec.device_id = std::string(rows->ColumnText(1));
      info.spec.quantity_id = std::string(rows->ColumnText(2));
      info.spec.kind = static_cast<SeriesKind>(rows->ColumnInt(3));
      info.spec.unit = std::string(rows->ColumnText(4));
      info.spec.scale = rows->ColumnDouble(5);
      info.spec.counter_bits = static_cast<int>(rows->ColumnInt(6));
      info.spec.max_rate_per_hour = rows->ColumnDouble(7);
      info.rules.counter_bits = info.spec.counter_bits;
      info.rules.max_raw_per_hour =
          info.spec.max_rate_per_hour > 0
              ? static_cast<int64_t>(info.spec.max_rate_per_hour /
                                     info.spec.scale)
              : 0;
      info.rules.gap_threshold_ms =
          absl::ToInt64Milliseconds(options.gap_threshold);
      state->consolidated_until_ms = rows->ColumnInt(8);
      state->rolled_until_s = rows->ColumnInt(11);
      if (!rows->ColumnIsNull(9)) {
        state->has_prev = true;
        state->prev = Sample{rows->ColumnInt(9), rows->ColumnInt(10)};
        state->has_last = true;
        state->last_t_ms = state->prev.t_ms;
        state->last_raw = state->prev.raw;
      }
      impl->by_name[{info.spec.device_id, info.spec.quantity_id}] = info.id;
      impl->series[info.id] = std::move(state);
    }
    EWS_ASSIGN_OR_RETURN(auto batches,
                         impl->write_db->Prepare(
                             "SELECT batch, data FROM staging ORDER BY batch"));
    for (;;) {
      EWS_ASSIGN_OR_RETURN(bool row, batches->Step());
      if (!row) break;
      impl->next_batch = batches->ColumnInt(0) + 1;
      EWS_ASSIGN_OR_RETURN(auto chunks,
                           internal::DecodeBatch(batches->ColumnBlob(1)));
      for (auto& [id, chunk] : chunks) {
        EWS_ASSIGN_OR_RETURN(std::vector<Sample> samples,
                             internal::DecodeChunk(chunk));
        AddStaged(impl, id, std::move(chunk), samples);
      }
    }
  }
  return absl::OkStatus();
}

// Opens the sample log and adds its records that SQLite has not absorbed to
// the staged samples. DataLoss: the log is damaged (then nothing is added).
absl::Status ReplayLog(Store::Impl* impl) {
  absl::MutexLock lock(&impl->mu);
  const std::string path = impl->options.path + "-log";
  // Files of schema 3 kept it in meta 'log_absorbed'.
  EWS_ASSIGN_OR_RETURN(std::string absorbed_text,
                       impl->write_db->QueryText(
                           "SELECT value FROM meta WHERE key='log_absorbed'"));
  int64_t absorbed = 0;
  if (!absorbed_text.empty() && !absl::SimpleAtoi(absorbed_text, &absorbed)) {
    return absl::DataLossError(
        absl::StrCat("meta log_absorbed is \"", absorbed_text, "\""));
  }
  EWS_ASSIGN_OR_RETURN(
      int64_t staged_batch,
      impl->write_db->QueryInt("SELECT IFNULL(MAX(batch), 0) FROM staging"));
  absorbed = std::max(absorbed, staged_batch);
  internal::SampleLog::Contents contents;
  impl->log.reset();
  EWS_ASSIGN_OR_RETURN(impl->log, internal::SampleLog::Open(path, &contents));
  struct Chunk {
    SeriesId id;
    std::string data;
    std::vector<Sample> samples;
  };
  std::vector<Chunk> live;
  int64_t last_batch = 0;
  for (internal::SampleLog::Entry& entry : contents.entries) {
    if (entry.batch <= absorbed) continue;  // in SQLite already
    absl::StatusOr<std::vector<std::pair<SeriesId, std::string>>> chunks =
        internal::DecodeBatch(entry.payload);
    if (!chunks.ok()) {
      return absl::DataLossError(absl::StrCat("sample log ", path, ": batch ",
                                              entry.batch, ": ",
                                              chunks.status().message()));
    }
    for (auto& [id, data] : *chunks) {
      absl::StatusOr<std::vector<Sample>> samples = internal::DecodeChunk(data);
      if (!samples.ok()) {
        return absl::DataLossError(absl::StrCat("sample log ", path, ": batch ",
                                                entry.batch, ": ",
                                                samples.status().message()));
      }
      live.push_back({id, std::move(data), *std::move(samples)});
    }
    last_batch = entry.batch;
  }
  int64_t replayed = 0;
  for (Chunk& chunk : live) {
    replayed += static_cast<int64_t>(chunk.samples.size());
    AddStaged(impl, chunk.id, std::move(chunk.data), chunk.samples);
  }
  impl->next_batch = std::max({impl->next_batch, absorbed + 1, last_batch + 1});
  if (last_batch == 0) impl->log->Reset();
  if (contents.torn_tail) {
    EWS_LOG(WARNING) << "history store: " << path << ": a torn last record "
                     << "was discarded (its write was interrupted; it had "
                     << "not been acknowledged)";
  }
  if (replayed > 0) {
    EWS_LOG(INFO) << "history store: " << replayed << " samples from " << path;
  }
  return absl::OkStatus();
}

}  // namespace

namespace {

absl::Status ValidateOptions(const StoreOptions& options) {
  if (options.budget_bytes <= 0) {
    return absl::InvalidArgumentError("history store: budget_bytes <= 0");
  }
  double shares = 0;
  for (double share : options.budget_share) {
    if (!(share >= 0 && share <= 1)) {
      return absl::InvalidArgumentError(
          "history store: budget_share outside [0, 1]");
    }
    shares += share;
  }
  if (shares > 1.000001) {
    return absl::InvalidArgumentError("history store: budget_share sums > 1");
  }
  for (int k = 0; k < kTierCount; ++k) {
    if (options.counter_retention.Get(static_cast<Tier>(k)) <=
        absl::ZeroDuration()) {
      return absl::InvalidArgumentError(
          absl::StrCat("history store: counter retention of the ",
                       TierName(static_cast<Tier>(k)), " tier <= 0"));
    }
  }
  if (options.gap_threshold <= absl::ZeroDuration() ||
      options.late_grace < absl::ZeroDuration() ||
      options.max_future < absl::ZeroDuration() ||
      options.max_pending_samples < 1 || options.max_log_bytes < 0) {
    return absl::InvalidArgumentError(
        "history store: gap_threshold, late_grace, max_future, "
        "max_pending_samples or max_log_bytes out of range");
  }
  if (options.read_connections < 0 ||
      options.read_connections > kMaxReadConnections) {
    return absl::InvalidArgumentError(
        absl::StrCat("history store: read_connections must be 0 (automatic) "
                     "or 1..",
                     kMaxReadConnections));
  }
  return absl::OkStatus();
}

absl::Status ValidateOpenArguments(const StoreOptions& options,
                                   const Clock* clock) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("history store: empty path");
  }
  if (clock == nullptr) {
    return absl::InvalidArgumentError("history store: no clock");
  }
  return ValidateOptions(options);
}

// Opens, checks and loads the database into an emptied `impl`; a DataLoss
// anywhere in that means a corrupt file.
absl::Status OpenAndLoad(Store::Impl* impl, const StoreOptions& options,
                         absl::TimeZone time_zone) {
  {
    absl::MutexLock lock(&impl->mu);
    impl->series.clear();
    impl->by_name.clear();
    impl->next_batch = 1;
    impl->write_db.reset();
    EWS_ASSIGN_OR_RETURN(impl->write_db, OpenChecked(options.path, time_zone));
  }
  return LoadState(impl, options);
}

// Where a damaged file is moved aside: "<path>.corrupt-<UTC time>".
std::string CorruptCopyPath(const std::string& path, Clock* clock) {
  return absl::StrCat(path, ".corrupt-",
                      absl::FormatTime("%Y%m%dT%H%M%SZ", clock->WallNow(),
                                       absl::UTCTimeZone()));
}

// What Open() found damaged and moved aside (OK and "" when nothing).
struct StartupRepair {
  absl::Status problem;
  std::string moved_to;
};

// A corrupt database (`damage`): refused without options.recover_corrupt;
// else its files (with -wal, -shm and the sample log) are moved aside and a
// fresh database is opened.
absl::Status ReplaceCorruptDatabase(Store::Impl* impl,
                                    const StoreOptions& options,
                                    absl::TimeZone time_zone,
                                    const absl::Status& damage,
                                    StartupRepair* repair) {
  {
    absl::MutexLock lock(&impl->mu);
    impl->write_db.reset();  // close before renaming (no reader is open yet)
  }
  if (!options.recover_corrupt) {
    return absl::DataLossError(absl::StrCat("history database ", options.path,
                                            " is corrupt: ", damage.message()));
  }
  repair->moved_to = CorruptCopyPath(options.path, impl->clock);
  for (const char* suffix : {"", "-wal", "-shm", "-log"}) {
    const std::string from = options.path + suffix;
    if (!FileExists(from)) continue;
    if (std::rename(from.c_str(), (repair->moved_to + suffix).c_str()) != 0) {
      return absl::DataLossError(absl::StrCat(
          "history database ", options.path,
          " is corrupt and could not be moved aside: ", std::strerror(errno)));
    }
  }
  repair->problem = absl::DataLossError(
      absl::StrCat("history database ", options.path, " was corrupt (",
                   "moved to ", repair->moved_to, "); started a fresh one"));
  EWS_LOG(ERROR) << repair->problem.message();
  return OpenAndLoad(impl, options, time_zone);
}

// A log without its database (deleted by hand): its series ids mean nothing
// in the new database, so it is moved aside.
void MoveOrphanedLogAside(const std::string& log_path) {
  if (!FileExists(log_path)) return;
  const std::string aside = absl::StrCat(log_path, ".orphaned");
  EWS_LOG(WARNING) << "history store: " << log_path << " has no database; "
                   << "moved to " << aside;
  std::rename(log_path.c_str(), aside.c_str());
}

// A damaged sample log (`damage`) beside a sound database: only the log is
// moved aside, and with it the samples acknowledged since the last
// consolidation; then the (now missing) log is replayed afresh.
absl::Status ReplaceDamagedLog(Store::Impl* impl, const std::string& log_path,
                               const absl::Status& damage,
                               StartupRepair* repair) {
  {
    absl::MutexLock lock(&impl->mu);
    impl->log.reset();
  }
  const std::string aside = CorruptCopyPath(log_path, impl->clock);
  if (std::rename(log_path.c_str(), aside.c_str()) != 0) {
    return absl::DataLossError(absl::StrCat(
        "sample log ", log_path,
        " is damaged and could not be moved aside: ", std::strerror(errno)));
  }
  repair->problem = absl::DataLossError(absl::StrCat(
      damage.message(), " (moved to ", aside,
      "); the samples acknowledged since the last consolidation are lost"));
  EWS_LOG(ERROR) << "history store: " << repair->problem.message();
  if (repair->moved_to.empty()) repair->moved_to = aside;
  return ReplayLog(impl);
}

}  // namespace

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

absl::Status Store::SetRetention(const TierRetention& counter_retention,
                                 int64_t budget_bytes) {
  StoreOptions changed = impl_->options;
  changed.counter_retention = counter_retention;
  changed.budget_bytes = budget_bytes;
  EWS_RETURN_IF_ERROR(ValidateOptions(changed));
  absl::MutexLock lock(&impl_->mu);
  {
    absl::WriterMutexLock registry_lock(&impl_->registry_mu);
    impl_->options.counter_retention = counter_retention;
    impl_->options.budget_bytes = budget_bytes;
    impl_->budget_bytes = budget_bytes;
  }
  impl_->UpdateBudgetLocked();      // never more than the disk has room for
  impl_->last_prune_s = INT64_MIN;  // the next Consolidate() prunes
  return absl::OkStatus();
}

Store::~Store() {
  if (impl_->bg_thread.joinable()) {
    {
      absl::MutexLock lock(&impl_->bg_mu);
      impl_->bg_stop = true;
    }
    impl_->bg_thread.join();
  }
  absl::Status status = Flush();
  if (!status.ok()) {
    EWS_LOG(ERROR) << "history store: final flush failed: " << status;
  }
  // Every read connection closes before the writer's, so the writer's close
  // is the last one (it checkpoints the WAL into the file).
  impl_->readers.Close();
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options,
                                                   Clock* clock,
                                                   absl::TimeZone time_zone) {
  EWS_RETURN_IF_ERROR(ValidateOpenArguments(options, clock));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->clock = clock;
  impl->tz = time_zone;
  impl->budget_bytes = options.budget_bytes;

  StartupRepair repair;
  const bool existed = FileExists(options.path);
  absl::Status db = OpenAndLoad(impl.get(), options, time_zone);
  if (!db.ok() && existed && absl::IsDataLoss(db)) {
    db = ReplaceCorruptDatabase(impl.get(), options, time_zone, db, &repair);
  }
  if (!db.ok()) return db;
  const std::string log_path = options.path + "-log";
  if (!existed) MoveOrphanedLogAside(log_path);
  absl::Status log = ReplayLog(impl.get());
  if (absl::IsDataLoss(log) && options.recover_corrupt) {
    log = ReplaceDamagedLog(impl.get(), log_path, log, &repair);
  }
  if (!log.ok()) return log;
  {
    absl::MutexLock lock(&impl->mu);
    impl->UpdateBudgetLocked();
  }
  // The readers open last, on the file that was checked (or on the fresh one
  // that replaced a corrupt file).
  EWS_RETURN_IF_ERROR(
      impl->readers.Open(options.path, options.read_connections));

  auto store = std::unique_ptr<Store>(new Store(std::move(impl)));
  store->startup_problem_ = repair.problem;
  store->moved_aside_path_ = repair.moved_to;
  return store;
}

void Store::StartBackgroundWork(absl::Duration period) {
  if (impl_->bg_thread.joinable()) return;
  impl_->bg_thread = std::thread([this, period] {
    // A lasting failure (a full disk) is logged when it starts, when it
    // changes, every 10 minutes (of clock time) and when it ends; not at every
    // period.
    absl::Status last;
    absl::Time next_log = absl::InfinitePast();
    for (;;) {
      {
        absl::MutexLock lock(&impl_->bg_mu);
        impl_->bg_mu.AwaitWithTimeout(absl::Condition(&impl_->bg_stop), period);
        if (impl_->bg_stop) return;
      }
      absl::Status status = Consolidate();
      const absl::Time now = impl_->clock->WallNow();
      if (!status.ok() && (status != last || now >= next_log)) {
        EWS_LOG(ERROR) << "history store: background work: " << status;
        next_log = now + absl::Minutes(10);
      } else if (status.ok() && !last.ok()) {
        EWS_LOG(INFO) << "history store: background work runs again";
      }
      last = status;
    }
  });
}

// ------------------------------------------------------------------- series

absl::StatusOr<SeriesId> Store::RegisterSeries(const SeriesSpec& spec) {
  if (spec.device_id.empty() || spec.quantity_id.empty()) {
    return absl::InvalidArgumentError("series: empty device or quantity id");
  }
  if (spec.kind == SeriesKind::kUnspecified) {
    return absl::InvalidArgumentError(absl::StrCat("series ", spec.device_id,
                                                   "/", spec.quantity_id,
                                                   ": kind unspecified"));
  }
  if (!(spec.scale > 0) || !std::isfinite(spec.scale)) {
    return absl::InvalidArgumentError(absl::StrCat("series ", spec.device_id,
                                                   "/", spec.quantity_id,
                                                   ": scale must be > 0"));
  }
  if (spec.counter_bits < 0 || spec.counter_bits > 62) {
    return absl::InvalidArgumentError("series: counter_bits must be 0..62");
  }
  absl::MutexLock lock(&impl_->mu);
  auto it = impl_->by_name.find({spec.device_id, spec.quantity_id});
  if (it != impl_->by_name.end()) {
    const SeriesSpec& known = impl_->series.at(it->second)->info.spec;
    if (known.kind != spec.kind || known.scale != spec.scale ||
        known.counter_bits != spec.counter_bits) {
      return absl::AlreadyExistsError(
          absl::StrCat("series ", spec.device_id, "/", spec.quantity_id,
                       " exists with another kind, scale or width"));
    }
    return it->second;
  }
  Db& db = *impl_->write_db;
  EWS_ASSIGN_OR_RETURN(
      auto insert,
      db.Prepare("INSERT INTO series(device, quantity, kind, unit, scale, "
                 "counter_bits, max_rate, consolidated_until_ms) "
                 "VALUES(?,?,?,?,?,?,?,0) RETURNING id"));
  insert->BindText(1, spec.device_id)
      .BindText(2, spec.quantity_id)
      .Bind(3, static_cast<int64_t>(spec.kind))
      .BindText(4, spec.unit)
      .Bind(5, spec.scale)
      .Bind(6, static_cast<int64_t>(spec.counter_bits))
      .Bind(7, spec.max_rate_per_hour);
  EWS_ASSIGN_OR_RETURN(bool row, insert->Step());
  if (!row) return absl::InternalError("series: insert returned no id");
  const SeriesId id = insert->ColumnInt(0);
  if (id >= (int64_t{1} << 32)) {  // sealed blocks keep the id in 32 bits
    return absl::ResourceExhaustedError("series: no more series ids");
  }
  EWS_RETURN_IF_ERROR(insert->Run());
  auto state = std::make_unique<SeriesState>();
  state->info.id = id;
  state->info.spec = spec;
  state->info.rules.counter_bits = spec.counter_bits;
  state->info.rules.max_raw_per_hour =
      spec.max_rate_per_hour > 0
          ? static_cast<int64_t>(spec.max_rate_per_hour / spec.scale)
          : 0;
  state->info.rules.gap_threshold_ms =
      absl::ToInt64Milliseconds(impl_->options.gap_threshold);
  absl::WriterMutexLock registry_lock(&impl_->registry_mu);
  impl_->by_name[{spec.device_id, spec.quantity_id}] = id;
  impl_->series[id] = std::move(state);
  return id;
}

absl::StatusOr<SeriesId> Store::FindSeries(
    absl::string_view device_id, absl::string_view quantity_id) const {
  absl::ReaderMutexLock lock(&impl_->registry_mu);
  auto it =
      impl_->by_name.find({std::string(device_id), std::string(quantity_id)});
  if (it == impl_->by_name.end()) {
    return absl::NotFoundError(
        absl::StrCat("unknown series ", device_id, "/", quantity_id));
  }
  return it->second;
}

absl::StatusOr<SeriesSpec> Store::GetSpec(SeriesId id) const {
  EWS_ASSIGN_OR_RETURN(SeriesInfo info, impl_->Info(id));
  return info.spec;
}

std::vector<SeriesSpec> Store::ListSeries() const {
  absl::ReaderMutexLock lock(&impl_->registry_mu);
  std::vector<SeriesSpec> out;
  for (const auto& [name, id] : impl_->by_name) {
    out.push_back(impl_->series.at(id)->info.spec);
  }
  return out;
}

}  // namespace ews::storage
