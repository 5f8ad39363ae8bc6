#include "sdk/storage/store.h"

#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/civil_time.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/storage/store_test_fixture.h"

namespace ews::storage {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

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
  for (int connections : {-1, kMaxReadConnections + 1}) {
    bad = options;
    bad.read_connections = connections;
    EXPECT_THAT(Store::Open(bad, &clock_, tz_),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("read_connections")));
  }
  options.path = "/nonexistent-dir/history.db";
  EXPECT_THAT(Store::Open(options, &clock_, tz_),
              StatusIs(absl::StatusCode::kFailedPrecondition));
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

// Every field of every point, for comparing answers.
std::string Describe(const std::vector<Point>& points) {
  std::string out;
  for (const Point& p : points) {
    absl::StrAppend(&out, absl::ToUnixSeconds(p.start), "-",
                    absl::ToUnixSeconds(p.end), " ", p.counter, " ", p.delta,
                    " ", p.avg, " ", p.min, " ", p.max, " ", p.last, " ",
                    p.samples, " ", p.flags, "\n");
  }
  return out;
}

// Charts and reads from several threads at once on a pool of 3 read
// connections, while the writer goes on appending, flushing and
// consolidating: every answer over the closed period equals the one a single
// reader got before. Bounded: 4 threads x 40 queries.
TEST_F(StoreTest, ConcurrentQueriesOnThePoolAgreeWithASingleReader) {
  options_.read_connections = 3;
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto energy = store->RegisterSeries(Energy());
  auto voltage = store->RegisterSeries(Voltage());
  ASSERT_THAT(energy, IsOk());
  ASSERT_THAT(voltage, IsOk());
  auto feed = [&](int minutes) {
    for (int i = 0; i < minutes; ++i) {
      const absl::Time now = clock_.WallNow();
      const int64_t minute = absl::ToUnixSeconds(now) / 60;
      ASSERT_THAT(store->Append(*energy, now, 0.01 * minute), IsOk());
      ASSERT_THAT(store->Append(*voltage, now, 230 + minute % 7), IsOk());
      clock_.Advance(absl::Minutes(1));
      if (absl::ToUnixSeconds(clock_.WallNow()) % 3600 == 0) {
        ASSERT_THAT(store->Consolidate(), IsOk());
      }
    }
    ASSERT_THAT(store->Flush(), IsOk());
  };
  // The period read: six hours, followed by half an hour of samples already
  // in when the reference is taken (so nothing appended later changes it).
  const absl::Time start = clock_.WallNow();
  const absl::Time end = start + absl::Hours(6);
  feed(6 * 60 + 30);
  auto chart_energy = store->QueryChart(*energy, start, end, 100);
  auto chart_voltage = store->QueryChart(*voltage, start, end);
  auto hours = store->Read(*energy, Tier::kHour, start, end);
  ASSERT_THAT(chart_energy, IsOk());
  ASSERT_THAT(chart_voltage, IsOk());
  ASSERT_THAT(hours, IsOk());
  ASSERT_THAT(chart_voltage->points, SizeIs(6 * 60));
  ASSERT_THAT(*hours, SizeIs(6));
  const std::string want[3] = {Describe(chart_energy->points),
                               Describe(chart_voltage->points),
                               Describe(*hours)};
  auto stats = store->Stats();
  ASSERT_THAT(stats, IsOk());
  EXPECT_EQ(stats->read_connections, 3);

  absl::Mutex mu;
  int wrong = 0;
  int done = 0;
  std::vector<std::thread> readers;
  for (int t = 0; t < 4; ++t) {
    readers.emplace_back([&, t] {
      for (int q = 0; q < 40; ++q) {
        const int which = (t + q) % 3;
        absl::StatusOr<std::vector<Point>> got;
        if (which == 2) {
          got = store->Read(*energy, Tier::kHour, start, end);
        } else {
          absl::StatusOr<Chart> chart =
              which == 0 ? store->QueryChart(*energy, start, end, 100)
                         : store->QueryChart(*voltage, start, end);
          got = chart.ok() ? absl::StatusOr<std::vector<Point>>(chart->points)
                           : chart.status();
        }
        absl::MutexLock lock(&mu);
        if (!got.ok() || Describe(*got) != want[which]) {
          ++wrong;
          ADD_FAILURE() << "query " << which << ": "
                        << (got.ok() ? Describe(*got)
                                     : got.status().ToString());
        }
        ++done;
      }
    });
  }
  feed(90);  // the writer carries on meanwhile (consolidating two hours)
  for (std::thread& r : readers) r.join();
  EXPECT_EQ(done, 4 * 40);
  EXPECT_EQ(wrong, 0);
  EXPECT_THAT(store->CheckIntegrity(), IsOk());
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

TEST_F(StoreTest, SetRetentionAppliesAtOnceAndAtTheNextPrune) {
  options_.counter_retention.minute = absl::Hours(48);
  auto store = OpenStore();
  ASSERT_NE(store, nullptr);
  auto energy = store->RegisterSeries(Energy());
  auto volts = store->RegisterSeries(Voltage());
  ASSERT_THAT(energy, IsOk());
  ASSERT_THAT(volts, IsOk());
  double counter = 0;
  for (int i = 0; i < 3 * 24 * 60; ++i) {
    ASSERT_THAT(store->Append(*energy, clock_.WallNow(), counter), IsOk());
    counter += 0.001;
    Feed(*store, *volts, 230, absl::Minutes(1));
  }
  ASSERT_THAT(store->Consolidate(/*force_prune=*/true), IsOk());
  auto before = store->Horizons();
  ASSERT_THAT(before, IsOk());
  absl::Duration volt_minutes;
  for (const SeriesHorizon& h : *before) {
    if (h.id == *volts) volt_minutes = h.retention[0];
  }

  // Bad values change nothing.
  TierRetention shorter = options_.counter_retention;
  shorter.minute = absl::ZeroDuration();
  EXPECT_THAT(store->SetRetention(shorter, options_.budget_bytes),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(store->SetRetention(options_.counter_retention, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));

  // One day of minutes for counters, a quarter of the budget for the rest:
  // the horizons say so at once ...
  shorter.minute = absl::Hours(24);
  ASSERT_THAT(store->SetRetention(shorter, options_.budget_bytes / 4), IsOk());
  auto after = store->Horizons();
  ASSERT_THAT(after, IsOk());
  for (const SeriesHorizon& h : *after) {
    if (h.id == *energy) {
      EXPECT_EQ(h.retention[0], absl::Hours(24));
      EXPECT_LT(h.oldest[0], clock_.WallNow() - absl::Hours(47));
    }
    if (h.id == *volts) EXPECT_LT(h.retention[0], volt_minutes / 3);
  }
  // ... and the next consolidation prunes to them, within the hour of the
  // last prune (not forced); minutes go by whole days (blocks).
  absl::Time oldest_before;
  for (const SeriesHorizon& h : *after) {
    if (h.id == *energy) oldest_before = h.oldest[0];
  }
  clock_.Advance(absl::Minutes(5));
  ASSERT_THAT(store->Consolidate(), IsOk());
  after = store->Horizons();
  ASSERT_THAT(after, IsOk());
  for (const SeriesHorizon& h : *after) {
    if (h.id == *energy) {
      EXPECT_EQ(h.oldest[0], oldest_before + absl::Hours(24));
      EXPECT_GE(h.oldest[0], clock_.WallNow() - absl::Hours(48));
    }
  }
}

}  // namespace
}  // namespace ews::storage
