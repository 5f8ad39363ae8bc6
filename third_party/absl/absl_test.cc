// Proves Debian's Abseil links: status, strings, time zones, synchronization
// and flags.
#include <string>

#include "absl/flags/flag.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"

ABSL_FLAG(int, absl_test_flag, 7, "a flag that must link");

namespace {

absl::StatusOr<int> Half(int value) {
  if (value % 2 != 0) return absl::InvalidArgumentError("odd");
  return value / 2;
}

TEST(AbslTest, StatusStringsTimeAndFlagsLink) {
  EXPECT_EQ(*Half(8), 4);
  EXPECT_EQ(Half(3).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(absl::StrCat("EWS-", 32), "EWS-32");
  absl::TimeZone paris;
  ASSERT_TRUE(absl::LoadTimeZone("Europe/Paris", &paris));
  absl::Mutex mutex;
  absl::MutexLock lock(&mutex);
  EXPECT_EQ(absl::GetFlag(FLAGS_absl_test_flag), 7);
}

}  // namespace
