// When a report is due and which period it covers, in the site's time zone.
//
// A report of period P sent at minute M of the local day covers the last
// whole P before the send day: a daily report sent on the 15th covers the
// 14th 00:00 → 15th 00:00, a weekly one (sent on Mondays) the previous
// Monday → Monday, a monthly one (sent on the 1st) the previous month. Bounds
// are local midnights, so a DST day lasts 23 or 25 hours.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ews::reports {

enum class ReportPeriod { kDaily, kWeekly, kMonthly };

struct ReportWindow {
  absl::Time from;  // inclusive, a local midnight
  absl::Time to;    // exclusive, a local midnight
  // "2026-03-29" (daily), "2026-03-23_2026-03-29" (weekly: first and last
  // day), "2026-03" (monthly): the part of file names and subjects.
  std::string label;
};

// The first send time strictly after `after`. InvalidArgument when
// `send_at_minute` is not in 0..1439. A send minute that does not exist on a
// DST day (02:30 in spring) fires at the first instant after the gap.
absl::StatusOr<absl::Time> NextDue(ReportPeriod period, int send_at_minute,
                                   absl::TimeZone tz, absl::Time after);

// The period a report sent at `due` covers (see above).
ReportWindow WindowFor(ReportPeriod period, absl::Time due, absl::TimeZone tz);

}  // namespace ews::reports
