#include "sdk/reports/schedule.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ews::reports {
namespace {

// Whether reports of `period` are sent on local day `day`.
bool IsSendDay(ReportPeriod period, absl::CivilDay day) {
  switch (period) {
    case ReportPeriod::kDaily:
      return true;
    case ReportPeriod::kWeekly:
      return absl::GetWeekday(day) == absl::Weekday::monday;
    case ReportPeriod::kMonthly:
      return day.day() == 1;
  }
  return false;
}

absl::Time Midnight(absl::CivilDay day, absl::TimeZone tz) {
  return tz.At(absl::CivilSecond(day)).trans;
}

}  // namespace

absl::StatusOr<absl::Time> NextDue(ReportPeriod period, int send_at_minute,
                                   absl::TimeZone tz, absl::Time after) {
  if (send_at_minute < 0 || send_at_minute > 1439) {
    return absl::InvalidArgumentError(
        absl::StrCat("send minute ", send_at_minute, " not in 0..1439"));
  }
  absl::CivilDay day = absl::ToCivilDay(after, tz) - 1;
  for (int i = 0; i < 40; ++i, ++day) {
    if (!IsSendDay(period, day)) continue;
    const absl::CivilSecond at = absl::CivilSecond(day) + send_at_minute * 60;
    const absl::TimeZone::TimeInfo info = tz.At(at);
    // Skipped (spring gap): the transition instant; repeated: the first one.
    const absl::Time t =
        info.kind == absl::TimeZone::TimeInfo::SKIPPED ? info.trans : info.pre;
    if (t > after) return t;
  }
  return absl::InternalError("no send day within 40 days");
}

ReportWindow WindowFor(ReportPeriod period, absl::Time due, absl::TimeZone tz) {
  const absl::CivilDay today = absl::ToCivilDay(due, tz);
  ReportWindow window;
  switch (period) {
    case ReportPeriod::kDaily: {
      const absl::CivilDay day = today - 1;
      window.from = Midnight(day, tz);
      window.to = Midnight(today, tz);
      window.label = absl::FormatCivilTime(day);
      break;
    }
    case ReportPeriod::kWeekly: {
      const absl::CivilDay first = today - 7;
      window.from = Midnight(first, tz);
      window.to = Midnight(today, tz);
      window.label = absl::StrCat(absl::FormatCivilTime(first), "_",
                                  absl::FormatCivilTime(today - 1));
      break;
    }
    case ReportPeriod::kMonthly: {
      const absl::CivilMonth month = absl::CivilMonth(today) - 1;
      window.from = Midnight(absl::CivilDay(month), tz);
      window.to = Midnight(absl::CivilDay(month + 1), tz);
      window.label = absl::FormatTime("%Y-%m", window.from, tz);
      break;
    }
  }
  return window;
}

}  // namespace ews::reports
