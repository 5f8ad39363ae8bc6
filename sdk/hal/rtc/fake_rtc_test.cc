#include "sdk/hal/rtc/fake_rtc.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/rtc/simulated_rtc.h"
#include "sdk/hal/rtc/time_keeper.h"

namespace ews::hal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;

const absl::Time kT0 = absl::FromUnixSeconds(1790000000);  // 2026-09-21

TEST(FakeRtcTest, RunsOnTheInjectedClockAndRecordsSets) {
  SimulatedClock clock;
  FakeRtc rtc(&clock, kT0);
  clock.Advance(absl::Milliseconds(2500));
  EXPECT_EQ(*rtc.Read(), kT0 + absl::Seconds(2));  // whole seconds
  ASSERT_THAT(rtc.Set(kT0 + absl::Hours(1) + absl::Milliseconds(700)), IsOk());
  EXPECT_THAT(rtc.sets(), ElementsAre(kT0 + absl::Hours(1)));
  EXPECT_EQ(*rtc.Battery(), RtcBattery::kOk);
}

TEST(FakeRtcTest, FaultsAndRangeChecks) {
  SimulatedClock clock;
  FakeRtc unset(&clock);
  EXPECT_THAT(unset.Read(), StatusIs(absl::StatusCode::kFailedPrecondition));
  FakeRtc rtc(&clock, kT0);
  rtc.InjectDeadBattery();
  EXPECT_THAT(rtc.Read(), StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_EQ(*rtc.Battery(), RtcBattery::kLow);
  ASSERT_THAT(rtc.Set(kT0), IsOk());
  EXPECT_THAT(rtc.Read(), IsOk());
  rtc.InjectReadError(absl::UnavailableError("i2c"));
  EXPECT_THAT(rtc.Read(), StatusIs(absl::StatusCode::kUnavailable));
  rtc.InjectSetError(absl::InternalError("EIO"));
  EXPECT_THAT(rtc.Set(kT0), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(rtc.Set(absl::FromUnixSeconds(0)),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(rtc.Set(RealTimeClock::MaxTime()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(rtc.sets().size(), 1u);
}

TEST(TimeKeeperTest, SystemTimeFromTheRtcAtStart) {
  SimulatedClock rtc_clock;
  SimulatedClock system(absl::UnixEpoch());  // a box that booted at 1970
  SimulatedWallClockSetter wall(&system);
  FakeRtc rtc(&rtc_clock, kT0);
  TimeKeeper keeper(&rtc, &wall);
  EXPECT_FALSE(keeper.time_valid());
  ASSERT_THAT(keeper.Start(), IsOk());
  EXPECT_TRUE(keeper.time_valid());
  EXPECT_EQ(system.WallNow(), kT0);
  EXPECT_TRUE(rtc.sets().empty());  // reading does not write
}

TEST(TimeKeeperTest, DeadBatteryIsReportedUntilTheTimeIsSet) {
  SimulatedClock rtc_clock;
  SimulatedClock system(absl::UnixEpoch());
  SimulatedWallClockSetter wall(&system);
  FakeRtc rtc(&rtc_clock, kT0);
  rtc.InjectDeadBattery();
  TimeKeeper keeper(&rtc, &wall);
  EXPECT_THAT(keeper.Start(), StatusIs(absl::StatusCode::kFailedPrecondition,
                                       ::testing::HasSubstr("set the time")));
  EXPECT_FALSE(keeper.time_valid());
  EXPECT_EQ(system.WallNow(), absl::UnixEpoch());  // untouched

  const absl::Time ntp = kT0 + absl::Hours(5);
  ASSERT_THAT(keeper.SetTime(ntp, TimeKeeper::Source::kNtp), IsOk());
  EXPECT_TRUE(keeper.time_valid());
  EXPECT_EQ(keeper.last_source(), TimeKeeper::Source::kNtp);
  EXPECT_EQ(system.WallNow(), ntp);
  EXPECT_THAT(rtc.sets(), ElementsAre(ntp));  // the RTC follows
  EXPECT_EQ(*rtc.Read(), ntp);
}

TEST(TimeKeeperTest, UserTimeOutOfRangeChangesNothing) {
  SimulatedClock rtc_clock;
  SimulatedClock system(kT0);
  SimulatedWallClockSetter wall(&system);
  FakeRtc rtc(&rtc_clock, kT0);
  TimeKeeper keeper(&rtc, &wall);
  EXPECT_THAT(
      keeper.SetTime(absl::FromUnixSeconds(5), TimeKeeper::Source::kUser),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(system.WallNow(), kT0);
  EXPECT_TRUE(rtc.sets().empty());
  rtc.InjectSetError(absl::UnavailableError("i2c busy"));
  EXPECT_THAT(keeper.SetTime(kT0 + absl::Hours(1), TimeKeeper::Source::kUser),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(system.WallNow(), kT0 + absl::Hours(1));  // wall clock still set
}

}  // namespace
}  // namespace ews::hal
