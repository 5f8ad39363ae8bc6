#include "sdk/hal/rtc/linux_rtc.h"

#include <fcntl.h>
#include <linux/rtc.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

#include "absl/strings/str_cat.h"
#include "sdk/base/files.h"
#include "sdk/hal/rtc/internal/rtc_conversions.h"

namespace ews::hal {

absl::StatusOr<std::unique_ptr<LinuxRtc>> LinuxRtc::Open(
    const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return ErrnoToStatus(errno, absl::StrCat("open RTC ", path));
  }
  // Probe: a device that does not know RTC_RD_TIME is not an RTC (EINVAL
  // here is an RTC without a valid time, which is fine to open).
  rtc_time tm = {};
  if (ioctl(fd, RTC_RD_TIME, &tm) != 0 && errno != EINVAL) {
    const int error = errno;
    close(fd);
    return internal::RtcReadErrorToStatus(error, path);
  }
  return std::unique_ptr<LinuxRtc>(new LinuxRtc(path, fd));
}

LinuxRtc::~LinuxRtc() { close(fd_); }

absl::StatusOr<absl::Time> LinuxRtc::DoRead() {
  unsigned int flags = 0;
  if (ioctl(fd_, RTC_VL_READ, &flags) == 0) {
    absl::StatusOr<RtcBattery> battery =
        internal::BatteryFromVoltageFlags(flags);
    if (!battery.ok()) return battery.status();
  }
  rtc_time tm = {};
  if (ioctl(fd_, RTC_RD_TIME, &tm) != 0) {
    return internal::RtcReadErrorToStatus(errno, path_);
  }
  return internal::FromRtcTime(tm);
}

absl::Status LinuxRtc::DoSet(absl::Time time) {
  rtc_time tm = internal::ToRtcTime(time);
  if (ioctl(fd_, RTC_SET_TIME, &tm) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("set RTC ", path_));
  }
  return absl::OkStatus();
}

absl::StatusOr<RtcBattery> LinuxRtc::DoBattery() {
  unsigned int flags = 0;
  if (ioctl(fd_, RTC_VL_READ, &flags) != 0) return RtcBattery::kUnknown;
  absl::StatusOr<RtcBattery> battery = internal::BatteryFromVoltageFlags(flags);
  // Invalid data implies the battery failed.
  return battery.ok() ? battery : RtcBattery::kLow;
}

absl::Status SetLinuxSystemTime(absl::Time time) {
  const timespec ts = absl::ToTimespec(time);
  if (clock_settime(CLOCK_REALTIME, &ts) != 0) {
    return ErrnoToStatus(errno, "set the system clock");
  }
  return absl::OkStatus();
}

}  // namespace ews::hal
