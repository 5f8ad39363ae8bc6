#include "sdk/storage/store.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/storage/disk_space.h"
#include "sdk/storage/internal/codec.h"
#include "sdk/storage/internal/store_impl.h"
#include "sdk/storage/internal/tiers.h"

namespace ews::storage {

using internal::Db;
using internal::Record;
using internal::Sample;
using internal::Statement;

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

namespace internal {

const char* const kTierTable[kTierCount] = {
    "tier_minute", "tier_hour", "tier_day", "tier_month", "tier_year"};

std::string EncodeChunk(const std::vector<Sample>& samples) {
  std::string out;
  PutVarint(&out, samples.size());
  std::vector<int64_t> col(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) col[i] = samples[i].t_ms;
  EncodeColumn(col, &out);
  for (size_t i = 0; i < samples.size(); ++i) col[i] = samples[i].raw;
  EncodeColumn(col, &out);
  return out;
}

absl::StatusOr<std::vector<Sample>> DecodeChunk(absl::string_view data) {
  Reader reader(data);
  uint64_t n;
  std::vector<int64_t> t, raw;
  if (!reader.ReadVarint(&n) || n > (1u << 22) ||
      !DecodeColumn(&reader, n, &t) || !DecodeColumn(&reader, n, &raw) ||
      !reader.done()) {
    return absl::DataLossError("staged samples: malformed chunk");
  }
  std::vector<Sample> samples(n);
  for (size_t i = 0; i < n; ++i) samples[i] = Sample{t[i], raw[i]};
  return samples;
}

namespace {
int64_t FloorDiv(int64_t a, int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)));
}
}  // namespace

std::vector<Record> BuildMinutes(const SeriesInfo& info, bool has_prev,
                                 const Sample& prev,
                                 const std::vector<Sample>& samples) {
  std::vector<Record> out;
  const bool counter = IsCounter(info.spec.kind);
  Sample last = prev;
  bool have_last = has_prev;
  for (const Sample& s : samples) {
    const int64_t minute = FloorDiv(FloorDiv(s.t_ms, 1000), 60) * 60;
    if (out.empty() || out.back().start != minute) {
      Record r;
      r.start = minute;
      r.min = r.max = s.raw;
      out.push_back(r);
    }
    Record& r = out.back();
    if (counter) {
      CounterStep step;
      if (have_last) {
        step = StepCounter(info.rules, last, s);
      } else {
        step.flags = kFlagFirst;
      }
      r.a = s.raw;
      r.b += step.delta;
      if ((step.flags & kFlagGap) && !(r.flags & kFlagGap)) {
        r.gap_start = step.gap_start;
      }
      r.flags |= step.flags;
      ++r.samples;
    } else {
      r.a += s.raw;
      ++r.b;
      r.samples = r.b;
      r.min = std::min(r.min, s.raw);
      r.max = std::max(r.max, s.raw);
      r.last = s.raw;
    }
    last = s;
    have_last = true;
  }
  return out;
}

std::vector<Record> MergeRecords(SeriesKind kind, std::vector<Record> stored,
                                 const std::vector<Record>& live) {
  if (live.empty()) return stored;
  std::vector<Record> out;
  out.reserve(stored.size() + live.size());
  size_t i = 0, j = 0;
  while (i < stored.size() || j < live.size()) {
    if (j == live.size() ||
        (i < stored.size() && stored[i].start < live[j].start)) {
      out.push_back(stored[i++]);
    } else if (i == stored.size() || live[j].start < stored[i].start) {
      out.push_back(live[j++]);
    } else {
      out.push_back(Combine(kind, stored[i++], live[j++]));
    }
  }
  return out;
}

// A batch is stored column by column across its series, so that the
// timestamps of one poll round (equal or close) cost next to nothing and a
// commit of a few hundred samples fits in one page:
//   n, series ids, sample counts, all t_ms (one column), all values (first
//   of each series plain, then steps within the series).
std::string EncodeBatch(
    const std::vector<std::pair<SeriesId, std::string>>& chunks) {
  std::vector<int64_t> ids, counts, times, values;
  for (const auto& [id, chunk] : chunks) {
    absl::StatusOr<std::vector<Sample>> samples = DecodeChunk(chunk);
    if (!samples.ok()) continue;  // chunks are ours: cannot happen
    ids.push_back(id);
    counts.push_back(static_cast<int64_t>(samples->size()));
    for (size_t i = 0; i < samples->size(); ++i) {
      times.push_back((*samples)[i].t_ms);
      values.push_back(i == 0 ? (*samples)[i].raw
                              : (*samples)[i].raw - (*samples)[i - 1].raw);
    }
  }
  std::string out;
  PutVarint(&out, ids.size());
  EncodeColumn(ids, &out);
  EncodeColumn(counts, &out);
  PutVarint(&out, times.size());
  EncodeColumn(times, &out);
  EncodeColumn(values, &out);
  return out;
}

absl::StatusOr<std::vector<std::pair<SeriesId, std::string>>> DecodeBatch(
    absl::string_view data) {
  Reader reader(data);
  uint64_t n, total;
  std::vector<int64_t> ids, counts, times, values;
  if (!reader.ReadVarint(&n) || n > (1u << 20) ||
      !DecodeColumn(&reader, n, &ids) || !DecodeColumn(&reader, n, &counts) ||
      !reader.ReadVarint(&total) || total > (uint64_t{1} << 22) ||
      !DecodeColumn(&reader, total, &times) ||
      !DecodeColumn(&reader, total, &values) || !reader.done()) {
    return absl::DataLossError("staging batch: malformed");
  }
  std::vector<std::pair<SeriesId, std::string>> out;
  size_t pos = 0;
  for (size_t k = 0; k < n; ++k) {
    if (counts[k] < 0 || static_cast<uint64_t>(counts[k]) > total - pos) {
      return absl::DataLossError("staging batch: bad sample count");
    }
    std::vector<Sample> samples(counts[k]);
    for (int64_t i = 0; i < counts[k]; ++i, ++pos) {
      samples[i].t_ms = times[pos];
      samples[i].raw = i == 0 ? values[pos] : samples[i - 1].raw + values[pos];
    }
    out.emplace_back(ids[k], EncodeChunk(samples));
  }
  if (pos != total)
    return absl::DataLossError("staging batch: trailing samples");
  return out;
}

absl::StatusOr<std::vector<Record>> LiveRecords(const SeriesInfo& info,
                                                const LiveState& live,
                                                Tier tier, int64_t from_s,
                                                int64_t to_s,
                                                const absl::TimeZone& tz) {
  std::vector<Record> out;
  std::vector<Sample> samples;
  for (const std::string& chunk : live.chunks) {
    EWS_ASSIGN_OR_RETURN(std::vector<Sample> part, DecodeChunk(chunk));
    samples.insert(samples.end(), part.begin(), part.end());
  }
  if (samples.empty()) return out;
  if (to_s <= SlotStart(tier, FloorDiv(samples.front().t_ms, 1000), tz)) {
    return out;
  }
  const bool has_prev = live.has_prev;
  const Sample prev = live.prev;
  std::vector<Record> minutes = BuildMinutes(info, has_prev, prev, samples);
  const int64_t first_slot = SlotStart(tier, from_s, tz);
  std::vector<Record> group;
  int64_t group_start = 0;
  auto emit = [&]() {
    if (group.empty()) return;
    if (group_start >= first_slot && group_start < to_s) {
      out.push_back(tier == Tier::kMinute
                        ? group.front()
                        : Aggregate(info.spec.kind, group_start, group));
    }
    group.clear();
  };
  for (const Record& m : minutes) {
    const int64_t slot = SlotStart(tier, m.start, tz);
    if (!group.empty() && slot != group_start) emit();
    group_start = slot;
    group.push_back(m);
  }
  emit();
  return out;
}

Point ToPoint(const SeriesSpec& spec, Tier tier, const Record& r,
              const absl::TimeZone& tz) {
  Point p;
  p.start = absl::FromUnixSeconds(r.start);
  p.end = absl::FromUnixSeconds(NextSlot(tier, r.start, tz));
  p.flags = r.flags;
  if (r.flags & kFlagGap) p.gap_start = absl::FromUnixSeconds(r.gap_start);
  if (IsCounter(spec.kind)) {
    p.counter = static_cast<double>(r.a) * spec.scale;
    p.delta = static_cast<double>(r.b) * spec.scale;
    p.samples = r.samples;
  } else {
    p.samples = r.b;
    p.avg = r.b > 0 ? static_cast<double>(r.a) / static_cast<double>(r.b) *
                          spec.scale
                    : 0;
    p.min = static_cast<double>(r.min) * spec.scale;
    p.max = static_cast<double>(r.max) * spec.scale;
    p.last = static_cast<double>(r.last) * spec.scale;
  }
  return p;
}

void ClampPeriod(int64_t* from_s, int64_t* to_s) {
  constexpr int64_t kLast = 253402300799;  // 9999-12-31T23:59:59Z
  *from_s = std::clamp<int64_t>(*from_s, 0, kLast);
  *to_s = std::clamp<int64_t>(*to_s, 0, kLast);
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

}  // namespace internal

namespace {

constexpr int64_t kSchemaVersion = 1;
// Raw values beyond this (2^52) could not round-trip through a double.
constexpr int64_t kMaxRaw = int64_t{1} << 52;
// Bytes a WITHOUT ROWID row costs besides its BLOB (key, header, cell pointer,
// page slack), for estimates when dbstat is unavailable.
constexpr double kRowOverheadBytes = 14;
// Estimated bytes per record of a non-counter series per tier, until measured.
constexpr double kDefaultBytesPerRecord[kTierCount] = {2.5, 8, 10, 14, 30};

bool FileExists(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0;
}

int64_t FileSize(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? st.st_size : 0;
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
      "prev_raw INTEGER, UNIQUE(device, quantity));"
      // One row per Flush(): appends touch the B-tree's last page only.
      "CREATE TABLE IF NOT EXISTS staging(batch INTEGER PRIMARY KEY, data "
      "BLOB NOT NULL);"));
  for (const char* table : internal::kTierTable) {
    EWS_RETURN_IF_ERROR(db.Exec(absl::StrCat(
        "CREATE TABLE IF NOT EXISTS ", table,
        "(series_id INTEGER NOT NULL, start INTEGER NOT NULL, n INTEGER NOT "
        "NULL, data BLOB NOT NULL, PRIMARY KEY(start, series_id)) WITHOUT "
        "ROWID;")));
  }
  EWS_ASSIGN_OR_RETURN(
      std::string version,
      db.QueryText("SELECT value FROM meta WHERE key='schema'"));
  if (version.empty()) {
    EWS_RETURN_IF_ERROR(db.Exec(absl::StrCat(
        "INSERT INTO meta VALUES('schema','", kSchemaVersion, "');")));
  } else if (version != absl::StrCat(kSchemaVersion)) {
    db.Exec("ROLLBACK").IgnoreError();
    return absl::FailedPreconditionError(absl::StrCat(
        "history store: schema version ", version, " is not supported"));
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
  if (internal::IsCounter(kind)) return options.counter_retention;
  absl::ReaderMutexLock lock(&registry_mu);
  return BudgetRetentionLocked();
}

// ------------------------------------------------------------------ lifecycle

namespace {

// Sets the budget in force from the room on the store's file system (kept as
// it was when the file system cannot be asked).
void UpdateBudgetLocked(Store::Impl& impl)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl.mu) {
  StatvfsDiskSpace statvfs;
  DiskSpace& disk = impl.options.disk_space != nullptr
                        ? *impl.options.disk_space
                        : static_cast<DiskSpace&>(statvfs);
  const std::string& path = impl.options.path;
  const size_t slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "."
                          : slash == 0               ? "/"
                                                     : path.substr(0, slash);
  absl::StatusOr<FileSystemSpace> space = disk.Query(dir);
  if (!space.ok()) {
    EWS_LOG(WARNING) << "history store: free space unknown, keeping the "
                     << "budget: " << space.status();
    return;
  }
  const int64_t budget =
      FreeSpaceBudget(impl.options.budget_bytes,
                      FileSize(path) + FileSize(path + "-wal"), *space);
  absl::WriterMutexLock registry_lock(&impl.registry_mu);
  // Logged when it first drops below the configured one and then on changes
  // of more than 10 %.
  if (budget < impl.options.budget_bytes &&
      std::llabs(budget - impl.budget_bytes) * 10 > impl.budget_bytes) {
    EWS_LOG(WARNING) << "history store: " << space->free_bytes
                     << " bytes free on its file system: budget of the "
                     << "non-counter quantities " << budget << " bytes instead "
                     << "of " << impl.options.budget_bytes;
  }
  impl.budget_bytes = budget;
}

// Reads the series and their staged (acknowledged, unconsolidated) samples.
absl::Status LoadState(Store::Impl* impl, const StoreOptions& options) {
  {
    absl::MutexLock lock(&impl->mu);
    EWS_ASSIGN_OR_RETURN(
        auto rows,
        impl->write_db->Prepare(
            "SELECT id, device, quantity, kind, unit, scale, counter_bits, "
            "max_rate, consolidated_until_ms, prev_t_ms, prev_raw FROM "
            "series"));
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
      if (!rows->ColumnIsNull(9)) {
        state->has_prev = true;
        state->prev = Sample{rows->ColumnInt(9), rows->ColumnInt(10)};
        state->has_last = true;
        state->last_t_ms = state->prev.t_ms;
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
        auto it = impl->series.find(id);
        if (it == impl->series.end()) continue;
        SeriesState& state = *it->second;
        EWS_ASSIGN_OR_RETURN(std::vector<Sample> samples,
                             internal::DecodeChunk(chunk));
        if (samples.empty()) continue;
        state.has_last = true;
        state.last_t_ms = samples.back().t_ms;
        state.staged_count += static_cast<int64_t>(samples.size());
        state.staged.push_back(std::move(chunk));
      }
    }
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
      options.max_pending_samples < 1) {
    return absl::InvalidArgumentError(
        "history store: gap_threshold, late_grace, max_future or "
        "max_pending_samples out of range");
  }
  return absl::OkStatus();
}

}  // namespace

Store::Store(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

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
}

absl::StatusOr<std::unique_ptr<Store>> Store::Open(const StoreOptions& options,
                                                   Clock* clock,
                                                   absl::TimeZone time_zone) {
  if (options.path.empty()) {
    return absl::InvalidArgumentError("history store: empty path");
  }
  if (clock == nullptr) {
    return absl::InvalidArgumentError("history store: no clock");
  }
  EWS_RETURN_IF_ERROR(ValidateOptions(options));
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->clock = clock;
  impl->tz = time_zone;

  absl::Status problem;
  std::string moved_to;
  const bool existed = FileExists(options.path);
  // Opens, checks and loads; a DataLoss anywhere in that means a corrupt file.
  auto attempt = [&]() -> absl::Status {
    absl::MutexLock lock(&impl->mu);
    impl->series.clear();
    impl->by_name.clear();
    impl->next_batch = 1;
    impl->write_db.reset();
    EWS_ASSIGN_OR_RETURN(impl->write_db, OpenChecked(options.path, time_zone));
    return absl::OkStatus();
  };
  impl->budget_bytes = options.budget_bytes;
  absl::Status db = attempt();
  if (db.ok()) db = LoadState(impl.get(), options);
  if (!db.ok() && existed && absl::IsDataLoss(db)) {
    {
      absl::MutexLock lock(&impl->mu);
      impl->write_db.reset();  // close before renaming
    }
    if (!options.recover_corrupt) {
      return absl::DataLossError(absl::StrCat("history database ", options.path,
                                              " is corrupt: ", db.message()));
    }
    moved_to = absl::StrCat(options.path, ".corrupt-",
                            absl::FormatTime("%Y%m%dT%H%M%SZ", clock->WallNow(),
                                             absl::UTCTimeZone()));
    for (const char* suffix : {"", "-wal", "-shm"}) {
      const std::string from = options.path + suffix;
      if (!FileExists(from)) continue;
      if (std::rename(from.c_str(), (moved_to + suffix).c_str()) != 0) {
        return absl::DataLossError(
            absl::StrCat("history database ", options.path,
                         " is corrupt and could not be moved aside: ",
                         std::strerror(errno)));
      }
    }
    problem = absl::DataLossError(
        absl::StrCat("history database ", options.path, " was corrupt (",
                     "moved to ", moved_to, "); started a fresh one"));
    EWS_LOG(ERROR) << problem.message();
    db = attempt();
    if (db.ok()) db = LoadState(impl.get(), options);
  }
  if (!db.ok()) return db;
  {
    absl::MutexLock lock(&impl->mu);
    UpdateBudgetLocked(*impl);
  }
  {
    absl::MutexLock lock(&impl->read_mu);
    EWS_ASSIGN_OR_RETURN(impl->read_db,
                         Db::Open(options.path, Db::Mode::kReadOnly));
  }

  auto store = std::unique_ptr<Store>(new Store(std::move(impl)));
  store->startup_problem_ = problem;
  store->moved_aside_path_ = moved_to;
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

// -------------------------------------------------------------------- ingest

absl::Status Store::Append(absl::string_view device_id,
                           absl::string_view quantity_id, absl::Time t,
                           double value) {
  EWS_ASSIGN_OR_RETURN(SeriesId id, FindSeries(device_id, quantity_id));
  return Append(id, t, value);
}

namespace {

// Checks the sample's time and buffers it. Requires impl.mu.
absl::Status BufferSample(Store::Impl& impl, SeriesState& state, absl::Time t,
                          int64_t raw, bool* flush)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl.mu) {
  const SeriesSpec& spec = state.info.spec;
  if (raw > kMaxRaw || raw < -kMaxRaw) {
    return absl::InvalidArgumentError(
        absl::StrCat("series ", spec.device_id, "/", spec.quantity_id,
                     ": raw value ", raw, " out of range"));
  }
  if (t < absl::UnixEpoch() || t == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(
        absl::StrCat("series ", spec.device_id, "/", spec.quantity_id,
                     ": sample time ", absl::FormatTime(t), " out of range"));
  }
  if (t > impl.clock->WallNow() + impl.options.max_future) {
    return absl::InvalidArgumentError(absl::StrCat(
        "series ", spec.device_id, "/", spec.quantity_id, ": sample at ",
        absl::FormatTime(t), " is in the future (clock: ",
        absl::FormatTime(impl.clock->WallNow()), ")"));
  }
  const int64_t t_ms = absl::ToUnixMillis(t);
  if (state.has_last && t_ms <= state.last_t_ms) {
    return absl::InvalidArgumentError(absl::StrCat(
        "series ", spec.device_id, "/", spec.quantity_id, ": sample at ",
        absl::FormatTime(t), " is not after the previous one at ",
        absl::FormatTime(absl::FromUnixMillis(state.last_t_ms))));
  }
  if (t_ms < state.consolidated_until_ms) {
    return absl::FailedPreconditionError(absl::StrCat(
        "series ", spec.device_id, "/", spec.quantity_id, ": sample at ",
        absl::FormatTime(t), " arrives after its hour was consolidated"));
  }
  if (state.pending.empty()) impl.dirty.push_back(&state);
  state.pending.push_back(Sample{t_ms, raw});
  state.has_last = true;
  state.last_t_ms = t_ms;
  *flush = ++impl.pending_total >= impl.options.max_pending_samples;
  return absl::OkStatus();
}

}  // namespace

absl::Status Store::Append(SeriesId id, absl::Time t, double value) {
  bool flush = false;
  {
    absl::MutexLock lock(&impl_->mu);
    auto it = impl_->series.find(id);
    if (it == impl_->series.end()) {
      return absl::NotFoundError(absl::StrCat("unknown series id ", id));
    }
    SeriesState& state = *it->second;
    const SeriesSpec& spec = state.info.spec;
    if (!std::isfinite(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("series ", spec.device_id, "/", spec.quantity_id,
                       ": value is not a finite number"));
    }
    const double scaled = value / spec.scale;
    if (std::fabs(scaled) > static_cast<double>(kMaxRaw)) {
      return absl::InvalidArgumentError(
          absl::StrCat("series ", spec.device_id, "/", spec.quantity_id,
                       ": value ", value, " out of range"));
    }
    EWS_RETURN_IF_ERROR(
        BufferSample(*impl_, state, t, std::llround(scaled), &flush));
  }
  return flush ? Flush() : absl::OkStatus();
}

absl::Status Store::AppendRaw(SeriesId id, absl::Time t, int64_t raw) {
  bool flush = false;
  {
    absl::MutexLock lock(&impl_->mu);
    auto it = impl_->series.find(id);
    if (it == impl_->series.end()) {
      return absl::NotFoundError(absl::StrCat("unknown series id ", id));
    }
    EWS_RETURN_IF_ERROR(BufferSample(*impl_, *it->second, t, raw, &flush));
  }
  return flush ? Flush() : absl::OkStatus();
}

absl::StatusOr<absl::Time> Store::LastSampleTime(SeriesId id) const {
  absl::MutexLock lock(&impl_->mu);
  auto it = impl_->series.find(id);
  if (it == impl_->series.end()) {
    return absl::NotFoundError(absl::StrCat("unknown series id ", id));
  }
  return it->second->has_last ? absl::FromUnixMillis(it->second->last_t_ms)
                              : absl::InfinitePast();
}

int64_t Store::pending_samples() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->pending_total;
}

namespace {

absl::Status FlushLocked(Store::Impl& impl)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl.mu) {
  if (impl.dirty.empty()) return absl::OkStatus();
  Db& db = *impl.write_db;
  EWS_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
  std::vector<std::pair<SeriesId, std::string>> chunks;
  chunks.reserve(impl.dirty.size());
  for (SeriesState* state : impl.dirty) {
    chunks.emplace_back(state->info.id, internal::EncodeChunk(state->pending));
  }
  absl::Status status = [&]() -> absl::Status {
    EWS_ASSIGN_OR_RETURN(
        auto insert,
        db.Prepare("INSERT INTO staging(batch, data) VALUES(?,?)"));
    insert->Bind(1, impl.next_batch).BindBlob(2, internal::EncodeBatch(chunks));
    EWS_RETURN_IF_ERROR(insert->Run());
    return db.Exec("COMMIT");
  }();
  if (!status.ok()) {
    db.Exec("ROLLBACK").IgnoreError();
    return status;
  }
  ++impl.next_batch;
  absl::MutexLock live_lock(&impl.live_mu);
  for (size_t i = 0; i < impl.dirty.size(); ++i) {
    SeriesState* state = impl.dirty[i];
    state->staged_count += static_cast<int64_t>(state->pending.size());
    state->staged.push_back(std::move(chunks[i].second));
    state->pending.clear();
  }
  impl.dirty.clear();
  impl.pending_total = 0;
  return absl::OkStatus();
}

}  // namespace

absl::Status Store::Flush() {
  absl::MutexLock lock(&impl_->mu);
  return FlushLocked(*impl_);
}

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
  UpdateBudgetLocked(impl);
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
  EWS_RETURN_IF_ERROR(FlushLocked(impl));
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

// -------------------------------------------------------------------- queries

absl::StatusOr<std::vector<Record>> Store::Impl::ReadRecords(
    const SeriesInfo& info, Tier tier, int64_t from_s, int64_t to_s) const {
  internal::ClampPeriod(&from_s, &to_s);
  std::vector<Record> stored;
  std::vector<Record> live;
  absl::MutexLock lock(&read_mu);
  Db& db = *read_db;
  EWS_ASSIGN_OR_RETURN(std::vector<LiveState> snapshot,
                       BeginSnapshot(db, {info.id}));
  absl::Status status = [&]() -> absl::Status {
    EWS_ASSIGN_OR_RETURN(auto walker, internal::BlockWalker::Create(
                                          db, info, tier, from_s, to_s, tz));
    std::vector<Record> block;
    for (;;) {
      EWS_ASSIGN_OR_RETURN(bool more, walker->Next(&block));
      if (!more) break;
      stored.insert(stored.end(), block.begin(), block.end());
    }
    EWS_ASSIGN_OR_RETURN(
        live, internal::LiveRecords(info, snapshot[0], tier, from_s, to_s, tz));
    return absl::OkStatus();
  }();
  db.Exec("COMMIT").IgnoreError();
  EWS_RETURN_IF_ERROR(status);
  return internal::MergeRecords(info.spec.kind, std::move(stored), live);
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
  TierRetention budget;
  {
    absl::ReaderMutexLock lock(&impl_->registry_mu);
    for (const auto& [name, id] : impl_->by_name) {
      infos.push_back(impl_->series.at(id)->info);
    }
    budget = impl_->BudgetRetentionLocked();
  }
  std::vector<SeriesHorizon> out;
  absl::MutexLock lock(&impl_->read_mu);
  Db& db = *impl_->read_db;
  // Oldest block per series and tier: one pass over each table's keys (rows
  // are keyed by start, so a per-series "ORDER BY start LIMIT 1" could scan
  // the whole table for a series without data).
  absl::flat_hash_map<SeriesId, int64_t> oldest_block[kTierCount];
  std::unique_ptr<Statement> block_at[kTierCount];
  for (int k = 0; k < kTierCount; ++k) {
    EWS_ASSIGN_OR_RETURN(
        auto scan, db.Prepare(absl::StrCat("SELECT series_id, MIN(start) FROM ",
                                           internal::kTierTable[k],
                                           " GROUP BY series_id")));
    for (;;) {
      EWS_ASSIGN_OR_RETURN(bool row, scan->Step());
      if (!row) break;
      oldest_block[k][scan->ColumnInt(0)] = scan->ColumnInt(1);
    }
    EWS_ASSIGN_OR_RETURN(
        block_at[k],
        db.Prepare(absl::StrCat("SELECT data FROM ", internal::kTierTable[k],
                                " WHERE start = ? AND series_id = ?")));
  }
  for (const SeriesInfo& info : infos) {
    SeriesHorizon h;
    h.id = info.id;
    h.device_id = info.spec.device_id;
    h.quantity_id = info.spec.quantity_id;
    h.kind = info.spec.kind;
    const TierRetention& retention = internal::IsCounter(info.spec.kind)
                                         ? impl_->options.counter_retention
                                         : budget;
    for (int k = 0; k < kTierCount; ++k) {
      h.retention[k] = retention.Get(static_cast<Tier>(k));
      h.oldest[k] = absl::InfiniteFuture();
      auto it = oldest_block[k].find(info.id);
      if (it == oldest_block[k].end()) continue;
      block_at[k]->Reset();
      block_at[k]->Bind(1, it->second).Bind(2, info.id);
      EWS_ASSIGN_OR_RETURN(bool row, block_at[k]->Step());
      if (!row) continue;
      EWS_ASSIGN_OR_RETURN(
          std::vector<Record> block,
          internal::DecodeBlock(info.spec.kind, block_at[k]->ColumnBlob(0)));
      if (!block.empty()) h.oldest[k] = absl::FromUnixSeconds(block[0].start);
    }
    out.push_back(h);
  }
  return out;
}

absl::StatusOr<StoreStats> Store::Stats() const {
  StoreStats stats;
  stats.file_bytes =
      FileSize(impl_->options.path) + FileSize(impl_->options.path + "-wal");
  absl::MutexLock lock(&impl_->read_mu);
  Db& db = *impl_->read_db;
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
  bool have_dbstat = db.Exec("SELECT 1 FROM dbstat LIMIT 1").ok();
  for (int k = 0; k < kTierCount; ++k) {
    EWS_ASSIGN_OR_RETURN(auto stmt,
                         db.Prepare(absl::StrCat(
                             "SELECT COUNT(*), SUM(n), SUM(length(data)) FROM ",
                             internal::kTierTable[k])));
    EWS_ASSIGN_OR_RETURN(bool row, stmt->Step());
    if (row) {
      stats.records[k] = stmt->ColumnInt(1);
      stats.payload_bytes[k] = stmt->ColumnInt(2);
      stats.table_bytes[k] = static_cast<int64_t>(
          stats.payload_bytes[k] + kRowOverheadBytes * stmt->ColumnInt(0));
    }
    if (have_dbstat) {
      EWS_ASSIGN_OR_RETURN(auto dbstat,
                           db.Prepare(absl::StrCat(
                               "SELECT SUM(pgsize) FROM dbstat WHERE name = '",
                               internal::kTierTable[k], "'")));
      EWS_ASSIGN_OR_RETURN(bool got, dbstat->Step());
      if (got) stats.table_bytes[k] = dbstat->ColumnInt(0);
    }
  }
  return stats;
}

absl::Status Store::CheckIntegrity() const {
  absl::MutexLock lock(&impl_->read_mu);
  EWS_ASSIGN_OR_RETURN(std::string result,
                       impl_->read_db->QueryText("PRAGMA integrity_check"));
  if (result != "ok") {
    return absl::DataLossError(absl::StrCat("integrity_check: ", result));
  }
  return absl::OkStatus();
}

}  // namespace ews::storage
