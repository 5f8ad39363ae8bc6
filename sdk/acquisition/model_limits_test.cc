#include "sdk/acquisition/model_limits.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::acquisition {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ModelLimitsTest, Model10AcceptsTenInAnyMix) {
  EXPECT_THAT(CheckModelLimit(10, 10, 0), IsOk());
  EXPECT_THAT(CheckModelLimit(10, 0, 10), IsOk());
  EXPECT_THAT(CheckModelLimit(10, 7, 3), IsOk());
  EXPECT_THAT(CheckModelLimit(10, 0, 0), IsOk());
}

TEST(ModelLimitsTest, Model10RejectsEleven) {
  EXPECT_THAT(CheckModelLimit(10, 11, 0),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("model 10 manages at most 10")));
  EXPECT_THAT(
      CheckModelLimit(10, 9, 3),
      StatusIs(absl::StatusCode::kInvalidArgument,
               HasSubstr("9 Modbus addresses + 3 pulse counters = 12: remove "
                         "2 or use model 32")));
  EXPECT_THAT(CheckModelLimit(10, 0, 11),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ModelLimitsTest, Model32) {
  EXPECT_THAT(CheckModelLimit(32, 32, 0), IsOk());
  EXPECT_THAT(CheckModelLimit(32, 20, 12), IsOk());
  EXPECT_THAT(CheckModelLimit(32, 30, 3),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("= 33: remove 1")));
}

TEST(ModelLimitsTest, RejectsUnknownModelsAndNegativeCounts) {
  EXPECT_THAT(CheckModelLimit(16, 1, 0),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("must be 10 or 32")));
  EXPECT_THAT(CheckModelLimit(10, -1, 0),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(ModelLimitsTest, SharedEmsAddressesCountOnce) {
  // Interface 1, modules 5 (measurement + signalling on one address) and 6.
  const int addresses[] = {15, 15, 16, 3};
  EXPECT_EQ(CountDistinctAddresses(addresses), 3);
}

}  // namespace
}  // namespace ews::acquisition
