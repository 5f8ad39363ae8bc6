// The history store: samples from the acquisition layer go in, tiered history
// (minute → hour → day → month → year) comes out, on one SQLite file.
//
//   EWS_ASSIGN_OR_RETURN(auto store, Store::Open(options, clock, tz));
//   EWS_ASSIGN_OR_RETURN(SeriesId ea, store->RegisterSeries(spec));
//   EWS_RETURN_IF_ERROR(store->Append(ea, t, 1234.567));
//   EWS_RETURN_IF_ERROR(store->Flush());   // the samples are now acknowledged
//   EWS_RETURN_IF_ERROR(store->Consolidate());  // or StartBackgroundWork()
//
// "Acknowledged" means: Flush() (or an Append() that flushed) returned OK.
// From then on the sample survives a killed process or a power cut. Samples
// appended but not yet flushed are lost on a crash.
//
// Thread-safe. Queries run on their own connection and do not wait for
// consolidation; CSV export opens a further read-only connection.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/storage/series.h"

namespace ews::storage {

class DiskSpace;  // disk_space.h

// How long each tier is kept. absl::InfiniteDuration() = forever.
struct TierRetention {
  absl::Duration minute;
  absl::Duration hour;
  absl::Duration day;
  absl::Duration month;
  absl::Duration year;
  absl::Duration Get(Tier tier) const;
};

struct StoreOptions {
  // The SQLite file; its WAL ("-wal") and the sample log ("-log", the
  // acknowledged samples not yet in SQLite) live beside it.
  std::string path;
  // Counters (energy, water, gas) are never dropped entirely; their finer tiers
  // are.
  TierRetention counter_retention{
      absl::Hours(24 * 60), absl::Hours(24 * 1096), absl::InfiniteDuration(),
      absl::InfiniteDuration(), absl::InfiniteDuration()};
  // Bytes shared by every non-counter series (instantaneous and status). The
  // store derives each tier's horizon from it and the registered series.
  int64_t budget_bytes = int64_t{96} << 20;  // 96 MiB: fits a 256 MiB flash
  // The file system the store lives on. The budget in force is
  // FreeSpaceBudget(budget_bytes, the store's files, its space): never more
  // than the disk has room for (disk_space.h). Evaluated at open and at each
  // prune. Null: statvfs(2); must outlive the store otherwise.
  DiskSpace* disk_space = nullptr;
  // Share of the budget given to each tier (minute, hour, day, month, year).
  double budget_share[kTierCount] = {0.50, 0.38, 0.10, 0.015, 0.005};
  // A counter silent for longer than this is recorded as a gap.
  absl::Duration gap_threshold = absl::Minutes(5);
  // Samples may arrive this late: an hour is consolidated only once the wall
  // clock has passed its end by this much.
  absl::Duration late_grace = absl::Minutes(2);
  // Samples stamped further ahead of the wall clock than this are refused
  // (a device or RTC with a wrong clock would otherwise block its series).
  absl::Duration max_future = absl::Hours(1);
  // Append() flushes by itself once this many samples are pending.
  int64_t max_pending_samples = 100000;
  // Flush() appends the samples to the sample log, which SQLite absorbs at
  // each consolidation of a finished hour; a Flush() that would take the log
  // past this size commits every live sample to SQLite instead (and the log
  // starts over). 1 MiB holds about 1.5 hours of 1000 samples a minute;
  // 0 = no log, every Flush() is a SQLite commit.
  int64_t max_log_bytes = int64_t{1} << 20;
  // A corrupt or unreadable file is renamed to "<path>.corrupt-<time>" and a
  // fresh store started (with a DataLoss in startup_problem()). When false,
  // Open() fails with DataLoss instead.
  bool recover_corrupt = true;
  // Read-only SQLite connections, each leased by one query at a time (with
  // its own compiled statements): queries on different connections run at
  // the same time (WAL), more wait for a free one. 0 = as many as hardware
  // threads, at least 2, at most 4; else 1..kMaxReadConnections. Each costs
  // a file descriptor and up to SQLite's page cache (2 MB by default).
  int read_connections = 0;
};

inline constexpr int kMaxReadConnections = 16;

// What the UI shows: "THD history: 94 days" at each resolution.
struct SeriesHorizon {
  SeriesId id = 0;
  std::string device_id;
  std::string quantity_id;
  SeriesKind kind = SeriesKind::kUnspecified;
  // How long each tier is kept (policy for counters, derived from the budget
  // for everything else). InfiniteDuration = forever.
  absl::Duration retention[kTierCount];
  // Oldest interval actually stored per tier (InfiniteFuture when none).
  absl::Time oldest[kTierCount];
  // The longest history available at any resolution.
  absl::Duration Longest() const;
};

struct Chart {
  // The tier read, and how many of its intervals each point merges (minute
  // and hour tiers only: 1, 2, 5, 10, 15 or 30 minutes; 1, 2, 3 or 6
  // hours, aligned to UTC).
  Tier tier = Tier::kMinute;
  int intervals_per_point = 1;
  std::vector<Point> points;
};

enum class CsvStyle {
  // Excel in a European locale: ';' separator, decimal comma.
  kSemicolonDecimalComma = 0,
  // Excel in an English locale: ',' separator, decimal point.
  kCommaDecimalPoint = 1,
};

struct CsvRequest {
  std::string device_id;
  std::vector<std::string> quantity_ids;  // empty = every series of the device
  absl::Time from;
  absl::Time to;
  Tier tier = Tier::kHour;
  CsvStyle style = CsvStyle::kSemicolonDecimalComma;
};

// Receives CSV bytes as they are produced. A non-OK return aborts the export.
using CsvSink = std::function<absl::Status(absl::string_view)>;

struct StoreStats {
  int64_t file_bytes = 0;  // database + WAL + sample log on disk
  int64_t page_bytes = 0;  // pages in use (excluding free pages)
  int64_t staged_samples = 0;
  // The sample log: records appended since SQLite last absorbed it, and the
  // bytes they take.
  int64_t log_records = 0;
  int64_t log_bytes = 0;
  // The non-counter budget in force (budget_bytes, or less when the file
  // system has less room).
  int64_t budget_bytes = 0;
  // Read connections open (StoreOptions::read_connections, resolved).
  int read_connections = 0;
  // Per tier: stored records, encoded payload bytes and the pages the tier's
  // table occupies (from SQLite's dbstat, when available; else payload + an
  // estimated row overhead).
  int64_t records[kTierCount] = {};
  int64_t payload_bytes[kTierCount] = {};
  int64_t table_bytes[kTierCount] = {};
};

class Store {
 public:
  // Opens or creates the store. Errors: InvalidArgument (empty path, no
  // clock, options out of range),
  // DataLoss (corrupt file and !recover_corrupt), FailedPrecondition (cannot
  // open or create the file), Unavailable (locked).
  static absl::StatusOr<std::unique_ptr<Store>> Open(
      const StoreOptions& options, Clock* clock, absl::TimeZone time_zone);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // OK, or the DataLoss that made Open() move a corrupt file aside.
  absl::Status startup_problem() const { return startup_problem_; }
  // Where the corrupt file was moved ("" when nothing was moved).
  const std::string& moved_aside_path() const { return moved_aside_path_; }

  // Registers a series, or returns the existing one when (device, quantity)
  // is known with the same kind and scale. Errors: InvalidArgument (empty
  // ids, unspecified kind, scale <= 0), AlreadyExists (known with another
  // kind, scale or counter width).
  absl::StatusOr<SeriesId> RegisterSeries(const SeriesSpec& spec);
  // NotFound when unknown.
  absl::StatusOr<SeriesId> FindSeries(absl::string_view device_id,
                                      absl::string_view quantity_id) const;
  absl::StatusOr<SeriesSpec> GetSpec(SeriesId id) const;
  std::vector<SeriesSpec> ListSeries() const;

  // Buffers one sample (in the series' unit). Errors: NotFound (unknown
  // series), InvalidArgument (NaN/infinite, out of the register's range, not
  // after the series' previous sample, or more than max_future ahead of the
  // clock), FailedPrecondition (the sample's hour is already consolidated:
  // too late). May flush, see Flush().
  absl::Status Append(SeriesId id, absl::Time t, double value);
  // The same with the register's integer value (value = raw * scale), for
  // registers wider than a double's 53 bits of integer precision would allow
  // through Append(); |raw| must be below 2^52.
  absl::Status AppendRaw(SeriesId id, absl::Time t, int64_t raw);
  absl::Status Append(absl::string_view device_id,
                      absl::string_view quantity_id, absl::Time t,
                      double value);

  // Commits every buffered sample in one transaction. When it returns OK the
  // samples are acknowledged (durable). On error nothing is acknowledged and
  // the samples stay buffered for the next attempt.
  absl::Status Flush();
  int64_t pending_samples() const;

  // Time of the series' latest accepted sample (InfinitePast when none), so
  // that a restarted writer knows where to resume. NotFound when unknown.
  absl::StatusOr<absl::Time> LastSampleTime(SeriesId id) const;
  // Raw value (value / scale) of that sample (nullopt when none), e.g. a
  // counter to resume from after a power cut. NotFound when unknown.
  absl::StatusOr<std::optional<int64_t>> LastSampleRaw(SeriesId id) const;

  // Writes every finished hour (wall clock minus late_grace) into the minute
  // tier, rolls every finished local day up into the hour..year tiers (reads
  // build the open day's records of those from its minute blocks), and
  // prunes what retention says must go (at most once per wall-clock hour, or
  // when `force_prune`).
  absl::Status Consolidate(bool force_prune = false);

  // Changes the counters' retention and the non-counter budget of a running
  // store (a configuration applied live). Horizons() tells the new ones at
  // once; what they no longer keep is deleted by the next Consolidate(),
  // which prunes whatever the hour (the background work's next pass).
  // Errors: InvalidArgument (budget <= 0, a retention <= 0), nothing changed.
  absl::Status SetRetention(const TierRetention& counter_retention,
                            int64_t budget_bytes);

  // Runs Flush() and Consolidate() every `period` of real time on a thread of
  // the store's own, until the store is destroyed.
  void StartBackgroundWork(absl::Duration period);

  // Records of one tier whose interval starts in [from, to), including the
  // acknowledged samples not consolidated yet. Errors: NotFound,
  // InvalidArgument (from > to), DataLoss (corrupt block).
  absl::StatusOr<std::vector<Point>> Read(SeriesId id, Tier tier,
                                          absl::Time from, absl::Time to) const;

  // A chart series for [from, to) at the finest resolution that gives at most
  // `max_points` points and whose tier still holds data for `from`: minute
  // data merged into 2/5/10/15/30-minute points, hour data into 2/3/6-hour
  // points, then days, months, years (24 h → 2-minute points, a week →
  // 15 minutes, a month → hours, a year → days).
  absl::StatusOr<Chart> QueryChart(SeriesId id, absl::Time from, absl::Time to,
                                   int max_points = 1000) const;

  // Consumption per interval of `tier` (hour, day, month or year) for
  // consumption bars; Point::delta holds the total. InvalidArgument for a
  // non-counter series.
  absl::StatusOr<std::vector<Point>> Totals(SeriesId id, Tier tier,
                                            absl::Time from,
                                            absl::Time to) const;

  // Per series: how long each tier is kept and what is stored.
  absl::StatusOr<std::vector<SeriesHorizon>> Horizons() const;

  // Streams one device's series as CSV (see docs/storage.md for the format).
  // Runs on a connection of its own, in constant memory. Errors: NotFound
  // (unknown device or quantity), InvalidArgument (bad period), and whatever
  // the sink returns.
  absl::Status ExportCsv(const CsvRequest& request, const CsvSink& sink) const;

  absl::StatusOr<StoreStats> Stats() const;

  // Runs PRAGMA integrity_check; OK when it reports "ok", DataLoss otherwise.
  absl::Status CheckIntegrity() const;

  class Impl;

 private:
  explicit Store(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
  absl::Status startup_problem_;
  std::string moved_aside_path_;
};

}  // namespace ews::storage
