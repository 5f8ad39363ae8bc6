#include "sdk/hal/rtc/internal/rtc_conversions.h"

#include <cerrno>
#include <string>

#include "absl/strings/str_cat.h"
#include "sdk/base/files.h"

// Older kernel headers lack the RTC_VL_* flag names.
#ifndef RTC_VL_DATA_INVALID
#define RTC_VL_DATA_INVALID 0x1
#endif
#ifndef RTC_VL_BACKUP_LOW
#define RTC_VL_BACKUP_LOW 0x2
#endif
#ifndef RTC_VL_BACKUP_EMPTY
#define RTC_VL_BACKUP_EMPTY 0x4
#endif

namespace ews::hal {
namespace internal {

rtc_time ToRtcTime(absl::Time time) {
  const absl::CivilSecond civil =
      absl::ToCivilSecond(time, absl::UTCTimeZone());
  rtc_time tm = {};
  tm.tm_year = static_cast<int>(civil.year() - 1900);
  tm.tm_mon = civil.month() - 1;
  tm.tm_mday = civil.day();
  tm.tm_hour = civil.hour();
  tm.tm_min = civil.minute();
  tm.tm_sec = civil.second();
  // absl: Monday = 0 ... Sunday = 6; struct tm: Sunday = 0.
  tm.tm_wday = (static_cast<int>(absl::GetWeekday(civil)) + 1) % 7;
  tm.tm_yday = absl::GetYearDay(civil) - 1;
  tm.tm_isdst = 0;
  return tm;
}

absl::StatusOr<absl::Time> FromRtcTime(const rtc_time& tm) {
  const absl::CivilSecond civil(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                                tm.tm_hour, tm.tm_min, tm.tm_sec);
  // CivilSecond normalizes out-of-range fields; a real date round-trips.
  if (civil.year() != tm.tm_year + 1900 || civil.month() != tm.tm_mon + 1 ||
      civil.day() != tm.tm_mday || civil.hour() != tm.tm_hour ||
      civil.minute() != tm.tm_min || civil.second() != tm.tm_sec) {
    return absl::DataLossError(
        absl::StrCat("RTC returned an impossible date: ", tm.tm_year + 1900,
                     "-", tm.tm_mon + 1, "-", tm.tm_mday, " ", tm.tm_hour, ":",
                     tm.tm_min, ":", tm.tm_sec));
  }
  return absl::FromCivil(civil, absl::UTCTimeZone());
}

absl::Status RtcReadErrorToStatus(int error, const std::string& path) {
  if (error == EINVAL) {
    return absl::FailedPreconditionError(
        absl::StrCat(path,
                     ": the RTC has no valid time (battery dead or never set); "
                     "set the time"));
  }
  if (error == ENOTTY) {
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not an RTC device"));
  }
  return ErrnoToStatus(error, absl::StrCat("read RTC ", path));
}

absl::StatusOr<RtcBattery> BatteryFromVoltageFlags(unsigned int flags) {
  if (flags & RTC_VL_DATA_INVALID) {
    return absl::FailedPreconditionError(
        "RTC data invalid (battery dead while off); set the time");
  }
  if (flags & (RTC_VL_BACKUP_LOW | RTC_VL_BACKUP_EMPTY))
    return RtcBattery::kLow;
  return RtcBattery::kOk;
}

}  // namespace internal
}  // namespace ews::hal
