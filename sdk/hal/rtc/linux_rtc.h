// LinuxRtc: the Linux backend of ews::hal::RealTimeClock on /dev/rtcN
// (RTC_RD_TIME, RTC_SET_TIME, RTC_VL_READ).
//
// The ioctl calls are the thin part; the conversions and the error mapping
// around them are the functions in `internal` below, tested without a device.
#pragma once

#include <linux/rtc.h>

#include <memory>
#include <string>

#include "sdk/hal/rtc/real_time_clock.h"
#include "sdk/hal/rtc/time_keeper.h"

namespace ews::hal {

class LinuxRtc final : public RealTimeClock {
 public:
  // Opens `path` (e.g. /dev/rtc0). NotFound, PermissionDenied,
  // FailedPrecondition (not an RTC: RTC_RD_TIME unsupported), Unavailable
  // (busy).
  static absl::StatusOr<std::unique_ptr<LinuxRtc>> Open(
      const std::string& path);
  ~LinuxRtc() override;

 private:
  LinuxRtc(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  absl::StatusOr<absl::Time> DoRead() override;
  absl::Status DoSet(absl::Time time) override;
  absl::StatusOr<RtcBattery> DoBattery() override;

  const std::string path_;
  const int fd_;
};

// Sets the system's wall clock (CLOCK_REALTIME; needs CAP_SYS_TIME).
absl::Status SetLinuxSystemTime(absl::Time time);

// WallClockSetter on CLOCK_REALTIME, for apps/server.
class LinuxWallClockSetter final : public WallClockSetter {
 private:
  absl::Status DoSetWallTime(absl::Time time) override {
    return SetLinuxSystemTime(time);
  }
};

namespace internal {

// struct rtc_time (UTC, tm-style fields) <-> absl::Time.
rtc_time ToRtcTime(absl::Time time);
// DataLoss if the fields are not a real date (e.g. month 13, Feb 30).
absl::StatusOr<absl::Time> FromRtcTime(const rtc_time& tm);

// The meaning of an errno from RTC_RD_TIME: EINVAL is how drivers report a
// time lost with the oscillator stopped (FailedPrecondition: set it).
absl::Status RtcReadErrorToStatus(int error, const std::string& path);

// RTC_VL_READ flags -> validity/battery. FailedPrecondition if the data is
// flagged invalid.
absl::StatusOr<RtcBattery> BatteryFromVoltageFlags(unsigned int flags);

}  // namespace internal
}  // namespace ews::hal
