// LinuxRtc's conversions and error mapping, tested without a device.
// Internal to sdk/hal/rtc: struct rtc_time is a kernel type and stays out of
// the public headers.
#pragma once

#include <linux/rtc.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sdk/hal/rtc/real_time_clock.h"

namespace ews::hal {
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
