#include "sdk/ftp/internal/listing.h"

#include "gtest/gtest.h"

namespace ews::ftp::internal {
namespace {

files::FileEntry File(absl::Time modified) {
  files::FileEntry entry;
  entry.name = "meter-1_2026-03.csv";
  entry.size = 1234;
  entry.modified = modified;
  return entry;
}

const absl::Time kNow = absl::FromCivil(
    absl::CivilSecond(2026, 3, 29, 12, 0, 0), absl::UTCTimeZone());

TEST(ListingTest, RecentFilesShowTheTimeOfDay) {
  EXPECT_EQ(ListingLine(ListFormat::kList, File(kNow - absl::Hours(2)), kNow),
            "-r--r--r-- 1 ews ews 1234 Mar 29 10:00 meter-1_2026-03.csv\r\n");
}

TEST(ListingTest, OldAndFutureFilesShowTheYear) {
  EXPECT_EQ(
      ListingLine(ListFormat::kList, File(kNow - absl::Hours(24 * 181)), kNow),
      "-r--r--r-- 1 ews ews 1234 Sep 29  2025 meter-1_2026-03.csv\r\n");
  EXPECT_EQ(ListingLine(ListFormat::kList, File(kNow + absl::Hours(25)), kNow),
            "-r--r--r-- 1 ews ews 1234 Mar 30  2026 meter-1_2026-03.csv\r\n");
}

TEST(ListingTest, DirectoriesNamesAndFacts) {
  files::FileEntry folder;
  folder.name = "meter-1";
  folder.is_directory = true;
  folder.modified = kNow;
  EXPECT_EQ(ListingLine(ListFormat::kList, folder, kNow),
            "dr-xr-xr-x 2 ews ews 0 Mar 29 12:00 meter-1\r\n");
  EXPECT_EQ(ListingLine(ListFormat::kNames, folder, kNow), "meter-1\r\n");
  EXPECT_EQ(ListingLine(ListFormat::kFacts, folder, kNow),
            "type=dir;modify=20260329120000;perm=el; meter-1\r\n");
  EXPECT_EQ(ListingLine(ListFormat::kFacts, File(kNow), kNow),
            "type=file;size=1234;modify=20260329120000;perm=r; "
            "meter-1_2026-03.csv\r\n");
}

TEST(ListingTest, MachineTimeIsUtc) {
  EXPECT_EQ(MachineTime(kNow + absl::Seconds(7)), "20260329120007");
}

}  // namespace
}  // namespace ews::ftp::internal
