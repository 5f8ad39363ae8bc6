// LinuxRtc: the conversions and error mapping around the ioctls are tested
// directly; the device half on /dev/rtc0 only where one exists (CI machines
// have none, and the RTC driver cannot be simulated from user space).
#include "sdk/hal/rtc/linux_rtc.h"

#include <linux/rtc.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <fstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/rtc/internal/rtc_conversions.h"

namespace ews::hal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

TEST(LinuxRtcConversionTest, RoundTripsAndFillsWeekdays) {
  // 2026-11-25T10:45:30Z, a Wednesday, day 329 of the year.
  const absl::Time t = absl::FromCivil(
      absl::CivilSecond(2026, 11, 25, 10, 45, 30), absl::UTCTimeZone());
  rtc_time tm = internal::ToRtcTime(t);
  EXPECT_EQ(tm.tm_year, 126);
  EXPECT_EQ(tm.tm_mon, 10);
  EXPECT_EQ(tm.tm_mday, 25);
  EXPECT_EQ(tm.tm_hour, 10);
  EXPECT_EQ(tm.tm_min, 45);
  EXPECT_EQ(tm.tm_sec, 30);
  EXPECT_EQ(tm.tm_wday, 3);
  EXPECT_EQ(tm.tm_yday, 328);
  EXPECT_EQ(*internal::FromRtcTime(tm), t);
  // A Sunday.
  EXPECT_EQ(internal::ToRtcTime(absl::FromCivil(absl::CivilSecond(2026, 11, 29),
                                                absl::UTCTimeZone()))
                .tm_wday,
            0);
  // Leap day.
  const absl::Time leap = absl::FromCivil(
      absl::CivilSecond(2028, 2, 29, 23, 59, 59), absl::UTCTimeZone());
  EXPECT_EQ(*internal::FromRtcTime(internal::ToRtcTime(leap)), leap);
}

TEST(LinuxRtcConversionTest, ImpossibleDatesAreDataLoss) {
  rtc_time tm = internal::ToRtcTime(absl::FromUnixSeconds(1790000000));
  tm.tm_mon = 12;  // month 13
  EXPECT_THAT(internal::FromRtcTime(tm), StatusIs(absl::StatusCode::kDataLoss));
  tm = internal::ToRtcTime(absl::FromUnixSeconds(1790000000));
  tm.tm_mon = 1;
  tm.tm_mday = 30;  // 30 February
  EXPECT_THAT(internal::FromRtcTime(tm), StatusIs(absl::StatusCode::kDataLoss));
}

TEST(LinuxRtcErrorsTest, MapsDriverErrors) {
  EXPECT_THAT(internal::RtcReadErrorToStatus(EINVAL, "/dev/rtc0"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::HasSubstr("set the time")));
  EXPECT_THAT(internal::RtcReadErrorToStatus(ENOTTY, "/dev/null"),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::HasSubstr("not an RTC")));
  EXPECT_THAT(internal::RtcReadErrorToStatus(EIO, "/dev/rtc0"),
              StatusIs(absl::StatusCode::kInternal));
  EXPECT_EQ(*internal::BatteryFromVoltageFlags(0), RtcBattery::kOk);
  EXPECT_EQ(*internal::BatteryFromVoltageFlags(0x2), RtcBattery::kLow);
  EXPECT_EQ(*internal::BatteryFromVoltageFlags(0x4), RtcBattery::kLow);
  EXPECT_THAT(internal::BatteryFromVoltageFlags(0x1),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(LinuxRtcTest, OpenErrors) {
  EXPECT_THAT(LinuxRtc::Open("/nonexistent/rtc0"),
              StatusIs(absl::StatusCode::kNotFound));
  const std::string file = std::string(std::getenv("TEST_TMPDIR")) + "/rtc";
  std::ofstream(file) << "not a device";
  EXPECT_THAT(LinuxRtc::Open(file),
              StatusIs(absl::StatusCode::kFailedPrecondition,
                       ::testing::HasSubstr("not an RTC")));
  EXPECT_THAT(LinuxRtc::Open("/dev/null"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST(LinuxRtcTest, ReadsARealRtc) {
  if (access("/dev/rtc0", R_OK) != 0) {
    GTEST_SKIP() << "no readable /dev/rtc0 on this machine (no RTC driver); "
                    "conversions and error mapping are tested above";
  }
  auto rtc = LinuxRtc::Open("/dev/rtc0");
  ASSERT_THAT(rtc, IsOk());
  absl::StatusOr<absl::Time> time = (*rtc)->Read();
  if (absl::IsFailedPrecondition(time.status())) {
    GTEST_SKIP() << "/dev/rtc0 has no valid time: " << time.status();
  }
  ASSERT_THAT(time, IsOk());
  // Never set it here: that would change the machine's clock.
}

}  // namespace
}  // namespace ews::hal
