#include "sdk/hal/rtc/real_time_clock.h"

#include "absl/strings/str_cat.h"

namespace ews::hal {

absl::Time RealTimeClock::MinTime() { return absl::FromUnixSeconds(946684800); }
absl::Time RealTimeClock::MaxTime() {
  return absl::FromUnixSeconds(4102444800);
}

absl::StatusOr<absl::Time> RealTimeClock::Read() {
  absl::StatusOr<absl::Time> time = DoRead();
  if (!time.ok()) return time;
  if (*time < MinTime() || *time >= MaxTime()) {
    return absl::DataLossError(absl::StrCat(
        "RTC reads ", absl::FormatTime(*time, absl::UTCTimeZone()),
        ", outside 2000..2099: treat as invalid and set the time"));
  }
  return time;
}

absl::Status RealTimeClock::Set(absl::Time time) {
  if (time < MinTime() || time >= MaxTime()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot set the RTC to ", absl::FormatTime(time, absl::UTCTimeZone()),
        ": outside 2000..2099"));
  }
  return DoSet(absl::FromUnixSeconds(absl::ToUnixSeconds(time)));
}

absl::StatusOr<RtcBattery> RealTimeClock::Battery() { return DoBattery(); }

}  // namespace ews::hal
