// The store across restarts and damage: acknowledged samples survive,
// garbage and corrupt files are moved aside, corrupt blocks are reported and
// rebuilt, sealed days read back exactly, schema upgrades; the sample log
// replayed once after a crash, torn or damaged logs handled.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/storage/internal/db.h"
#include "sdk/storage/internal/sample_log.h"
#include "sdk/storage/store.h"
#include "sdk/storage/store_test_fixture.h"

namespace ews::storage {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

TEST_F(StoreTest, AcknowledgedSamplesSurviveReopen) {
  const absl::Time start = clock_.WallNow();
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    auto id = store->RegisterSeries(Energy());
    ASSERT_THAT(id, IsOk());
    for (int i = 0; i < 90; ++i)
      Feed(*store, *id, 10 + 0.001 * i, absl::Minutes(1));
    ASSERT_THAT(store->Flush(), IsOk());
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto id = store->FindSeries("meter-1", "ea_import");
  ASSERT_THAT(id, IsOk());
  // The counter continues: no "first sample" and no reset after the reopen.
  for (int i = 90; i < 120; ++i)
    Feed(*store, *id, 10 + 0.001 * i, absl::Minutes(1));
  ASSERT_THAT(store->Flush(), IsOk());
  auto minutes = store->Read(*id, Tier::kMinute, start, start + absl::Hours(3));
  ASSERT_THAT(minutes, IsOk());
  ASSERT_THAT(*minutes, SizeIs(120));
  for (int i = 1; i < 120; ++i) {
    EXPECT_EQ((*minutes)[i].flags, 0u) << i;
    EXPECT_NEAR((*minutes)[i].delta, 0.001, 1e-9) << i;
  }
  EXPECT_THAT(store->CheckIntegrity(), IsOk());
}

void WriteFile(const std::string& path, const std::string& bytes,
               long offset = -1) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  if (!f.is_open() || offset < 0) {
    f.close();
    f.open(path, std::ios::out | std::ios::binary | std::ios::trunc);
  } else {
    f.seekp(offset);
  }
  f.write(bytes.data(), bytes.size());
}

std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream s;
  s << f.rdbuf();
  return s.str();
}

TEST_F(StoreTest, GarbageFileIsMovedAsideAndAFreshStoreStarts) {
  const std::string garbage(8192, '\x5a');
  WriteFile(path_, garbage);
  options_.recover_corrupt = false;
  {
    StoreOptions options = options_;
    options.path = path_;
    EXPECT_THAT(Store::Open(options, &clock_, tz_),
                StatusIs(absl::StatusCode::kDataLoss, HasSubstr("corrupt")));
    EXPECT_EQ(ReadFile(path_), garbage);  // untouched
  }
  options_.recover_corrupt = true;
  options_.read_connections = 3;
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->startup_problem(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("moved to")));
  ASSERT_FALSE(store->moved_aside_path().empty());
  EXPECT_EQ(ReadFile(store->moved_aside_path()), garbage);
  auto id = store->RegisterSeries(Energy());
  ASSERT_THAT(id, IsOk());
  const absl::Time first = clock_.WallNow();
  EXPECT_THAT(store->Append(*id, first, 1), IsOk());
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(store->Append(*id, clock_.WallNow(), 2), IsOk());
  EXPECT_THAT(store->Flush(), IsOk());
  EXPECT_THAT(store->CheckIntegrity(), IsOk());
  // The read connections all opened on the fresh file.
  auto stats = store->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->read_connections, 3);
  auto minutes = store->Read(*id, Tier::kMinute, first, clock_.WallNow());
  ASSERT_THAT(minutes, IsOk());
  EXPECT_THAT(*minutes, SizeIs(1));
  EXPECT_EQ(ReadFile(store->moved_aside_path()), garbage);  // still untouched
}

TEST_F(StoreTest, DamagedPagesAreDetectedAndMovedAside) {
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    auto id = store->RegisterSeries(Energy());
    ASSERT_THAT(id, IsOk());
    for (int i = 0; i < 600; ++i)
      Feed(*store, *id, 0.001 * i, absl::Minutes(1));
    ASSERT_THAT(store->Consolidate(), IsOk());
  }
  const std::string original = ReadFile(path_);
  ASSERT_GT(original.size(), 3 * 4096u);
  // Keep the header page, scribble over every other page.
  WriteFile(path_, std::string(original.size() - 4096, '\x3c'), 4096);
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->startup_problem(), StatusIs(absl::StatusCode::kDataLoss));
  EXPECT_THAT(store->ListSeries(), SizeIs(0));
  EXPECT_THAT(store->CheckIntegrity(), IsOk());
}

void Scribble(const std::string& path, absl::string_view sql) {
  auto db = internal::Db::Open(path, internal::Db::Mode::kReadWriteCreate);
  ASSERT_THAT(db, IsOk());
  ASSERT_THAT((*db)->Exec(sql), IsOk());
}

TEST_F(StoreTest, UndecodableStagedSamplesMoveTheFileAside) {
  options_.max_log_bytes = 0;  // every Flush() into the staging table
  ASSERT_NO_FATAL_FAILURE(OneAcknowledgedSample());
  Scribble(path_, "UPDATE staging SET data = x'ffffffff0102'");
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->startup_problem(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("moved to")));
  EXPECT_THAT(store->ListSeries(), SizeIs(0));
}

TEST_F(StoreTest, CorruptBlockIsADataLossForReadsAndIsRebuiltByConsolidation) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto id = store->RegisterSeries(Energy());
  ASSERT_THAT(id, IsOk());
  const absl::Time start = clock_.WallNow();  // 2026-01-15T00:00Z
  // Past the end of the local day (23:00Z): its day record is in the
  // month's block.
  for (int i = 0; i < 25 * 60; ++i) {
    Feed(*store, *id, 0.001 * i, absl::Minutes(1));
  }
  Scribble(path_, "UPDATE tier_day SET data = x'01ff'");
  EXPECT_THAT(store->Totals(*id, Tier::kDay, start, clock_.WallNow()),
              StatusIs(absl::StatusCode::kDataLoss));
  // The next day's roll-up rewrites the month's block from what it has.
  for (int i = 25 * 60; i < 49 * 60; ++i) {
    Feed(*store, *id, 0.001 * i, absl::Minutes(1));
  }
  auto days = store->Totals(*id, Tier::kDay, start, clock_.WallNow());
  ASSERT_THAT(days, IsOk());
  EXPECT_FALSE(days->empty());
}

int64_t QueryInt(const std::string& path, const std::string& sql) {
  auto db = internal::Db::Open(path, internal::Db::Mode::kReadOnly);
  EXPECT_THAT(db, IsOk());
  if (!db.ok()) return -1;
  auto value = (*db)->QueryInt(sql);
  EXPECT_THAT(value, IsOk());
  return value.ok() ? *value : -1;
}

TEST_F(StoreTest, FinishedDaysAreSealedAndReadBackExactly) {
  std::unique_ptr<Store> store;
  SeriesId volts = 0, energy = 0;
  ASSERT_NO_FATAL_FAILURE(OpenWithVoltsAndEnergy(&store, &volts, &energy));
  const absl::Time start = clock_.WallNow();  // 2026-01-15T00:00Z
  // 2.5 days of minutes, with an hour of silence on the first day.
  const int minutes = 60 * 60;
  for (int i = 0; i < minutes; ++i) {
    if (i >= 600 && i < 660) {
      clock_.Advance(absl::Minutes(1));
      continue;
    }
    ASSERT_THAT(store->Append(energy, clock_.WallNow(), 1000 + 0.017 * i),
                IsOk());
    Feed(*store, volts, 230 + 0.1 * (i % 7), absl::Minutes(1));
  }
  ASSERT_THAT(store->Consolidate(), IsOk());
  // Days 15 and 16 sealed (one row per series and day); day 17 in hours.
  EXPECT_EQ(QueryInt(path_, "SELECT COUNT(*) FROM minute_sealed"), 4);
  EXPECT_EQ(
      QueryInt(path_, absl::StrCat("SELECT COUNT(*) FROM tier_minute "
                                   "WHERE start < ",
                                   absl::ToUnixSeconds(start) + 2 * 86400)),
      0);
  for (int pass = 0; pass < 2; ++pass) {
    auto points = store->Read(volts, Tier::kMinute, start,
                              start + absl::Minutes(minutes));
    ASSERT_THAT(points, IsOk());
    ASSERT_THAT(*points, SizeIs(minutes - 60));
    for (const Point& p : *points) {
      const int i = static_cast<int>((p.start - start) / absl::Minutes(1));
      EXPECT_NEAR(p.avg, 230 + 0.1 * (i % 7), 1e-9) << i;
      EXPECT_EQ(p.samples, 1);
    }
    auto counter = store->Read(energy, Tier::kMinute, start + absl::Hours(11),
                               start + absl::Hours(11) + absl::Minutes(2));
    ASSERT_THAT(counter, IsOk());
    ASSERT_THAT(*counter, SizeIs(2));
    EXPECT_EQ((*counter)[0].flags, static_cast<uint32_t>(kFlagGap));
    EXPECT_NEAR((*counter)[0].delta, 0.017 * 61, 1e-9);
    auto days = store->Totals(energy, Tier::kDay, start, clock_.WallNow());
    ASSERT_THAT(days, IsOk());
    double total = 0;
    for (const Point& p : *days) total += p.delta;
    EXPECT_NEAR(total, 0.017 * (minutes - 1), 1e-6);
    auto stats = store->Stats();
    ASSERT_THAT(stats, IsOk());
    EXPECT_GE(stats->records[0], 2 * (minutes - 60) - 120);
    // The same after a restart.
    store.reset();
    store = OpenStore();
    ASSERT_NE(store, nullptr);
  }
}

int64_t UpperTierRows(const std::string& path) {
  return QueryInt(path,
                  "SELECT (SELECT COUNT(*) FROM tier_hour) + (SELECT COUNT(*) "
                  "FROM tier_day) + (SELECT COUNT(*) FROM tier_month) + "
                  "(SELECT COUNT(*) FROM tier_year)");
}

void ExpectSamePoints(const std::vector<Point>& a,
                      const std::vector<Point>& b) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a[i].start, b[i].start) << i;
    EXPECT_EQ(a[i].flags, b[i].flags) << i;
    EXPECT_EQ(a[i].samples, b[i].samples) << i;
    EXPECT_DOUBLE_EQ(a[i].delta, b[i].delta) << i;
    EXPECT_DOUBLE_EQ(a[i].counter, b[i].counter) << i;
    EXPECT_DOUBLE_EQ(a[i].avg, b[i].avg) << i;
    EXPECT_DOUBLE_EQ(a[i].min, b[i].min) << i;
    EXPECT_DOUBLE_EQ(a[i].max, b[i].max) << i;
  }
}

// The hour..year blocks grow with their period; rewriting them every hour
// cost the flash more than the minutes themselves. They are written once a
// local day, and until then reads build the open day's records from its
// minute blocks: the same records either way.
TEST_F(StoreTest, UpperTiersAreRolledUpOnceADayAndReadTheSameBefore) {
  std::unique_ptr<Store> store;
  SeriesId volts = 0, energy = 0;
  ASSERT_NO_FATAL_FAILURE(OpenWithVoltsAndEnergy(&store, &volts, &energy));
  const absl::Time start = clock_.WallNow();  // 01:00 in Paris
  const absl::Time day_end = start + absl::Hours(23);
  int i = 0;
  auto feed_until = [&](absl::Time until) {
    for (; clock_.WallNow() < until; ++i) {
      // A gap of 20 minutes at 05:00Z.
      if (i >= 300 && i < 320) {
        clock_.Advance(absl::Minutes(1));
        continue;
      }
      ASSERT_THAT(store->Append(energy, clock_.WallNow(), 1000 + 0.013 * i),
                  IsOk());
      Feed(*store, volts, 230 + 0.1 * (i % 11), absl::Minutes(1));
    }
  };
  ASSERT_NO_FATAL_FAILURE(feed_until(day_end - absl::Minutes(30)));
  ASSERT_THAT(store->Consolidate(), IsOk());
  EXPECT_EQ(UpperTierRows(path_), 0);
  const absl::Time closed = day_end - absl::Hours(1);  // hours before 22:00Z
  std::vector<std::vector<Point>> open;
  for (SeriesId id : {volts, energy}) {
    for (Tier tier : {Tier::kHour, Tier::kDay, Tier::kMonth, Tier::kYear}) {
      auto points = store->Read(id, tier, start, closed);
      ASSERT_THAT(points, IsOk());
      ASSERT_FALSE(points->empty());
      open.push_back(*std::move(points));
    }
  }
  EXPECT_EQ(open[0].size(), 22u);
  EXPECT_EQ(open[1][0].samples, 23 * 60 - 30 - 20);  // the open day so far

  ASSERT_NO_FATAL_FAILURE(feed_until(day_end + absl::Minutes(10)));
  ASSERT_THAT(store->Consolidate(), IsOk());
  // One block per series in each tier: the day's hours, the month's days,
  // the year's months, the year.
  EXPECT_EQ(UpperTierRows(path_), 8);
  // The hours before 22:00Z as they were read while the day was open; the
  // day, month and year now hold the whole day.
  size_t k = 0;
  for (SeriesId id : {volts, energy}) {
    auto hours = store->Read(id, Tier::kHour, start, closed);
    ASSERT_THAT(hours, IsOk());
    ExpectSamePoints(*hours, open[k]);
    k += 4;
  }
  auto days = store->Read(volts, Tier::kDay, start, day_end);
  ASSERT_THAT(days, IsOk());
  ASSERT_THAT(*days, SizeIs(1));
  EXPECT_EQ((*days)[0].samples, 23 * 60 - 20);
  auto totals = store->Totals(energy, Tier::kDay, start, day_end);
  ASSERT_THAT(totals, IsOk());
  ASSERT_THAT(*totals, SizeIs(1));
  EXPECT_NEAR((*totals)[0].delta, 0.013 * (23 * 60 - 1), 1e-6);
  // And the same after a restart.
  store.reset();
  store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto again = store->Read(volts, Tier::kDay, start, day_end);
  ASSERT_THAT(again, IsOk());
  ExpectSamePoints(*again, *days);
}

// A minute horizon shorter than a day must not lose the open day's hours
// before they are rolled up.
TEST_F(StoreTest, PruningKeepsMinuteBlocksUntilTheirDayIsRolledUp) {
  options_.counter_retention.minute = absl::Hours(1);
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto energy = store->RegisterSeries(Energy());
  ASSERT_THAT(energy, IsOk());
  const absl::Time start = clock_.WallNow();  // 01:00 in Paris
  for (int i = 0; i < 25 * 60; ++i) {
    ASSERT_THAT(store->Append(*energy, clock_.WallNow(), 1000 + 0.01 * i),
                IsOk());
    clock_.Advance(absl::Minutes(1));
    if (i % 60 == 59) {
      ASSERT_THAT(store->Consolidate(/*force_prune=*/true), IsOk());
    }
  }
  // The local day ended at 23:00Z: its hours are in the hour tier, all 23.
  auto hours =
      store->Totals(*energy, Tier::kHour, start, start + absl::Hours(23));
  ASSERT_THAT(hours, IsOk());
  ASSERT_EQ(hours->size(), 23u);
  double total = 0;
  for (const Point& p : *hours) total += p.delta;
  EXPECT_NEAR(total, 0.01 * (23 * 60 - 1), 1e-6);
  // And its minutes beyond the horizon are gone.
  auto minutes =
      store->Read(*energy, Tier::kMinute, start, start + absl::Hours(12));
  ASSERT_THAT(minutes, IsOk());
  EXPECT_THAT(*minutes, SizeIs(0));
}

TEST_F(StoreTest, ADayWithACorruptHourBlockStaysUnsealedAndReadsReportIt) {
  std::unique_ptr<Store> store;
  SeriesId volts = 0, energy = 0;
  ASSERT_NO_FATAL_FAILURE(OpenWithVoltsAndEnergy(&store, &volts, &energy));
  const absl::Time start = clock_.WallNow();  // 2026-01-15T00:00Z
  auto feed = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      ASSERT_THAT(store->Append(energy, clock_.WallNow(), 1000 + 0.017 * i),
                  IsOk());
      Feed(*store, volts, 230 + 0.1 * (i % 7), absl::Minutes(1));
    }
  };
  ASSERT_NO_FATAL_FAILURE(feed(0, 20 * 60));
  // The 10:00 minute block of the voltage, damaged before its day is over.
  Scribble(path_, absl::StrCat("UPDATE tier_minute SET data = x'01ff' WHERE "
                               "series_id = ",
                               volts, " AND start = ",
                               absl::ToUnixSeconds(start + absl::Hours(10))));
  ASSERT_NO_FATAL_FAILURE(feed(20 * 60, 26 * 60));
  ASSERT_THAT(store->Consolidate(), IsOk());
  // The energy's day is sealed; the voltage's stays in hour blocks, so that
  // reads of that hour keep reporting the damage instead of silently
  // missing it (a day is either sealed or in hours, never both).
  EXPECT_EQ(QueryInt(path_, "SELECT COUNT(*) FROM minute_sealed"), 1);
  EXPECT_EQ(QueryInt(path_, absl::StrCat("SELECT COUNT(*) FROM tier_minute "
                                         "WHERE series_id = ",
                                         volts, " AND start < ",
                                         absl::ToUnixSeconds(start) + 86400)),
            24);
  EXPECT_THAT(store->Read(volts, Tier::kMinute, start, start + absl::Hours(24)),
              StatusIs(absl::StatusCode::kDataLoss));
  auto hours =
      store->Read(volts, Tier::kMinute, start, start + absl::Hours(10));
  ASSERT_THAT(hours, IsOk());
  EXPECT_THAT(*hours, SizeIs(600));
  auto energy_day =
      store->Read(energy, Tier::kMinute, start, start + absl::Hours(24));
  ASSERT_THAT(energy_day, IsOk());
  EXPECT_THAT(*energy_day, SizeIs(24 * 60));
}

TEST_F(StoreTest, SchemaOneFilesAreUpgradedAndNewerOnesRefused) {
  const absl::Time start = clock_.WallNow();
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    auto id = store->RegisterSeries(Voltage());
    ASSERT_THAT(id, IsOk());
    for (int i = 0; i < 150; ++i) Feed(*store, *id, 231, absl::Minutes(1));
  }
  // Version 1 wrote the same plain blocks and staging rows, and no
  // rolled_until_s: every consolidated hour was in the tiers above.
  Scribble(path_,
           "ALTER TABLE series DROP COLUMN rolled_until_s;"
           "UPDATE meta SET value = '1' WHERE key = 'schema'");
  {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    EXPECT_THAT(store->startup_problem(), IsOk());
    auto id = store->FindSeries("meter-1", "u1");
    ASSERT_THAT(id, IsOk());
    auto points = store->Read(*id, Tier::kMinute, start, clock_.WallNow());
    ASSERT_THAT(points, IsOk());
    EXPECT_THAT(*points, SizeIs(150));
  }
  EXPECT_EQ(QueryInt(path_, "SELECT value FROM meta WHERE key = 'schema'"), 4);
  EXPECT_EQ(QueryInt(path_,
                     "SELECT rolled_until_s * 1000 = consolidated_until_ms "
                     "AND rolled_until_s > 0 FROM series"),
            1);
  // A file from a newer version is refused, and left alone.
  Scribble(path_, "UPDATE meta SET value = '5' WHERE key = 'schema'");
  StoreOptions options = options_;
  options.path = path_;
  EXPECT_THAT(Store::Open(options, &clock_, tz_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("schema version 5 is not supported")));
  EXPECT_EQ(QueryInt(path_, "SELECT value FROM meta WHERE key = 'schema'"), 5);
}

// --------------------------------------------------------------- sample log

int64_t FileBytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  return in ? static_cast<int64_t>(in.tellg()) : -1;
}

// What the disk holds at this instant, as a kill -9 (or a power cut after
// the last acknowledgement) leaves it: the store's files copied while it is
// open.
void CopyCrashImage(const std::string& from, const std::string& to) {
  for (const char* suffix : {"", "-wal", "-shm", "-log"}) {
    std::remove((to + suffix).c_str());
    std::ifstream in(from + suffix, std::ios::binary);
    if (!in) continue;
    std::ofstream out(to + suffix, std::ios::binary);
    out << in.rdbuf();
  }
}

class SampleLogStoreTest : public StoreTest {
 protected:
  std::unique_ptr<Store> OpenAt(const std::string& path) {
    StoreOptions options = options_;
    options.path = path;
    auto store = Store::Open(options, &clock_, tz_);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? *std::move(store) : nullptr;
  }
  // Opens the store at path_ with an energy and a voltage series.
  void Start() {
    store_ = OpenStore();
    ASSERT_NE(store_, nullptr);
    auto energy = store_->RegisterSeries(Energy());
    auto volts = store_->RegisterSeries(Voltage());
    ASSERT_THAT(energy, IsOk());
    ASSERT_THAT(volts, IsOk());
    energy_ = *energy;
    volts_ = *volts;
  }
  // Rounds [from, to): one sample of each series a minute, each minute
  // flushed (acknowledged).
  void Rounds(int from, int to) {
    for (int i = from; i < to; ++i) {
      ASSERT_THAT(store_->Append(energy_, clock_.WallNow(), 1000 + 0.5 * i),
                  IsOk());
      ASSERT_THAT(store_->Append(volts_, clock_.WallNow(), 230 + i % 7),
                  IsOk());
      ASSERT_THAT(store_->Flush(), IsOk());
      clock_.Advance(absl::Minutes(1));
    }
  }
  // Every sample of both series since `start`, exactly once, with its value.
  void ExpectAll(const std::string& path, absl::Time start, int rounds) {
    auto store = OpenAt(path);
    ASSERT_NE(store, nullptr);
    EXPECT_THAT(store->startup_problem(), IsOk());
    auto energy = store->FindSeries("meter-1", "ea_import");
    auto volts = store->FindSeries("meter-1", "u1");
    ASSERT_THAT(energy, IsOk());
    ASSERT_THAT(volts, IsOk());
    auto e = store->Read(*energy, Tier::kMinute, start, clock_.WallNow());
    auto v = store->Read(*volts, Tier::kMinute, start, clock_.WallNow());
    ASSERT_THAT(e, IsOk());
    ASSERT_THAT(v, IsOk());
    ASSERT_THAT(*e, SizeIs(rounds));
    ASSERT_THAT(*v, SizeIs(rounds));
    for (int i = 0; i < rounds; ++i) {
      EXPECT_DOUBLE_EQ((*e)[i].counter, 1000 + 0.5 * i) << i;
      EXPECT_DOUBLE_EQ((*v)[i].avg, 230 + i % 7) << i;
    }
    auto raw = store->LastSampleRaw(*energy);
    ASSERT_THAT(raw, IsOk());
    EXPECT_EQ(**raw, 1000000 + 500 * (rounds - 1));
  }

  std::unique_ptr<Store> store_;
  SeriesId energy_ = 0;
  SeriesId volts_ = 0;
};

TEST_F(SampleLogStoreTest, AcknowledgedSamplesAreReplayedFromTheLogOnce) {
  const absl::Time start = clock_.WallNow();
  const std::string after_consolidation = path_ + ".image1";
  const std::string later = path_ + ".image2";
  ASSERT_NO_FATAL_FAILURE(Start());
  Store* store = store_.get();
  Rounds(0, 66);
  // The flushes went to the log, not to SQLite.
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM staging"), 0);
  EXPECT_GT(FileBytes(path_ + "-log"), 66 * 16);
  // 01:06: the first hour is consolidated, the log absorbed and started
  // over; its 66 records are still in the file.
  auto stats = store->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->log_records, 66);
  ASSERT_THAT(store->Consolidate(), IsOk());
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM staging"), 1);
  stats = store->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->log_records, 0);
  EXPECT_EQ(stats->log_bytes, 0);
  CopyCrashImage(path_, after_consolidation);
  Rounds(66, 90);
  CopyCrashImage(path_, later);
  // Neither image has a sample twice or misses one.
  ExpectAll(after_consolidation, start, 66);
  ExpectAll(later, start, 90);
  // The replayed samples consolidate like the others.
  clock_.Advance(absl::Hours(1));
  {
    auto copy = OpenAt(later);
    ASSERT_NE(copy, nullptr);
    ASSERT_THAT(copy->Consolidate(), IsOk());
    auto hours = copy->Totals(energy_, Tier::kHour, start, clock_.WallNow());
    ASSERT_THAT(hours, IsOk());
    ASSERT_THAT(*hours, SizeIs(2));
    EXPECT_NEAR((*hours)[0].delta + (*hours)[1].delta, 0.5 * 89, 1e-9);
  }
  ExpectAll(later, start, 90);
}

TEST_F(SampleLogStoreTest, AFullLogIsAbsorbedIntoSqlite) {
  options_.max_log_bytes = 400;  // a few rounds
  const absl::Time start = clock_.WallNow();
  ASSERT_NO_FATAL_FAILURE(Start());
  Rounds(0, 40);
  EXPECT_EQ(QueryInt(path_, "SELECT count(*) FROM staging"), 1);
  EXPECT_GT(QueryInt(path_, "SELECT batch FROM staging"), 1);
  EXPECT_EQ(FileBytes(path_ + "-log"), internal::SampleLog::kGrowBytes);
  CopyCrashImage(path_, path_ + ".image");
  ExpectAll(path_ + ".image", start, 40);
}

TEST_F(SampleLogStoreTest, ATornLastRecordIsDiscardedAndTheRestKept) {
  const absl::Time start = clock_.WallNow();
  ASSERT_NO_FATAL_FAILURE(Start());
  Rounds(0, 10);
  const std::string image = path_ + ".image";
  CopyCrashImage(path_, image);
  int64_t tail = 0;
  {
    internal::SampleLog::Contents contents;
    auto log = internal::SampleLog::Open(image + "-log", &contents);
    ASSERT_THAT(log, IsOk());
    ASSERT_THAT(contents.entries, SizeIs(10));
    tail = (*log)->used_bytes();
  }
  // The 11th record, half written when the power went: a length, a CRC and
  // part of its payload.
  const char torn[] = {40, 0, 0, 0, 1, 2, 3, 4, 11, 0, 0, 0, 0, 0, 0, 0, 9, 9};
  const int fd = ::open((image + "-log").c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::pwrite(fd, torn, sizeof(torn), tail),
            static_cast<ssize_t>(sizeof(torn)));
  ::close(fd);
  ExpectAll(image, start, 10);
  {
    // The next record goes where the torn one was.
    auto copy = OpenAt(image);
    ASSERT_NE(copy, nullptr);
    clock_.Advance(absl::Seconds(1));
    ASSERT_THAT(copy->Append(energy_, clock_.WallNow(), 1005), IsOk());
    ASSERT_THAT(copy->Flush(), IsOk());
  }
  internal::SampleLog::Contents contents;
  ASSERT_THAT(internal::SampleLog::Open(image + "-log", &contents), IsOk());
  EXPECT_FALSE(contents.torn_tail);
  EXPECT_THAT(contents.entries, SizeIs(11));
}

TEST_F(SampleLogStoreTest, ADamagedLogIsMovedAsideAndTheDatabaseKept) {
  ASSERT_NO_FATAL_FAILURE(OneAcknowledgedSample());
  {
    // A record whose CRC checks but whose samples do not decode.
    internal::SampleLog::Contents contents;
    auto log = internal::SampleLog::Open(path_ + "-log", &contents);
    ASSERT_THAT(log, IsOk());
    ASSERT_THAT((*log)->Append(1000, "\xff\xff\xff\xff\x01\x02"), IsOk());
  }
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->startup_problem(),
              StatusIs(absl::StatusCode::kDataLoss,
                       HasSubstr("moved to " + path_ + "-log.corrupt-")));
  EXPECT_THAT(store->moved_aside_path(), HasSubstr("-log.corrupt-"));
  EXPECT_THAT(store->ListSeries(), SizeIs(1));
  auto id = store->FindSeries("meter-1", "ea_import");
  ASSERT_THAT(id, IsOk());
  clock_.Advance(absl::Minutes(1));
  EXPECT_THAT(store->Append(*id, clock_.WallNow(), 2), IsOk());
  EXPECT_THAT(store->Flush(), IsOk());
}

TEST_F(SampleLogStoreTest, ALogWithoutItsDatabaseIsNotReplayed) {
  ASSERT_NO_FATAL_FAILURE(OneAcknowledgedSample());
  std::remove(path_.c_str());
  std::remove((path_ + "-wal").c_str());
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->startup_problem(), IsOk());
  EXPECT_THAT(store->ListSeries(), SizeIs(0));
  EXPECT_GT(FileBytes(path_ + "-log.orphaned"), 0);
  auto id = store->RegisterSeries(Voltage());
  ASSERT_THAT(id, IsOk());
  auto points = store->Read(*id, Tier::kMinute, absl::InfinitePast(),
                            clock_.WallNow() + absl::Hours(1));
  ASSERT_THAT(points, IsOk());
  EXPECT_THAT(*points, SizeIs(0));
}

}  // namespace
}  // namespace ews::storage
