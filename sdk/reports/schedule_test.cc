#include "sdk/reports/schedule.h"

#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::reports {
namespace {

using ::ews::testing::StatusIs;

absl::TimeZone Paris() {
  absl::TimeZone tz;
  EXPECT_TRUE(absl::LoadTimeZone("Europe/Paris", &tz));
  return tz;
}

absl::Time Local(int y, int mo, int d, int h, int mi, absl::TimeZone tz) {
  return absl::FromCivil(absl::CivilSecond(y, mo, d, h, mi, 0), tz);
}

TEST(ScheduleTest, DailyDueIsTheNextSendMinute) {
  const absl::TimeZone tz = Paris();
  auto due =
      NextDue(ReportPeriod::kDaily, 6 * 60, tz, Local(2026, 3, 10, 5, 0, tz));
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, Local(2026, 3, 10, 6, 0, tz));
  // Exactly at the due time: the next one (strictly after).
  due = NextDue(ReportPeriod::kDaily, 6 * 60, tz, *due);
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, Local(2026, 3, 11, 6, 0, tz));
}

TEST(ScheduleTest, DstDayWindowsLast23And25Hours) {
  const absl::TimeZone tz = Paris();
  // 2026-03-29: spring forward; 2026-10-25: fall back.
  ReportWindow w =
      WindowFor(ReportPeriod::kDaily, Local(2026, 3, 30, 6, 0, tz), tz);
  EXPECT_EQ(w.label, "2026-03-29");
  EXPECT_EQ(w.to - w.from, absl::Hours(23));
  w = WindowFor(ReportPeriod::kDaily, Local(2026, 10, 26, 6, 0, tz), tz);
  EXPECT_EQ(w.label, "2026-10-25");
  EXPECT_EQ(w.to - w.from, absl::Hours(25));
}

TEST(ScheduleTest, SendMinuteInTheSpringGapFiresAtTheTransition) {
  const absl::TimeZone tz = Paris();
  auto due = NextDue(ReportPeriod::kDaily, 2 * 60 + 30, tz,
                     Local(2026, 3, 29, 0, 0, tz));
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, absl::FromCivil(absl::CivilSecond(2026, 3, 29, 1, 0, 0),
                                  absl::UTCTimeZone()));
}

TEST(ScheduleTest, WeeklyOnMondaysCoversThePreviousWeek) {
  const absl::TimeZone tz = Paris();
  // Thursday 2026-03-26 → Monday 2026-03-30.
  auto due =
      NextDue(ReportPeriod::kWeekly, 7 * 60, tz, Local(2026, 3, 26, 12, 0, tz));
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, Local(2026, 3, 30, 7, 0, tz));
  const ReportWindow w = WindowFor(ReportPeriod::kWeekly, *due, tz);
  EXPECT_EQ(w.label, "2026-03-23_2026-03-29");
  EXPECT_EQ(w.from, Local(2026, 3, 23, 0, 0, tz));
  EXPECT_EQ(w.to - w.from, absl::Hours(7 * 24 - 1));
}

TEST(ScheduleTest, MonthlyOnTheFirstCoversThePreviousMonth) {
  const absl::TimeZone tz = Paris();
  auto due =
      NextDue(ReportPeriod::kMonthly, 0, tz, Local(2026, 1, 15, 0, 0, tz));
  ASSERT_TRUE(due.ok());
  EXPECT_EQ(*due, Local(2026, 2, 1, 0, 0, tz));
  const ReportWindow w = WindowFor(ReportPeriod::kMonthly, *due, tz);
  EXPECT_EQ(w.label, "2026-01");
  EXPECT_EQ(w.from, Local(2026, 1, 1, 0, 0, tz));
  EXPECT_EQ(w.to, Local(2026, 2, 1, 0, 0, tz));
}

TEST(ScheduleTest, BadSendMinuteIsRefused) {
  EXPECT_THAT(NextDue(ReportPeriod::kDaily, 1440, Paris(), absl::Now()),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(NextDue(ReportPeriod::kDaily, -1, Paris(), absl::Now()),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ews::reports
