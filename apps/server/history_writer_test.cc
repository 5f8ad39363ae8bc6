#include "apps/server/history_writer.h"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"

namespace ews::server {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

class HistoryWriterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    storage::StoreOptions options;
    options.path =
        std::string(std::getenv("TEST_TMPDIR")) + "/" +
        ::testing::UnitTest::GetInstance()->current_test_info()->name() + ".db";
    auto store = storage::Store::Open(options, &clock_, absl::UTCTimeZone());
    ASSERT_THAT(store, IsOk());
    store_ = *std::move(store);
  }

  storage::SeriesSpec Energy(double scale) {
    storage::SeriesSpec spec;
    spec.device_id = "meter-1";
    spec.quantity_id = "ea_import";
    spec.kind = storage::SeriesKind::kCounter;
    spec.unit = "Wh";
    spec.scale = scale;
    spec.counter_bits = 32;
    return spec;
  }

  double Last(const storage::SeriesSpec& spec) {
    auto id = store_->FindSeries(spec.device_id, spec.quantity_id);
    EXPECT_THAT(id, IsOk());
    auto points =
        store_->Read(*id, storage::Tier::kMinute, absl::FromUnixSeconds(0),
                     clock_.WallNow() + absl::Hours(1));
    EXPECT_THAT(points, IsOk());
    EXPECT_FALSE(points->empty());
    return points->empty() ? -1 : points->back().counter;
  }

  SimulatedClock clock_;
  std::unique_ptr<storage::Store> store_;
};

TEST_F(HistoryWriterTest, RegistersOnFirstUseAndKeepsTheExactInteger) {
  const storage::SeriesSpec spec = Energy(10);  // 10 Wh per count
  ASSERT_THAT(AppendRawToHistory(*store_, spec, clock_.WallNow(), 123456789),
              IsOk());
  ASSERT_THAT(store_->Flush(), IsOk());
  EXPECT_DOUBLE_EQ(Last(spec), 1234567890.0);
}

TEST_F(HistoryWriterTest, ACtRatioChangeKeepsTheSeriesUnits) {
  ASSERT_THAT(AppendRawToHistory(*store_, Energy(10), clock_.WallNow(), 1000),
              IsOk());  // 10 kWh
  clock_.Advance(absl::Minutes(1));
  // The meter now counts in 1 Wh: 10,500 counts are 10.5 kWh, not 105 kWh.
  ASSERT_THAT(AppendRawToHistory(*store_, Energy(1), clock_.WallNow(), 10500),
              IsOk());
  ASSERT_THAT(store_->Flush(), IsOk());
  EXPECT_DOUBLE_EQ(Last(Energy(10)), 10500.0);
}

TEST_F(HistoryWriterTest, AnotherKindUnderTheSameIdIsRefused) {
  ASSERT_THAT(AppendRawToHistory(*store_, Energy(10), clock_.WallNow(), 1),
              IsOk());
  storage::SeriesSpec power = Energy(10);
  power.kind = storage::SeriesKind::kInstantaneous;
  power.counter_bits = 0;
  EXPECT_THAT(AppendValueToHistory(*store_, power, clock_.WallNow(), 5),
              StatusIs(absl::StatusCode::kAlreadyExists));
}

}  // namespace
}  // namespace ews::server
