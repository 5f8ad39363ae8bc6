// LinuxRtc: the Linux backend of ews::hal::RealTimeClock on /dev/rtcN
// (RTC_RD_TIME, RTC_SET_TIME, RTC_VL_READ).
//
// The ioctl calls are the thin part; the conversions and the error mapping
// around them are in internal/rtc_conversions.h, tested without a device.
#pragma once

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

}  // namespace ews::hal
