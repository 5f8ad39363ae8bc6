#include "sdk/storage/store.h"

#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/storage/internal/db.h"
#include "sdk/storage/internal/sample_log.h"

namespace ews::storage {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

absl::TimeZone Paris() {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Paris", &tz));
  return tz;
}

std::string TempPath(absl::string_view name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  std::string path = absl::StrCat(dir != nullptr ? dir : "/tmp", "/", name);
  for (const char* suffix : {"", "-wal", "-shm", "-log"}) {
    std::remove((path + suffix).c_str());
  }
  return path;
}

absl::Time Utc(int y, int mo, int d, int h = 0, int mi = 0, int s = 0) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, s),
                         absl::UTCTimeZone());
}

SeriesSpec Energy(std::string device = "meter-1") {
  SeriesSpec spec;
  spec.device_id = std::move(device);
  spec.quantity_id = "ea_import";
  spec.kind = SeriesKind::kCounter;
  spec.unit = "kWh";
  spec.scale = 0.001;
  spec.counter_bits = 32;
  return spec;
}

SeriesSpec Voltage(std::string device = "meter-1") {
  SeriesSpec spec;
  spec.device_id = std::move(device);
  spec.quantity_id = "u1";
  spec.kind = SeriesKind::kInstantaneous;
  spec.unit = "V";
  spec.scale = 0.1;
  return spec;
}

class StoreTest : public ::testing::Test {
 protected:
  StoreTest()
      : path_(TempPath(absl::StrCat(
            ::testing::UnitTest::GetInstance()->current_test_info()->name(),
            ".db"))),
        tz_(Paris()) {}

  std::unique_ptr<Store> OpenStore() {
    StoreOptions options = options_;
    options.path = path_;
    auto store = Store::Open(options, &clock_, tz_);
    EXPECT_THAT(store, IsOk());
    return store.ok() ? *std::move(store) : nullptr;
  }

  // Appends a sample at the clock's time, advances the clock by `step`,
  // and flushes + consolidates at each full hour.
  void Feed(Store& store, SeriesId id, double value, absl::Duration step) {
    ASSERT_THAT(store.Append(id, clock_.WallNow(), value), IsOk());
    const absl::Time before = clock_.WallNow();
    clock_.Advance(step);
    if (absl::ToUnixSeconds(clock_.WallNow()) / 3600 !=
        absl::ToUnixSeconds(before) / 3600) {
      ASSERT_THAT(store.Consolidate(), IsOk());
    }
  }

  // Creates the store at path_ with one acknowledged energy sample.
  void OneAcknowledgedSample() {
    auto store = OpenStore();
    ASSERT_NE(store, nullptr);
    auto id = store->RegisterSeries(Energy());
    ASSERT_THAT(id, IsOk());
    ASSERT_THAT(store->Append(*id, clock_.WallNow(), 1), IsOk());
    ASSERT_THAT(store->Flush(), IsOk());
  }

  std::string path_;
  absl::TimeZone tz_;
  SimulatedClock clock_{Utc(2026, 1, 15)};
  StoreOptions options_;
};

TEST_F(StoreTest, TiersRollUpAndIncludeLiveData) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto energy = store->RegisterSeries(Energy());
  auto volts = store->RegisterSeries(Voltage());
  ASSERT_THAT(energy, IsOk());
  ASSERT_THAT(volts, IsOk());
  double counter = 1000.0;
  const absl::Time start = clock_.WallNow();
  // 3 h 10 min of 15-second samples: 5 Wh each, voltage 230.0 / 231.0.
  for (int i = 0; i < 4 * 190; ++i) {
    ASSERT_THAT(store->Append(*energy, clock_.WallNow(), counter), IsOk());
    ASSERT_THAT(
        store->Append(*volts, clock_.WallNow(), i % 2 == 0 ? 230.0 : 231.0),
        IsOk());
    counter += 0.005;
    clock_.Advance(absl::Seconds(15));
    if (i % 4 == 3) {
      ASSERT_THAT(store->Flush(), IsOk());
    }
  }
  ASSERT_THAT(store->Consolidate(), IsOk());  // at 03:10: hours 0..2 close

  auto minutes =
      store->Read(*energy, Tier::kMinute, start, start + absl::Hours(4));
  ASSERT_THAT(minutes, IsOk());
  ASSERT_THAT(*minutes, SizeIs(190));
  EXPECT_EQ((*minutes)[0].flags, static_cast<uint32_t>(kFlagFirst));
  EXPECT_NEAR((*minutes)[0].delta, 0.015, 1e-9);
  EXPECT_NEAR((*minutes)[1].delta, 0.020, 1e-9);
  EXPECT_NEAR((*minutes)[1].counter, 1000.035, 1e-9);
  EXPECT_EQ((*minutes)[1].start, start + absl::Minutes(1));
  EXPECT_EQ((*minutes)[1].end, start + absl::Minutes(2));

  auto hours =
      store->Totals(*energy, Tier::kHour, start, start + absl::Hours(4));
  ASSERT_THAT(hours, IsOk());
  ASSERT_THAT(*hours, SizeIs(4));  // 3 consolidated + the live one
  EXPECT_NEAR((*hours)[0].delta, 1.195, 1e-9);
  EXPECT_NEAR((*hours)[1].delta, 1.200, 1e-9);
  EXPECT_NEAR((*hours)[3].delta, 0.200, 1e-9);  // 03:00-03:10, live

  // The local day (Paris, UTC+1) started at 2026-01-14T23:00Z.
  auto days = store->Totals(*energy, Tier::kDay, start - absl::Hours(1),
                            start + absl::Hours(23));
  ASSERT_THAT(days, IsOk());
  ASSERT_THAT(*days, SizeIs(1));
  EXPECT_EQ((*days)[0].start, start - absl::Hours(1));
  EXPECT_NEAR((*days)[0].delta, 0.005 * (4 * 190 - 1), 1e-9);
  auto all = store->Totals(*energy, Tier::kDay, absl::InfinitePast(),
                           absl::InfiniteFuture());
  ASSERT_THAT(all, IsOk());
  EXPECT_THAT(*all, SizeIs(1));
  auto years =
      store->Totals(*energy, Tier::kYear, Utc(2025, 1, 1), Utc(2027, 1, 1));
  ASSERT_THAT(years, IsOk());
  ASSERT_THAT(*years, SizeIs(1));
  EXPECT_NEAR((*years)[0].delta, (*days)[0].delta, 1e-9);
  EXPECT_NEAR((*years)[0].counter, counter - 0.005, 1e-9);

  auto vmin = store->Read(*volts, Tier::kMinute, start, start + absl::Hours(1));
  ASSERT_THAT(vmin, IsOk());
  ASSERT_THAT(*vmin, SizeIs(60));
  EXPECT_NEAR((*vmin)[5].avg, 230.5, 1e-9);
  EXPECT_NEAR((*vmin)[5].min, 230.0, 1e-9);
  EXPECT_NEAR((*vmin)[5].max, 231.0, 1e-9);
  EXPECT_EQ((*vmin)[5].samples, 4);
  auto vday = store->Read(*volts, Tier::kMonth, start, start + absl::Hours(1));
  ASSERT_THAT(vday, IsOk());
  ASSERT_THAT(*vday, SizeIs(1));
  EXPECT_EQ((*vday)[0].samples, 4 * 190);
  EXPECT_NEAR((*vday)[0].avg, 230.5, 1e-9);
}

// Europe/Paris: 2026-03-29 has 23 hours, 2026-10-25 has 25.
void CheckDstDay(Store& store, SeriesId id, absl::CivilDay day,
                 absl::TimeZone tz, int hours) {
  const absl::Time from = absl::FromCivil(day, tz);
  const absl::Time to = absl::FromCivil(day + 1, tz);
  ASSERT_EQ(to - from, absl::Hours(hours));
  auto days = store.Totals(id, Tier::kDay, from, to);
  ASSERT_THAT(days, IsOk());
  ASSERT_THAT(*days, SizeIs(1));
  EXPECT_EQ((*days)[0].start, from);
  EXPECT_EQ((*days)[0].end, to);
  EXPECT_NEAR((*days)[0].delta, 0.001 * 60 * hours, 1e-9);  // 1 Wh a minute
  auto hourly = store.Totals(id, Tier::kHour, from, to);
  ASSERT_THAT(hourly, IsOk());
  ASSERT_THAT(*hourly, SizeIs(hours));
  double sum = 0;
  for (const Point& p : *hourly) sum += p.delta;
  EXPECT_NEAR(sum, (*days)[0].delta, 1e-9);
}

TEST_F(StoreTest, DaylightSavingDaysOf23And25HoursSumCorrectly) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto id = store->RegisterSeries(Energy());
  ASSERT_THAT(id, IsOk());
  double counter = 500;
  for (absl::CivilDay day :
       {absl::CivilDay(2026, 3, 29), absl::CivilDay(2026, 10, 25)}) {
    // From 2 h before the local day to 2 h after it, one sample a minute.
    clock_.SetWallTime(absl::FromCivil(day, tz_) - absl::Hours(2));
    const absl::Time end = absl::FromCivil(day + 1, tz_) + absl::Hours(2);
    while (clock_.WallNow() < end) {
      Feed(*store, *id, counter, absl::Minutes(1));
      counter += 0.001;
    }
    ASSERT_THAT(store->Flush(), IsOk());
  }
  CheckDstDay(*store, *id, absl::CivilDay(2026, 3, 29), tz_, 23);
  CheckDstDay(*store, *id, absl::CivilDay(2026, 10, 25), tz_, 25);
  // Months follow local time too: March's total is what was fed in March
  // (local), i.e. 2 h before 29 March .. end of 30 March 02:00.
  auto months = store->Totals(*id, Tier::kMonth,
                              absl::FromCivil(absl::CivilMonth(2026, 3), tz_),
                              absl::FromCivil(absl::CivilMonth(2026, 11), tz_));
  ASSERT_THAT(months, IsOk());
  ASSERT_THAT(*months, SizeIs(2));
  EXPECT_EQ((*months)[0].start, Utc(2026, 2, 28, 23));  // 1 March, local
  EXPECT_EQ((*months)[1].start, Utc(2026, 9, 30, 22));  // 1 October, local
  // Fed minutes after the first sample: 27 h in March, 29 h in October (the
  // first sample of a series and of the October run (a 7-month gap) count 0
  // and the gap's consumption respectively).
  EXPECT_NEAR((*months)[0].delta, 0.001 * (27 * 60 - 1), 1e-9);
  EXPECT_NEAR((*months)[1].delta, 0.001 * (29 * 60), 1e-9);
}

TEST_F(StoreTest, CounterResetStartsNewSegmentWithoutSpike) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto id = store->RegisterSeries(Energy());
  ASSERT_THAT(id, IsOk());
  const absl::Time start = clock_.WallNow();
  for (int i = 0; i < 30; ++i)
    Feed(*store, *id, 2000 + 0.01 * i, absl::Minutes(1));
  // Meter reset: counter back to 0.
  for (int i = 0; i < 30; ++i) Feed(*store, *id, 0.01 * i, absl::Minutes(1));
  clock_.Advance(absl::Hours(1));
  ASSERT_THAT(store->Consolidate(), IsOk());
  auto minutes = store->Read(*id, Tier::kMinute, start, start + absl::Hours(1));
  ASSERT_THAT(minutes, IsOk());
  ASSERT_THAT(*minutes, SizeIs(60));
  for (const Point& p : *minutes) EXPECT_GE(p.delta, 0);
  EXPECT_EQ((*minutes)[30].flags, static_cast<uint32_t>(kFlagReset));
  EXPECT_EQ((*minutes)[30].delta, 0);
  EXPECT_NEAR((*minutes)[30].counter, 0, 1e-9);
  auto hour = store->Totals(*id, Tier::kHour, start, start + absl::Hours(1));
  ASSERT_THAT(hour, IsOk());
  ASSERT_THAT(*hour, SizeIs(1));
  EXPECT_NEAR((*hour)[0].delta, 0.01 * 29 * 2, 1e-9);
  EXPECT_EQ((*hour)[0].flags & kFlagReset, static_cast<uint32_t>(kFlagReset));
}

TEST_F(StoreTest, CounterWrapOfU32RegisterCountsTrueConsumption) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  SeriesSpec spec = Energy();
  spec.scale = 1;  // Wh register
  spec.unit = "Wh";
  auto id = store->RegisterSeries(spec);
  ASSERT_THAT(id, IsOk());
  const absl::Time start = clock_.WallNow();
  const double top = 4294967296.0;
  for (double v : {top - 30, top - 20, top - 10, 0.0, 10.0, 20.0}) {
    Feed(*store, *id, v, absl::Minutes(1));
  }
  clock_.Advance(absl::Hours(1));
  ASSERT_THAT(store->Consolidate(), IsOk());
  auto minutes = store->Read(*id, Tier::kMinute, start, start + absl::Hours(1));
  ASSERT_THAT(minutes, IsOk());
  ASSERT_THAT(*minutes, SizeIs(6));
  EXPECT_EQ((*minutes)[3].flags, static_cast<uint32_t>(kFlagWrap));
  EXPECT_EQ((*minutes)[3].delta, 10);
  auto hour = store->Totals(*id, Tier::kHour, start, start + absl::Hours(1));
  ASSERT_THAT(hour, IsOk());
  EXPECT_EQ((*hour)[0].delta, 50);
}

TEST_F(StoreTest, ImplausibleJumpIsANewSegmentNotConsumption) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  SeriesSpec spec = Energy();
  spec.max_rate_per_hour = 100;  // kWh per hour: far above this site's load
  auto id = store->RegisterSeries(spec);
  ASSERT_THAT(id, IsOk());
  const absl::Time start = clock_.WallNow();
  for (double v : {10.0, 10.5, 95000.0, 95000.5})
    Feed(*store, *id, v, absl::Minutes(1));
  ASSERT_THAT(store->Flush(), IsOk());
  auto hour = store->Totals(*id, Tier::kHour, start, start + absl::Hours(1));
  ASSERT_THAT(hour, IsOk());
  ASSERT_THAT(*hour, SizeIs(1));
  EXPECT_NEAR((*hour)[0].delta, 1.0, 1e-9);
}

TEST_F(StoreTest, GapIsRecordedAndItsConsumptionAttributedToOneInterval) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto id = store->RegisterSeries(Energy());
  ASSERT_THAT(id, IsOk());
  const absl::Time start = clock_.WallNow();
  double counter = 100;
  for (int i = 0; i < 10; ++i) {
    Feed(*store, *id, counter, absl::Minutes(1));
    counter += 0.001;
  }
  const absl::Time last_seen = clock_.WallNow() - absl::Minutes(1);
  // Offline for 3 hours; 180 Wh consumed meanwhile.
  clock_.Advance(absl::Hours(3));
  ASSERT_THAT(store->Consolidate(), IsOk());
  counter += 0.179;
  const absl::Time back = clock_.WallNow();
  for (int i = 0; i < 10; ++i) {
    Feed(*store, *id, counter, absl::Minutes(1));
    counter += 0.001;
  }
  clock_.Advance(absl::Hours(1));
  ASSERT_THAT(store->Consolidate(), IsOk());
  auto minutes = store->Read(*id, Tier::kMinute, start, start + absl::Hours(5));
  ASSERT_THAT(minutes, IsOk());
  ASSERT_THAT(*minutes, SizeIs(20));  // nothing invented for the gap
  const Point& p = (*minutes)[10];
  EXPECT_EQ(p.start, back);
  EXPECT_EQ(p.flags, static_cast<uint32_t>(kFlagGap));
  EXPECT_EQ(p.gap_start, last_seen);
  EXPECT_NEAR(p.delta, 0.180, 1e-9);
  auto day = store->Totals(*id, Tier::kDay, start, start + absl::Hours(5));
  ASSERT_THAT(day, IsOk());
  ASSERT_THAT(*day, SizeIs(1));
  EXPECT_NEAR((*day)[0].delta, 0.009 + 0.180 + 0.009, 1e-9);
  EXPECT_NE((*day)[0].flags & kFlagGap, 0u);
}

TEST_F(StoreTest, BadInputGetsAClearStatusAndChangesNothing) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto id = store->RegisterSeries(Voltage());
  ASSERT_THAT(id, IsOk());
  const absl::Time t = clock_.WallNow();
  EXPECT_THAT(
      store->Append(*id, t, std::nan("")),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("finite")));
  EXPECT_THAT(store->Append(*id, t, INFINITY),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      store->Append(*id, t + absl::Hours(2), 230),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("future")));
  EXPECT_THAT(store->Append(*id, absl::FromUnixSeconds(-10), 230),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("range")));
  EXPECT_THAT(store->AppendRaw(*id, t, int64_t{1} << 60),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("range")));
  EXPECT_THAT(store->Append(*id, t, 1e300),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("range")));
  ASSERT_THAT(store->AppendRaw(*id, t, 2300), IsOk());
  EXPECT_THAT(
      store->Append(*id, t, 231),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not after")));
  EXPECT_THAT(store->Append(*id, t - absl::Seconds(1), 231),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->Append(*id + 100, t + absl::Seconds(1), 231),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(store->Append("meter-1", "nope", t + absl::Seconds(1), 1),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("nope")));
  EXPECT_EQ(store->pending_samples(), 1);
  SeriesSpec bad = Voltage();
  bad.kind = SeriesKind::kUnspecified;
  EXPECT_THAT(store->RegisterSeries(bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
  bad = Voltage();
  bad.scale = 0;
  EXPECT_THAT(store->RegisterSeries(bad),
              StatusIs(absl::StatusCode::kInvalidArgument));
  bad = Voltage();
  bad.kind = SeriesKind::kCounter;
  EXPECT_THAT(store->RegisterSeries(bad),
              StatusIs(absl::StatusCode::kAlreadyExists));
  EXPECT_THAT(store->RegisterSeries(Voltage()), IsOk());
  // A sample for an hour already consolidated is refused, not merged.
  clock_.Advance(absl::Hours(2));
  ASSERT_THAT(store->Consolidate(), IsOk());
  EXPECT_THAT(store->Append(*id, t + absl::Minutes(30), 1),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("consolidated")));
  // A series registered later may still back-fill its own past.
  auto other = store->RegisterSeries(Voltage("meter-2"));
  ASSERT_THAT(other, IsOk());
  EXPECT_THAT(store->Append(*other, t + absl::Minutes(30), 1), IsOk());
  EXPECT_THAT(store->Read(*id, Tier::kMinute, t, t - absl::Seconds(1)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(StoreTest, BadOptionsAreRefused) {
  StoreOptions options;
  EXPECT_THAT(Store::Open(options, &clock_, tz_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("path")));
  options.path = path_;
  EXPECT_THAT(Store::Open(options, nullptr, tz_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  StoreOptions bad = options;
  bad.budget_bytes = 0;
  EXPECT_THAT(Store::Open(bad, &clock_, tz_),
              StatusIs(absl::StatusCode::kInvalidArgument));
  bad = options;
  bad.budget_share[0] = 0.9;
  EXPECT_THAT(Store::Open(bad, &clock_, tz_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("sums")));
  bad = options;
  bad.counter_retention.hour = absl::ZeroDuration();
  EXPECT_THAT(Store::Open(bad, &clock_, tz_),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hour")));
  options.path = "/nonexistent-dir/history.db";
  EXPECT_THAT(Store::Open(options, &clock_, tz_),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

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
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  EXPECT_THAT(store->startup_problem(),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("moved to")));
  ASSERT_FALSE(store->moved_aside_path().empty());
  EXPECT_EQ(ReadFile(store->moved_aside_path()), garbage);
  auto id = store->RegisterSeries(Energy());
  ASSERT_THAT(id, IsOk());
  EXPECT_THAT(store->Append(*id, clock_.WallNow(), 1), IsOk());
  EXPECT_THAT(store->Flush(), IsOk());
  EXPECT_THAT(store->CheckIntegrity(), IsOk());
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
  const absl::Time start = clock_.WallNow();
  for (int i = 0; i < 130; ++i) Feed(*store, *id, 0.001 * i, absl::Minutes(1));
  Scribble(path_, "UPDATE tier_hour SET data = x'01ff'");
  EXPECT_THAT(store->Totals(*id, Tier::kHour, start, clock_.WallNow()),
              StatusIs(absl::StatusCode::kDataLoss));
  for (int i = 130; i < 200; ++i)
    Feed(*store, *id, 0.001 * i, absl::Minutes(1));
  ASSERT_THAT(store->Consolidate(), IsOk());
  auto hours = store->Totals(*id, Tier::kHour, start, clock_.WallNow());
  ASSERT_THAT(hours, IsOk());
  EXPECT_FALSE(hours->empty());
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
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto volts = store->RegisterSeries(Voltage());
  auto energy = store->RegisterSeries(Energy());
  ASSERT_THAT(volts, IsOk());
  ASSERT_THAT(energy, IsOk());
  const absl::Time start = clock_.WallNow();  // 2026-01-15T00:00Z
  // 2.5 days of minutes, with an hour of silence on the first day.
  const int minutes = 60 * 60;
  for (int i = 0; i < minutes; ++i) {
    if (i >= 600 && i < 660) {
      clock_.Advance(absl::Minutes(1));
      continue;
    }
    ASSERT_THAT(store->Append(*energy, clock_.WallNow(), 1000 + 0.017 * i),
                IsOk());
    Feed(*store, *volts, 230 + 0.1 * (i % 7), absl::Minutes(1));
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
    auto points = store->Read(*volts, Tier::kMinute, start,
                              start + absl::Minutes(minutes));
    ASSERT_THAT(points, IsOk());
    ASSERT_THAT(*points, SizeIs(minutes - 60));
    for (const Point& p : *points) {
      const int i = static_cast<int>((p.start - start) / absl::Minutes(1));
      EXPECT_NEAR(p.avg, 230 + 0.1 * (i % 7), 1e-9) << i;
      EXPECT_EQ(p.samples, 1);
    }
    auto counter = store->Read(*energy, Tier::kMinute, start + absl::Hours(11),
                               start + absl::Hours(11) + absl::Minutes(2));
    ASSERT_THAT(counter, IsOk());
    ASSERT_THAT(*counter, SizeIs(2));
    EXPECT_EQ((*counter)[0].flags, static_cast<uint32_t>(kFlagGap));
    EXPECT_NEAR((*counter)[0].delta, 0.017 * 61, 1e-9);
    auto days = store->Totals(*energy, Tier::kDay, start, clock_.WallNow());
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

TEST_F(StoreTest, ADayWithACorruptHourBlockStaysUnsealedAndReadsReportIt) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto volts = store->RegisterSeries(Voltage());
  auto energy = store->RegisterSeries(Energy());
  ASSERT_THAT(volts, IsOk());
  ASSERT_THAT(energy, IsOk());
  const absl::Time start = clock_.WallNow();  // 2026-01-15T00:00Z
  auto feed = [&](int from, int to) {
    for (int i = from; i < to; ++i) {
      ASSERT_THAT(store->Append(*energy, clock_.WallNow(), 1000 + 0.017 * i),
                  IsOk());
      Feed(*store, *volts, 230 + 0.1 * (i % 7), absl::Minutes(1));
    }
  };
  ASSERT_NO_FATAL_FAILURE(feed(0, 20 * 60));
  // The 10:00 minute block of the voltage, damaged before its day is over.
  Scribble(path_, absl::StrCat("UPDATE tier_minute SET data = x'01ff' WHERE "
                               "series_id = ",
                               *volts, " AND start = ",
                               absl::ToUnixSeconds(start + absl::Hours(10))));
  ASSERT_NO_FATAL_FAILURE(feed(20 * 60, 26 * 60));
  ASSERT_THAT(store->Consolidate(), IsOk());
  // The energy's day is sealed; the voltage's stays in hour blocks, so that
  // reads of that hour keep reporting the damage instead of silently
  // missing it (a day is either sealed or in hours, never both).
  EXPECT_EQ(QueryInt(path_, "SELECT COUNT(*) FROM minute_sealed"), 1);
  EXPECT_EQ(QueryInt(path_, absl::StrCat("SELECT COUNT(*) FROM tier_minute "
                                         "WHERE series_id = ",
                                         *volts, " AND start < ",
                                         absl::ToUnixSeconds(start) + 86400)),
            24);
  EXPECT_THAT(
      store->Read(*volts, Tier::kMinute, start, start + absl::Hours(24)),
      StatusIs(absl::StatusCode::kDataLoss));
  auto hours =
      store->Read(*volts, Tier::kMinute, start, start + absl::Hours(10));
  ASSERT_THAT(hours, IsOk());
  EXPECT_THAT(*hours, SizeIs(600));
  auto energy_day =
      store->Read(*energy, Tier::kMinute, start, start + absl::Hours(24));
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
  // Version 1 wrote the same plain blocks and staging rows.
  Scribble(path_, "UPDATE meta SET value = '1' WHERE key = 'schema'");
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
  EXPECT_EQ(QueryInt(path_, "SELECT value FROM meta WHERE key = 'schema'"), 3);
  // A file from a newer version is refused, and left alone.
  Scribble(path_, "UPDATE meta SET value = '4' WHERE key = 'schema'");
  StoreOptions options = options_;
  options.path = path_;
  EXPECT_THAT(Store::Open(options, &clock_, tz_),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       HasSubstr("schema version 4 is not supported")));
  EXPECT_EQ(QueryInt(path_, "SELECT value FROM meta WHERE key = 'schema'"), 4);
}

TEST_F(StoreTest, ChartPicksTheResolutionThatFits) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto id = store->RegisterSeries(Voltage());
  ASSERT_THAT(id, IsOk());
  const absl::Time start = clock_.WallNow();
  for (int i = 0; i < 2 * 24 * 60; ++i)
    Feed(*store, *id, 230 + (i % 7), absl::Minutes(1));
  ASSERT_THAT(store->Flush(), IsOk());
  const absl::Time now = clock_.WallNow();
  auto chart = store->QueryChart(*id, now - absl::Hours(12), now);
  ASSERT_THAT(chart, IsOk());
  EXPECT_EQ(chart->tier, Tier::kMinute);
  EXPECT_EQ(chart->intervals_per_point, 1);
  EXPECT_THAT(chart->points, SizeIs(720));
  // 24 h: 1440 minutes do not fit in 1000 points; 2-minute points do.
  chart = store->QueryChart(*id, now - absl::Hours(24), now);
  ASSERT_THAT(chart, IsOk());
  EXPECT_EQ(chart->tier, Tier::kMinute);
  EXPECT_EQ(chart->intervals_per_point, 2);
  ASSERT_THAT(chart->points, SizeIs(720));
  const Point& p = chart->points[0];
  EXPECT_EQ(p.start, now - absl::Hours(24));
  EXPECT_EQ(p.end - p.start, absl::Minutes(2));
  EXPECT_EQ(p.samples, 2);
  EXPECT_NEAR(p.avg, (230 + (1440 % 7) + 230 + (1441 % 7)) / 2.0, 1e-9);
  chart = store->QueryChart(*id, start, now);  // 2 days: 5-minute points
  ASSERT_THAT(chart, IsOk());
  EXPECT_EQ(chart->tier, Tier::kMinute);
  EXPECT_EQ(chart->intervals_per_point, 5);
  EXPECT_THAT(chart->points, SizeIs(576));
  chart = store->QueryChart(*id, start, now, 48);
  ASSERT_THAT(chart, IsOk());
  EXPECT_EQ(chart->tier, Tier::kHour);
  EXPECT_THAT(chart->points, SizeIs(48));
  chart = store->QueryChart(*id, now - absl::Hours(24 * 365), now);
  ASSERT_THAT(chart, IsOk());
  EXPECT_EQ(chart->tier, Tier::kDay);
  EXPECT_LE(chart->points.size(), 1000u);
  EXPECT_THAT(store->Totals(*id, Tier::kDay, start, now),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(StoreTest, BudgetSetsHorizonsAndPruningKeepsToThem) {
  options_.budget_bytes = 256 << 10;
  options_.counter_retention.minute = absl::Hours(24 * 2);
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto energy = store->RegisterSeries(Energy());
  auto volts = store->RegisterSeries(Voltage());
  ASSERT_THAT(energy, IsOk());
  ASSERT_THAT(volts, IsOk());
  auto horizons = store->Horizons();
  ASSERT_THAT(horizons, IsOk());
  ASSERT_THAT(*horizons, SizeIs(2));
  absl::Duration volt_minutes;
  for (const SeriesHorizon& h : *horizons) {
    if (h.kind == SeriesKind::kCounter) {
      EXPECT_EQ(h.retention[0], absl::Hours(48));
      EXPECT_EQ(h.retention[2], absl::InfiniteDuration());
      EXPECT_EQ(h.Longest(), absl::InfiniteDuration());
    } else {
      volt_minutes = h.retention[0];
      // 50% of 256 KiB at 2.5 B per minute: about 36 days.
      EXPECT_GT(volt_minutes, absl::Hours(24 * 20));
      EXPECT_LT(volt_minutes, absl::Hours(24 * 40));
      EXPECT_GT(h.retention[1], volt_minutes);
      EXPECT_NE(h.Longest(), absl::InfiniteDuration());
    }
  }
  // More registered series share the same budget: shorter horizons.
  for (int d = 2; d <= 4; ++d) {
    ASSERT_THAT(store->RegisterSeries(Voltage(absl::StrCat("meter-", d))),
                IsOk());
  }
  horizons = store->Horizons();
  ASSERT_THAT(horizons, IsOk());
  for (const SeriesHorizon& h : *horizons) {
    if (h.kind != SeriesKind::kCounter) {
      EXPECT_LT(h.retention[0], volt_minutes / 3);
    }
  }

  // Three days of data: the counter's minute tier keeps two.
  const absl::Time start = clock_.WallNow();
  double counter = 0;
  for (int i = 0; i < 3 * 24 * 60; ++i) {
    ASSERT_THAT(store->Append(*energy, clock_.WallNow(), counter), IsOk());
    counter += 0.001;
    Feed(*store, *volts, 230, absl::Minutes(1));
  }
  ASSERT_THAT(store->Consolidate(/*force_prune=*/true), IsOk());
  horizons = store->Horizons();
  ASSERT_THAT(horizons, IsOk());
  for (const SeriesHorizon& h : *horizons) {
    if (h.id == *energy) {
      EXPECT_GE(h.oldest[0], clock_.WallNow() - absl::Hours(48 + 1));
      EXPECT_EQ(h.oldest[1], start);
    }
    if (h.id == *volts) {
      EXPECT_EQ(h.oldest[0], start);
    }
  }
}

TEST_F(StoreTest, BackgroundWorkFlushesAndConsolidates) {
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto id = store->RegisterSeries(Energy());
  ASSERT_THAT(id, IsOk());
  const absl::Time start = clock_.WallNow();
  for (int i = 0; i < 90; ++i) {
    ASSERT_THAT(store->Append(*id, clock_.WallNow(), 0.001 * i), IsOk());
    clock_.Advance(absl::Minutes(1));
  }
  clock_.Advance(absl::Hours(1));
  store->StartBackgroundWork(absl::Milliseconds(5));
  // Readiness by polling the store's own state, bounded.
  for (int i = 0; i < 2000 &&
                  store->pending_samples() + store->Stats()->staged_samples > 0;
       ++i) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(store->pending_samples(), 0);
  auto stats = store->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->staged_samples, 0);
  EXPECT_EQ(stats->records[0], 90);
  auto hours = store->Totals(*id, Tier::kHour, start, clock_.WallNow());
  ASSERT_THAT(hours, IsOk());
  EXPECT_THAT(*hours, SizeIs(2));
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
  EXPECT_GT(
      QueryInt(path_, "SELECT value FROM meta WHERE key = 'log_absorbed'"), 1);
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
