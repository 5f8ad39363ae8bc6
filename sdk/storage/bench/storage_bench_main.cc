// Storage benchmark: prints bytes per value per kind of quantity on a month of
// realistic meter data (part d, bench_fleet.h), ingest rate, bytes per stored
// point per tier, query latencies while ingesting, the size of 10 years of
// counter history, the default budget's horizons and (part w) the flash wear
// of ews-server's write pattern. `--quick` runs a small version (for CI);
// `--only=a|b|c|d|w` one part; `--flash_hours=N` part w's length.
//
//   bazel run -c opt //sdk/storage/bench:storage_bench  (full, ~10 min)
//   bazel run -c opt //sdk/storage/bench:storage_bench -- --quick
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/storage/bench/bench_fleet.h"
#include "sdk/storage/internal/block_walker.h"
#include "sdk/storage/internal/db.h"
#include "sdk/storage/internal/sample_log.h"
#include "sdk/storage/store.h"

namespace ews::storage {
namespace {

constexpr double kPi = 3.14159265358979;
const absl::Time kEpoch = absl::FromUnixSeconds(1735689600);  // 2025-01-01Z

void Check(const absl::Status& status, const char* what) {
  if (!status.ok()) {
    std::fprintf(stderr, "storage_bench: %s: %s\n", what,
                 status.ToString().c_str());
    std::exit(1);
  }
}
template <typename T>
T Check(absl::StatusOr<T> v, const char* what) {
  Check(v.status(), what);
  return *std::move(v);
}

std::string FreshPath(const std::string& dir, const char* name) {
  std::string path = absl::StrCat(dir, "/", name);
  for (const char* suffix : {"", "-wal", "-shm"}) {
    unlink((path + suffix).c_str());
  }
  return path;
}

// ---- Realistic meter signals at register resolution.

struct Quantity {
  const char* id;
  SeriesKind kind;
  const char* unit;
  double scale;
};

const Quantity kMeterQuantities[] = {
    {"ea_import", SeriesKind::kCounter, "kWh", 0.001},
    {"p_total", SeriesKind::kInstantaneous, "kW", 0.001},
    {"u1", SeriesKind::kInstantaneous, "V", 0.1},
    {"u2", SeriesKind::kInstantaneous, "V", 0.1},
    {"u3", SeriesKind::kInstantaneous, "V", 0.1},
    {"i1", SeriesKind::kInstantaneous, "A", 0.001},
    {"i2", SeriesKind::kInstantaneous, "A", 0.001},
    {"i3", SeriesKind::kInstantaneous, "A", 0.001},
    {"pf", SeriesKind::kInstantaneous, "", 0.001},
    {"freq", SeriesKind::kInstantaneous, "Hz", 0.01},
    {"thd_u1", SeriesKind::kInstantaneous, "%", 0.1},
    {"thd_i1", SeriesKind::kInstantaneous, "%", 0.1},
};
constexpr int kMeterQuantityCount = 12;

const Quantity kCounterQuantities[] = {
    {"ea_import", SeriesKind::kCounter, "kWh", 0.001},
    {"water", SeriesKind::kCounter, "m3", 0.001},
    {"gas", SeriesKind::kCounter, "m3", 0.01},
};

// One meter: a daily load profile with noise; values per minute.
class Meter {
 public:
  explicit Meter(int index)
      : rng_(1000 + index),
        base_w_(800 + 300 * (index % 7)),
        amp_w_(1500 + 200 * (index % 5)),
        energy_wh_(1e6 * (1 + index % 13)),  // 1..13 MWh already on the meter
        water_l_(2e5 * (1 + index % 3)),
        gas_m3_(1e4 * (1 + index % 4)) {}

  // Advances by `minutes` and fills one value per kMeterQuantities entry.
  void Step(absl::Time t, double minutes, double* out) {
    const double day =
        std::fmod(absl::ToDoubleSeconds(t - kEpoch), 86400) / 86400;
    const double profile = std::max(0.0, std::sin(2 * kPi * (day - 0.25))) +
                           0.3 * std::max(0.0, std::sin(4 * kPi * day));
    walk_ += noise_(rng_) * 30;
    walk_ = std::clamp(walk_, -400.0, 400.0);
    const double p = std::max(50.0, base_w_ + amp_w_ * profile + walk_);
    energy_wh_ += p * minutes / 60;
    out[0] = std::floor(energy_wh_) / 1000;  // Wh register, in kWh
    out[1] = std::round(p) / 1000;
    double u[3];
    for (int k = 0; k < 3; ++k) {
      u[k] = 230 + 3 * std::sin(2 * kPi * day + k) + noise_(rng_) * 0.4;
      out[2 + k] = u[k];
    }
    for (int k = 0; k < 3; ++k) {
      out[5 + k] = std::max(0.0, p / 3 / u[k] + noise_(rng_) * 0.02);
    }
    out[8] = 0.92 + 0.03 * std::sin(2 * kPi * day) + noise_(rng_) * 0.003;
    out[9] = 50 + noise_(rng_) * 0.01;
    out[10] = 2.0 + 0.5 * std::sin(2 * kPi * day) + noise_(rng_) * 0.05;
    out[11] = 8 + noise_(rng_) * 0.5;
  }

  // Energy, water, gas counters after `minutes` more.
  void StepCounters(absl::Time t, double minutes, double* out) {
    double values[kMeterQuantityCount];
    Step(t, minutes, values);
    out[0] = values[0];
    const double draws = minutes * 0.05;
    water_l_ += (uniform_(rng_) < draws ? 5 + 15 * uniform_(rng_) : 0) *
                std::max(1.0, draws);
    out[1] = std::floor(water_l_) / 1000;
    const double day =
        std::fmod(absl::ToDoubleSeconds(t - kEpoch), 86400) / 86400;
    gas_m3_ += minutes * (0.01 + 0.02 * std::max(0.0, std::cos(2 * kPi * day)));
    out[2] = std::floor(gas_m3_ * 100) / 100;
  }

 private:
  std::mt19937 rng_;
  std::normal_distribution<double> noise_{0, 1};
  std::uniform_real_distribution<double> uniform_{0, 1};
  double base_w_, amp_w_, walk_ = 0;
  double energy_wh_, water_l_, gas_m3_;
};

struct Fleet {
  std::vector<Meter> meters;
  std::vector<std::vector<SeriesId>> ids;  // [device][quantity]
};

Fleet RegisterMeters(Store& store, int devices) {
  Fleet fleet;
  for (int d = 0; d < devices; ++d) {
    fleet.meters.emplace_back(d);
    std::vector<SeriesId> ids;
    for (const Quantity& q : kMeterQuantities) {
      SeriesSpec spec{absl::StrCat("meter-", d), q.id, q.kind, q.unit, q.scale};
      if (q.kind == SeriesKind::kCounter) spec.counter_bits = 32;
      ids.push_back(Check(store.RegisterSeries(spec), "register"));
    }
    fleet.ids.push_back(ids);
  }
  return fleet;
}

// Appends one poll round (every quantity of every device) at `t`.
void PollRound(Store& store, Fleet& fleet, absl::Time t, double minutes) {
  double values[kMeterQuantityCount];
  for (size_t d = 0; d < fleet.meters.size(); ++d) {
    fleet.meters[d].Step(t, minutes, values);
    for (int q = 0; q < kMeterQuantityCount; ++q) {
      Check(store.Append(fleet.ids[d][q], t, values[q]), "append");
    }
  }
}

long MaxRssKb() {
  rusage usage;
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss;
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

std::string Duration(absl::Duration d) {
  if (d == absl::InfiniteDuration()) return "forever";
  const double days = absl::ToDoubleHours(d) / 24;
  if (days >= 730) return absl::StrFormat("%.1f years", days / 365.25);
  if (days < 2) return absl::StrFormat("%.0f hours", days * 24);
  return absl::StrFormat("%.0f days", days);
}

// ---- D: density on realistic meter data (sdk/storage/bench/bench_fleet.h).

struct KindTotals {
  int64_t values = 0;
  int64_t payload = 0;
  int64_t rows = 0;
};

// Minute tier rows, payload and records per kind of quantity.
std::vector<KindTotals> MinuteTierByKind(const std::string& path,
                                         const bench::Fleet& fleet,
                                         int64_t from_s) {
  std::map<std::pair<std::string, std::string>, bench::Kind> kinds;
  for (const bench::FleetSeries& s : fleet.series()) {
    kinds[{s.spec.device_id, s.spec.quantity_id}] = s.kind;
  }
  auto db =
      Check(internal::Db::Open(path, internal::Db::Mode::kReadOnly), "open db");
  // Both the hour blocks (the open day) and the sealed days.
  auto stmt =
      Check(db->Prepare(absl::StrCat(
                "SELECT s.device, s.quantity, SUM(length(t.data)), SUM(t.n), "
                "COUNT(*) FROM (",
                internal::TierBlocksSql(Tier::kMinute),
                ") t JOIN series s ON s.id = t.series_id GROUP BY s.id")),
            "by kind");
  internal::BindBlocksSince(*stmt, from_s);
  std::vector<KindTotals> out(bench::kKindCount);
  while (Check(stmt->Step(), "step")) {
    auto it = kinds.find(
        {std::string(stmt->ColumnText(0)), std::string(stmt->ColumnText(1))});
    if (it == kinds.end()) continue;
    KindTotals& k = out[static_cast<int>(it->second)];
    k.payload += stmt->ColumnInt(2);
    k.values += stmt->ColumnInt(3);
    k.rows += stmt->ColumnInt(4);
  }
  return out;
}

// The ids of `fleet`'s series, registered in `store`.
std::vector<SeriesId> RegisterFleet(Store& store, const bench::Fleet& fleet) {
  std::vector<SeriesId> ids;
  for (const bench::FleetSeries& s : fleet.series()) {
    ids.push_back(Check(store.RegisterSeries(s.spec), "register"));
  }
  return ids;
}

// The density run's ingest: what was appended, how fast, and the time of
// each Consolidate() call.
struct DensityIngest {
  int64_t appended = 0;
  double seconds = 0;
  std::vector<double> hour_ms, seal_ms;  // Consolidate() calls
  // The open (unsealed) day's minute blocks, measured at its 23rd hour.
  double live_payload = 0, live_rows = 0, live_values = 0;
};

// `days` of 1-minute polls of `fleet` into `store` (series `ids`), on the
// simulated `clock` from `start`: Flush every round, Consolidate every hour.
DensityIngest IngestFleet(Store& store, SimulatedClock& clock,
                          bench::Fleet& fleet, const std::vector<SeriesId>& ids,
                          absl::Time start, int days, const std::string& path) {
  DensityIngest ingest;
  std::vector<double> values;
  std::vector<bool> present;
  const absl::Time t0 = absl::Now();
  for (int64_t m = 0; m < int64_t{days} * 1440; ++m) {
    fleet.Poll(m, &values, &present);
    clock.SetWallTime(start + absl::Minutes(m) + absl::Seconds(2));
    for (size_t i = 0; i < ids.size(); ++i) {
      if (!present[i]) continue;
      Check(store.Append(ids[i], fleet.PollTime(m, i), values[i]), "append");
      ++ingest.appended;
    }
    Check(store.Flush(), "flush");
    if (m % 60 == 59) {
      clock.SetWallTime(start + absl::Minutes(m + 1) + absl::Minutes(3));
      const absl::Time c0 = absl::Now();
      Check(store.Consolidate(), "consolidate");
      // The consolidation that reaches a UTC day's end seals that day.
      (m % 1440 == 1439 ? ingest.seal_ms : ingest.hour_ms)
          .push_back(absl::ToDoubleMilliseconds(absl::Now() - c0));
    }
    if (m == int64_t{days} * 1440 - 61) {
      const int64_t day_s = absl::ToUnixSeconds(start) + (days - 1) * 86400;
      for (const KindTotals& k : MinuteTierByKind(path, fleet, day_s)) {
        ingest.live_payload += k.payload;
        ingest.live_rows += k.rows;
        ingest.live_values += k.values;
      }
    }
  }
  ingest.seconds = absl::ToDoubleSeconds(absl::Now() - t0);
  return ingest;
}

// Bytes per value of the minute tier, per kind of quantity and overall
// (`kinds` from MinuteTierByKind()), and of the open day.
void PrintDensity(const std::vector<KindTotals>& kinds, const StoreStats& stats,
                  const DensityIngest& ingest) {
  KindTotals all;
  for (const KindTotals& k : kinds) {
    all.values += k.values;
    all.payload += k.payload;
    all.rows += k.rows;
  }
  // The table's pages beyond the payload, spread over its rows.
  const double per_row =
      all.rows > 0
          ? static_cast<double>(stats.table_bytes[0] - all.payload) / all.rows
          : 0;
  std::printf(
      "  bytes per value, minute tier (table pages incl. SQLite overhead; "
      "payload alone in brackets):\n");
  for (int k = 0; k < bench::kKindCount; ++k) {
    if (kinds[k].values == 0) continue;
    std::printf("    %-18s %9lld values  %5.2f B  (%5.2f B)\n",
                bench::KindName(static_cast<bench::Kind>(k)),
                static_cast<long long>(kinds[k].values),
                (kinds[k].payload + per_row * kinds[k].rows) / kinds[k].values,
                static_cast<double>(kinds[k].payload) / kinds[k].values);
  }
  std::printf(
      "    %-18s %9lld values  %5.2f B  (%5.2f B)   whole file %.2f B/value "
      "(%.1f MB)\n",
      "overall", static_cast<long long>(all.values),
      static_cast<double>(stats.table_bytes[0]) / all.values,
      static_cast<double>(all.payload) / all.values,
      static_cast<double>(stats.file_bytes) / ingest.appended,
      stats.file_bytes / 1e6);
  if (ingest.live_values > 0) {
    std::printf(
        "  open day (unsealed minute blocks, 23 h into the day): payload "
        "%.2f B/value, %.2f B/value with an estimated 14 B per row\n",
        ingest.live_payload / ingest.live_values,
        (ingest.live_payload + 14 * ingest.live_rows) / ingest.live_values);
  }
}

// Reads of the sealed data: 24-hour minute charts and a week's chart of
// random series and days.
void RunSealedReads(Store& store, const std::vector<SeriesId>& ids,
                    absl::Time start, int days, bool quick) {
  std::mt19937 rng(11);
  std::vector<double> day_ms, week_ms;
  const int queries = quick ? 50 : 500;
  size_t day_points = 0, week_points = 0;
  for (int q = 0; q < queries; ++q) {
    const SeriesId id = ids[rng() % ids.size()];
    const absl::Time from = start +
                            absl::Hours(24 * static_cast<int>(rng() % days)) +
                            absl::Minutes(rng() % 1440);
    absl::Time q0 = absl::Now();
    auto points = Check(
        store.Read(id, Tier::kMinute, from, from + absl::Hours(24)), "read");
    day_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - q0));
    day_points = std::max(day_points, points.size());
    q0 = absl::Now();
    auto chart = Check(store.QueryChart(id, from - absl::Hours(24 * 6),
                                        from + absl::Hours(24)),
                       "chart");
    week_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - q0));
    week_points = std::max(week_points, chart.points.size());
  }
  std::printf(
      "  sealed reads: 24-hour minute read (<= %zu points) p50 %.2f ms p99 "
      "%.2f ms; 7-day chart (<= %zu points) p50 %.2f ms p99 %.2f ms\n",
      day_points, Percentile(day_ms, 0.5), Percentile(day_ms, 0.99),
      week_points, Percentile(week_ms, 0.5), Percentile(week_ms, 0.99));
}

// One device's `days` as minute CSV, from `start` to `to`.
void RunCsvExport(Store& store, absl::Time start, absl::Time to, int days) {
  size_t bytes = 0;
  CsvRequest request;
  request.device_id = "meter-0";
  request.from = start;
  request.to = to;
  request.tier = Tier::kMinute;
  const absl::Time e0 = absl::Now();
  Check(store.ExportCsv(request,
                        [&](absl::string_view data) {
                          bytes += data.size();
                          return absl::OkStatus();
                        }),
        "export");
  std::printf(
      "  CSV export, meter-0 (17 series), %d days at minute resolution: %.1f "
      "MB in %.2f s\n",
      days, bytes / 1e6, absl::ToDoubleSeconds(absl::Now() - e0));
}

void RunDensity(const std::string& dir, const absl::TimeZone& tz, bool quick) {
  // 2025-03-15 00:00 UTC: the month holds Europe/Paris' spring DST change.
  const absl::Time start = absl::FromUnixSeconds(1741996800);
  const int devices = 32;
  const int days = quick ? 2 : 30;
  bench::Fleet fleet(devices, start, /*seed=*/42);
  SimulatedClock clock(start);
  StoreOptions options;
  options.path = FreshPath(dir, "density.db");
  auto store = Check(Store::Open(options, &clock, tz), "open");
  const std::vector<SeriesId> ids = RegisterFleet(*store, fleet);
  std::printf(
      "density: %d devices, %zu series, %d days of 1-minute polls from "
      "2025-03-15 (Europe/Paris DST change on 03-30), seed 42\n",
      devices, ids.size(), days);
  const DensityIngest ingest =
      IngestFleet(*store, clock, fleet, ids, start, days, options.path);
  // Past the last day's end: every day is sealed.
  clock.SetWallTime(start + absl::Hours(24 * days) + absl::Minutes(3));
  Check(store->Consolidate(/*force_prune=*/true), "consolidate");
  StoreStats stats = Check(store->Stats(), "stats");
  std::vector<KindTotals> kinds = MinuteTierByKind(options.path, fleet, 0);
  std::printf(
      "  ingest: %lld values in %.1f s = %.0f values/s (Append, Flush every "
      "round, Consolidate every hour)\n",
      static_cast<long long>(ingest.appended), ingest.seconds,
      ingest.appended / ingest.seconds);
  std::printf(
      "  Consolidate(): p50 %.1f ms an hour; %.0f ms (max %.0f ms) at the "
      "start of a UTC day, sealing the %zu series' day before\n",
      Percentile(ingest.hour_ms, 0.5), Percentile(ingest.seal_ms, 0.5),
      Percentile(ingest.seal_ms, 1.0), ids.size());
  PrintDensity(kinds, stats, ingest);
  RunSealedReads(*store, ids, start, days, quick);
  RunCsvExport(*store, start, clock.WallNow(), days);
}

// ---- W: flash wear with ews-server's write pattern.

// This process' write_bytes (/proc/self/io): what it made the file systems
// write, page by page; -1 when the kernel does not account it.
int64_t WriteBytes() {
  FILE* f = std::fopen("/proc/self/io", "r");
  if (f == nullptr) return -1;
  char line[128];
  int64_t bytes = -1;
  while (std::fgets(line, sizeof line, f) != nullptr) {
    long long v;
    if (std::sscanf(line, "write_bytes: %lld", &v) == 1) bytes = v;
  }
  std::fclose(f);
  return bytes;
}

// ews-server's pattern on a simulated clock: every minute one poll round of
// `devices` is appended and flushed (one commit a round), and the store's
// background work (Consolidate) runs 30 s later, as the server's does every
// minute. Prints write_bytes per sample over each whole hour, through two
// month ends (the longest open blocks), with the consolidation's share.
void RunFlashWear(const std::string& dir, const absl::TimeZone& tz, int hours) {
  // 2025-03-30 00:00 UTC: March's and April's last days come in the run.
  const absl::Time start = absl::FromUnixSeconds(1743292800);
  const int devices = 16;  // 212 series, about the demo's 203
  bench::Fleet fleet(devices, start, /*seed=*/7);
  SimulatedClock clock(start);
  StoreOptions options;
  options.path = FreshPath(dir, "flash.db");
  auto store = Check(Store::Open(options, &clock, tz), "open");
  const std::vector<SeriesId> ids = RegisterFleet(*store, fleet);
  std::vector<double> values;
  std::vector<bool> present;
  std::vector<double> per_sample;  // one an hour
  double rounds_bytes = 0, consolidation_bytes = 0, samples_total = 0;
  double worst = 0;
  int64_t worst_hour = 0;
  const absl::Time t0 = absl::Now();
  for (int64_t h = 0; h < hours; ++h) {
    int64_t samples = 0, in_rounds = 0, in_consolidation = 0;
    for (int64_t m = h * 60; m < h * 60 + 60; ++m) {
      fleet.Poll(m, &values, &present);
      clock.SetWallTime(start + absl::Minutes(m) + absl::Seconds(5));
      int64_t w = WriteBytes();
      for (size_t i = 0; i < ids.size(); ++i) {
        if (!present[i]) continue;
        Check(store->Append(ids[i], fleet.PollTime(m, i), values[i]), "append");
        ++samples;
      }
      Check(store->Flush(), "flush");
      int64_t w2 = WriteBytes();
      in_rounds += w2 - w;
      clock.SetWallTime(start + absl::Minutes(m) + absl::Seconds(35));
      Check(store->Consolidate(), "consolidate");
      in_consolidation += WriteBytes() - w2;
    }
    rounds_bytes += in_rounds;
    consolidation_bytes += in_consolidation;
    samples_total += samples;
    // Hours of the fleet's outages (a few samples) say nothing per sample.
    if (samples < static_cast<int64_t>(ids.size()) * 60 * 9 / 10) continue;
    const double b =
        static_cast<double>(in_rounds + in_consolidation) / samples;
    per_sample.push_back(b);
    if (b > worst) {
      worst = b;
      worst_hour = h;
    }
  }
  const absl::CivilSecond worst_at =
      absl::ToCivilSecond(start + absl::Hours(worst_hour), absl::UTCTimeZone());
  std::printf(
      "flash wear: %zu series polled every minute, commit every round, "
      "background work every minute, %d hours from 2025-03-30Z, dir %s "
      "(%.1f s)\n"
      "  write_bytes per sample over whole hours: mean %.1f B, p50 %.1f B, "
      "p99 %.1f B, max %.1f B (hour from %s UTC; hours of outages left "
      "out); poll rounds %.1f B, consolidations %.1f B\n",
      ids.size(), hours, dir.c_str(), absl::ToDoubleSeconds(absl::Now() - t0),
      (rounds_bytes + consolidation_bytes) / std::max(samples_total, 1.0),
      Percentile(per_sample, 0.5), Percentile(per_sample, 0.99), worst,
      absl::FormatCivilTime(worst_at).c_str(),
      rounds_bytes / std::max(samples_total, 1.0),
      consolidation_bytes / std::max(samples_total, 1.0));
}

int Main(int argc, char** argv) {
  bool quick = false;
  std::string dir;
  std::string only;     // "a", "b", "c", "d" or "w": run one part
  int flash_hours = 0;  // part w's length (0: its default)
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--quick") == 0) quick = true;
    if (std::strncmp(argv[i], "--dir=", 6) == 0) dir = argv[i] + 6;
    if (std::strncmp(argv[i], "--only=", 7) == 0) only = argv[i] + 7;
    if (std::strncmp(argv[i], "--flash_hours=", 14) == 0) {
      flash_hours = std::atoi(argv[i] + 14);
    }
  }
  if (dir.empty()) {
    const char* tmp = std::getenv("TEST_TMPDIR");
    char templ[] = "/tmp/ews-storage-bench-XXXXXX";
    dir = tmp != nullptr ? tmp : mkdtemp(templ);
  }
  absl::TimeZone tz;
  if (!absl::LoadTimeZone("Europe/Paris", &tz)) return 2;
  const int devices = 32;
  std::printf(
      "EWS storage benchmark (%s), %d devices x %d quantities, dir %s\n",
      quick ? "quick" : "full", devices, kMeterQuantityCount, dir.c_str());

  if (only.empty() || only == "d") RunDensity(dir, tz, quick);
  if (only.empty() || only == "w") {
    RunFlashWear(dir, tz, flash_hours > 0 ? flash_hours : quick ? 3 : 33 * 24);
  }

  // ---- A: batched ingest at 1-minute polling, consolidation included.
  if (only.empty() || only == "a") {
    const int hours = quick ? 6 : 7 * 24;
    SimulatedClock clock(kEpoch);
    StoreOptions options;
    options.path = FreshPath(dir, "ingest.db");
    auto store = Check(Store::Open(options, &clock, tz), "open");
    Fleet fleet = RegisterMeters(*store, devices);
    for (int flush_minutes : {1, 10}) {
      const uint64_t written0 = internal::CountingVfsBytesWritten();
      const uint64_t syncs0 = internal::CountingVfsSyncs();
      const uint64_t log_pages0 = internal::SampleLogPagesWritten();
      const uint64_t log_syncs0 = internal::SampleLogSyncs();
      const absl::Time start = absl::Now();
      const absl::Time sim_start = clock.WallNow();
      int64_t points = 0;
      for (int m = 0; m < hours * 60; ++m) {
        const absl::Time t = clock.WallNow();
        PollRound(*store, fleet, t, 1);
        points += devices * kMeterQuantityCount;
        clock.Advance(absl::Minutes(1));
        if ((m + 1) % flush_minutes == 0) Check(store->Flush(), "flush");
        if ((m + 1) % 60 == 0) Check(store->Consolidate(), "consolidate");
      }
      Check(store->Consolidate(), "consolidate");
      const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
      const uint64_t written = internal::CountingVfsBytesWritten() - written0;
      const uint64_t syncs = internal::CountingVfsSyncs() - syncs0;
      const uint64_t log_bytes =
          (internal::SampleLogPagesWritten() - log_pages0) * 4096;
      const uint64_t log_syncs = internal::SampleLogSyncs() - log_syncs0;
      std::printf(
          "ingest: %lld points (%d h x 1/min) in %.2f s = %.0f points/s; "
          "commit every %d simulated min (%d samples/commit), consolidation "
          "included\n",
          static_cast<long long>(points), hours, seconds, points / seconds,
          flush_minutes, flush_minutes * devices * kMeterQuantityCount);
      std::printf(
          "  written by SQLite: %.1f bytes/sample (%.2f MB, %llu fsyncs) for "
          "%s of simulated time\n",
          static_cast<double>(written) / points, written / 1e6,
          static_cast<unsigned long long>(syncs),
          Duration(clock.WallNow() - sim_start).c_str());
      std::printf(
          "  sample log: %.1f bytes/sample (4 KiB pages touched, %.2f MB, "
          "%llu fdatasyncs); together %.1f bytes/sample\n",
          static_cast<double>(log_bytes) / points, log_bytes / 1e6,
          static_cast<unsigned long long>(log_syncs),
          static_cast<double>(written + log_bytes) / points);
      if (flush_minutes == 1) {
        StoreStats stats = Check(store->Stats(), "stats");
        std::printf(
            "  stored: %.2f MB in pages (%.2f bytes/sample overall); write "
            "amplification %.1fx (bytes written / bytes stored)\n",
            stats.page_bytes / 1e6,
            static_cast<double>(stats.page_bytes) / points,
            static_cast<double>(written) / stats.page_bytes);
      }
    }
    Check(store->Consolidate(/*force_prune=*/true), "prune");
    StoreStats stats = Check(store->Stats(), "stats");
    std::printf(
        "bytes per stored point (table pages incl. B-tree overhead / "
        "encoded payload only):\n");
    for (int k = 0; k < kTierCount; ++k) {
      if (stats.records[k] == 0) continue;
      std::printf(
          "  %-6s %10lld records  %6.2f B/record  (payload %5.2f B)\n",
          TierName(static_cast<Tier>(k)),
          static_cast<long long>(stats.records[k]),
          static_cast<double>(stats.table_bytes[k]) / stats.records[k],
          static_cast<double>(stats.payload_bytes[k]) / stats.records[k]);
    }
    auto horizons = Check(store->Horizons(), "horizons");
    for (const SeriesHorizon& h : horizons) {
      if (h.quantity_id != "thd_u1" || h.device_id != "meter-0") continue;
      std::printf(
          "default budget %lld MiB shared by %d non-counter series (%d "
          "devices): horizon minute %s, hour %s, day %s, month %s, year %s\n",
          static_cast<long long>(options.budget_bytes >> 20),
          devices * (kMeterQuantityCount - 1), devices,
          Duration(h.retention[0]).c_str(), Duration(h.retention[1]).c_str(),
          Duration(h.retention[2]).c_str(), Duration(h.retention[3]).c_str(),
          Duration(h.retention[4]).c_str());
    }
    // Minute CSV of every device over the whole period, streamed.
    const long rss_before = MaxRssKb();
    size_t bytes = 0, largest = 0;
    const absl::Time e0 = absl::Now();
    for (int d = 0; d < devices; ++d) {
      CsvRequest request;
      request.device_id = absl::StrCat("meter-", d);
      request.from = kEpoch;
      request.to = clock.WallNow();
      request.tier = Tier::kMinute;
      Check(store->ExportCsv(request,
                             [&](absl::string_view data) {
                               bytes += data.size();
                               largest = std::max(largest, data.size());
                               return absl::OkStatus();
                             }),
            "export");
    }
    std::printf(
        "CSV export, minute resolution, %d devices x %d quantities x %s: "
        "%.1f MB in %.2f s (%.0f MB/s), largest chunk %zu B, peak RSS grew "
        "%ld KiB\n",
        devices, kMeterQuantityCount,
        Duration(clock.WallNow() - kEpoch).c_str(), bytes / 1e6,
        absl::ToDoubleSeconds(absl::Now() - e0),
        bytes / 1e6 / absl::ToDoubleSeconds(absl::Now() - e0), largest,
        MaxRssKb() - rss_before);
  }

  // ---- B: queries while ingesting for 32 devices.
  if (only.empty() || only == "b") {
    SimulatedClock clock(kEpoch);
    StoreOptions options;
    options.path = FreshPath(dir, "query.db");
    auto store = Check(Store::Open(options, &clock, tz), "open");
    Fleet fleet = RegisterMeters(*store, devices);
    // A year of history polled every 15 min (every 60 in quick mode), then
    // two days at 1 min.
    const int history_days = quick ? 14 : 365;
    const int minute_days = quick ? 1 : 2;
    const int step_min = quick ? 60 : 15;
    const absl::Time build_start = absl::Now();
    for (int m = 0; m < (history_days - minute_days) * 24 * 60; m += step_min) {
      PollRound(*store, fleet, clock.WallNow(), step_min);
      clock.Advance(absl::Minutes(step_min));
      if ((m / step_min) % (24 * 60 / step_min) == 0) {
        Check(store->Consolidate(), "consolidate");
      }
    }
    for (int m = 0; m < minute_days * 24 * 60; ++m) {
      PollRound(*store, fleet, clock.WallNow(), 1);
      clock.Advance(absl::Minutes(1));
      if (m % 60 == 59) Check(store->Consolidate(), "consolidate");
    }
    Check(store->Consolidate(), "consolidate");
    std::printf("query store: %d days of history built in %.1f s\n",
                history_days, absl::ToDoubleSeconds(absl::Now() - build_start));

    std::atomic<bool> stop{false};
    std::atomic<int64_t> ingested{0};
    const absl::Time now = clock.WallNow();
    std::thread ingest([&] {
      // Full-speed ingest (far faster than real polling): 1 commit per
      // simulated minute, consolidation at every simulated hour.
      int m = 0;
      while (!stop.load()) {
        PollRound(*store, fleet, clock.WallNow(), 1);
        clock.Advance(absl::Minutes(1));
        Check(store->Flush(), "flush");
        if (++m % 60 == 0) Check(store->Consolidate(), "consolidate");
        ingested += devices * kMeterQuantityCount;
      }
    });
    std::vector<double> daily_ms, chart_ms;
    std::mt19937 rng(7);
    const absl::Time until = absl::Now() + absl::Seconds(quick ? 1 : 10);
    const absl::Time q_start = absl::Now();
    size_t daily_points = 0, chart_points = 0;
    while (absl::Now() < until) {
      const int d = static_cast<int>(rng() % devices);
      absl::Time t0 = absl::Now();
      auto days = Check(store->Totals(fleet.ids[d][0], Tier::kDay,
                                      now - absl::Hours(24 * 365), now),
                        "daily totals");
      daily_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
      daily_points = days.size();
      t0 = absl::Now();
      auto chart = Check(store->Read(fleet.ids[d][1], Tier::kMinute,
                                     now - absl::Hours(24), now),
                         "minute chart");
      chart_ms.push_back(absl::ToDoubleMilliseconds(absl::Now() - t0));
      chart_points = chart.size();
    }
    const double q_seconds = absl::ToDoubleSeconds(absl::Now() - q_start);
    stop = true;
    ingest.join();
    std::printf(
        "queries while ingesting %d devices at full speed (%.0f points/s "
        "ingested meanwhile):\n",
        devices, ingested.load() / q_seconds);
    std::printf(
        "  1-year daily consumption (%zu bars): p50 %.2f ms  p99 %.2f ms  "
        "max %.2f ms  (%zu queries)\n",
        daily_points, Percentile(daily_ms, 0.5), Percentile(daily_ms, 0.99),
        Percentile(daily_ms, 1.0), daily_ms.size());
    std::printf(
        "  24-hour minute chart (%zu points): p50 %.2f ms  p99 %.2f ms  max "
        "%.2f ms  (%zu queries)\n",
        chart_points, Percentile(chart_ms, 0.5), Percentile(chart_ms, 0.99),
        Percentile(chart_ms, 1.0), chart_ms.size());

    // CSV export of the whole history of one device at the finest tier kept,
    // for the streaming claim: bytes out and peak chunk.
    size_t bytes = 0, chunks = 0;
    CsvRequest request;
    request.device_id = "meter-0";
    request.from = kEpoch;
    request.to = clock.WallNow();
    request.tier = Tier::kHour;
    const absl::Time e0 = absl::Now();
    Check(store->ExportCsv(request,
                           [&](absl::string_view data) {
                             bytes += data.size();
                             ++chunks;
                             return absl::OkStatus();
                           }),
          "export");
    std::printf(
        "  CSV export, 1 device, %d days hourly: %.1f MB in %.2f s, %zu "
        "chunks of <= 64 KiB\n",
        history_days, bytes / 1e6, absl::ToDoubleSeconds(absl::Now() - e0),
        chunks);
  }

  // ---- C: 10 years of energy, water and gas history for 32 devices.
  if (only.empty() || only == "c") {
    const int n_devices = quick ? 1 : devices;
    const int years = quick ? 2 : 10;
    SimulatedClock clock(kEpoch);
    StoreOptions options;
    options.path = FreshPath(dir, "tenyears.db");
    auto store = Check(Store::Open(options, &clock, tz), "open");
    std::vector<Meter> meters;
    std::vector<SeriesId> ids;
    for (int d = 0; d < n_devices; ++d) {
      meters.emplace_back(d);
      for (const Quantity& q : kCounterQuantities) {
        SeriesSpec spec{absl::StrCat("meter-", d), q.id, q.kind, q.unit,
                        q.scale};
        ids.push_back(Check(store->RegisterSeries(spec), "register"));
      }
    }
    const absl::Time start = absl::Now();
    const absl::Time end = kEpoch + absl::Hours(24 * 365.25 * years);
    const absl::Time minute_from = end - absl::Hours(24 * 60);
    int64_t samples = 0;
    int day = 0;
    while (clock.WallNow() < end) {
      const bool fine = clock.WallNow() >= minute_from;
      const int step = fine ? 1 : 60;
      double values[3];
      for (int d = 0; d < n_devices; ++d) {
        meters[d].StepCounters(clock.WallNow(), step, values);
        for (int k = 0; k < 3; ++k) {
          Check(store->Append(ids[3 * d + k], clock.WallNow(), values[k]),
                "append");
        }
      }
      samples += 3 * n_devices;
      const int64_t before = absl::ToUnixSeconds(clock.WallNow()) / 86400;
      clock.Advance(absl::Minutes(step));
      if (absl::ToUnixSeconds(clock.WallNow()) / 86400 != before) {
        Check(store->Consolidate(/*force_prune=*/++day % 30 == 0),
              "consolidate");
      }
    }
    Check(store->Consolidate(/*force_prune=*/true), "consolidate");
    StoreStats stats = Check(store->Stats(), "stats");
    std::printf(
        "%d years of energy+water+gas history, %d devices (%zu counters; "
        "minute 60 d, hour 3 y, day/month/year forever; hourly samples, 1/min "
        "for the last 60 d): %.2f MiB in pages, file %.2f MiB "
        "(%lld samples, built in %.1f s)%s\n",
        years, n_devices, ids.size(), stats.page_bytes / 1048576.0,
        stats.file_bytes / 1048576.0, static_cast<long long>(samples),
        absl::ToDoubleSeconds(absl::Now() - start),
        quick ? " [quick: 1 device]" : "");
    for (int k = 0; k < kTierCount; ++k) {
      if (stats.records[k] == 0) continue;
      std::printf("  %-6s %9lld records  %7.2f MiB\n",
                  TierName(static_cast<Tier>(k)),
                  static_cast<long long>(stats.records[k]),
                  stats.table_bytes[k] / 1048576.0);
    }
  }
  std::printf("storage_bench: done\n");
  return 0;
}

}  // namespace
}  // namespace ews::storage

int main(int argc, char** argv) { return ews::storage::Main(argc, argv); }
