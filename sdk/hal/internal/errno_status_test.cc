#include "sdk/hal/internal/errno_status.h"

#include <cerrno>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::hal::internal {
namespace {

using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ErrnoToStatusTest, MapsCodesByWhatTheCallerShouldDo) {
  EXPECT_THAT(ErrnoToStatus(ENOENT, "open /dev/ttyS9"),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("/dev/ttyS9")));
  EXPECT_THAT(ErrnoToStatus(EACCES, "x"),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_THAT(ErrnoToStatus(EBUSY, "x"),
              StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(ErrnoToStatus(EINVAL, "x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ErrnoToStatus(ENOTTY, "x"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(ErrnoToStatus(EIO, "x"), StatusIs(absl::StatusCode::kInternal));
}

}  // namespace
}  // namespace ews::hal::internal
