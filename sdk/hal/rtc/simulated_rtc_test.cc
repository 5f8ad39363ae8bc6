#include "sdk/hal/rtc/simulated_rtc.h"

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/rtc/time_keeper.h"

namespace ews::hal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

const absl::Time kT0 = absl::FromUnixSeconds(1790000000);

std::string StatePath(const std::string& name) {
  return std::string(std::getenv("TEST_TMPDIR")) + "/" + name;
}

TEST(SimulatedRtcTest, KeepsTimeAcrossAPowerOffWithDrift) {
  SimulatedClock world(kT0);
  const SimulatedRtc::Options options{StatePath("drift"), /*drift_ppm=*/20};
  {
    auto rtc = SimulatedRtc::PowerOn(&world, options);
    ASSERT_THAT(rtc, IsOk());
    EXPECT_THAT((*rtc)->Read(),
                StatusIs(absl::StatusCode::kFailedPrecondition));  // new RTC
    ASSERT_THAT((*rtc)->Set(kT0), IsOk());
    world.Advance(absl::Hours(1));
  }                                         // the device powers off
  world.Advance(absl::Hours(24 * 30 - 1));  // a month on the shelf
  auto rtc = SimulatedRtc::PowerOn(&world, options);
  ASSERT_THAT(rtc, IsOk());
  // 30 days at +20 ppm gain 51.84 s; the RTC holds whole seconds.
  EXPECT_EQ(*(*rtc)->Read(), kT0 + absl::Hours(24 * 30) + absl::Seconds(51));
  EXPECT_EQ(*(*rtc)->Battery(), RtcBattery::kOk);
}

TEST(SimulatedRtcTest, DeadBatteryLosesTheTimeAtTheNextPowerOff) {
  SimulatedClock world(kT0);
  const SimulatedRtc::Options options{StatePath("dead"), 0};
  {
    auto rtc = SimulatedRtc::PowerOn(&world, options);
    ASSERT_THAT(rtc, IsOk());
    ASSERT_THAT((*rtc)->Set(kT0), IsOk());
    ASSERT_THAT((*rtc)->SetBatteryDead(true), IsOk());
    world.Advance(absl::Minutes(1));
    // Powered: still keeps time, but flags the battery.
    EXPECT_EQ(*(*rtc)->Read(), kT0 + absl::Minutes(1));
    EXPECT_EQ(*(*rtc)->Battery(), RtcBattery::kLow);
  }
  world.Advance(absl::Hours(1));
  auto rtc = SimulatedRtc::PowerOn(&world, options);
  ASSERT_THAT(rtc, IsOk());
  EXPECT_THAT((*rtc)->Read(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                       ::testing::HasSubstr("set the time")));

  // The application detects it at start and reports; NTP sets the time.
  SimulatedClock system(absl::UnixEpoch());
  SimulatedWallClockSetter wall(&system);
  TimeKeeper keeper(rtc->get(), &wall);
  EXPECT_THAT(keeper.Start(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_FALSE(keeper.time_valid());
  ASSERT_THAT(keeper.SetTime(world.WallNow(), TimeKeeper::Source::kNtp),
              IsOk());
  EXPECT_TRUE(keeper.time_valid());
  EXPECT_EQ(*(*rtc)->Read(), world.WallNow());

  // New battery: the next power cycle keeps the time.
  ASSERT_THAT((*rtc)->SetBatteryDead(false), IsOk());
  rtc->reset();
  world.Advance(absl::Hours(2));
  auto again = SimulatedRtc::PowerOn(&world, options);
  ASSERT_THAT(again, IsOk());
  EXPECT_EQ(*(*again)->Read(), world.WallNow());
}

TEST(SimulatedRtcTest, TimeKeeperTakesTheSystemTimeFromTheRtcAtStart) {
  SimulatedClock world(kT0);
  const SimulatedRtc::Options options{StatePath("start"), 0};
  {
    auto rtc = SimulatedRtc::PowerOn(&world, options);
    ASSERT_THAT(rtc, IsOk());
    ASSERT_THAT((*rtc)->Set(kT0), IsOk());
  }
  world.Advance(absl::Hours(10));
  auto rtc = SimulatedRtc::PowerOn(&world, options);
  ASSERT_THAT(rtc, IsOk());
  SimulatedClock system(absl::UnixEpoch());
  SimulatedWallClockSetter wall(&system);
  TimeKeeper keeper(rtc->get(), &wall);
  ASSERT_THAT(keeper.Start(), IsOk());
  EXPECT_EQ(system.WallNow(), kT0 + absl::Hours(10));
}

TEST(SimulatedRtcTest, CorruptStateStartsInvalidAndBadDriftIsRejected) {
  SimulatedClock world(kT0);
  const std::string path = StatePath("corrupt");
  std::ofstream(path) << "ews-simulated-rtc 1\nnot numbers\n";
  auto rtc = SimulatedRtc::PowerOn(&world, {path, 0});
  ASSERT_THAT(rtc, IsOk());
  EXPECT_THAT((*rtc)->Read(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(SimulatedRtc::PowerOn(&world, {path, 5000}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SimulatedRtcTest, InMemoryRtcAndLowBattery) {
  SimulatedClock world(kT0);
  auto rtc = SimulatedRtc::PowerOn(&world, {});
  ASSERT_THAT(rtc, IsOk());
  ASSERT_THAT((*rtc)->Set(kT0), IsOk());
  ASSERT_THAT((*rtc)->SetBatteryLow(true), IsOk());
  world.Advance(absl::Seconds(90));
  EXPECT_EQ(*(*rtc)->Read(), kT0 + absl::Seconds(90));
  EXPECT_EQ(*(*rtc)->Battery(), RtcBattery::kLow);
}

}  // namespace
}  // namespace ews::hal
