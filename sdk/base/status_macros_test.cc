#include "sdk/base/status_macros.h"

#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

absl::Status FailIf(bool fail) {
  if (fail) return absl::UnavailableError("line busy");
  return absl::OkStatus();
}

absl::Status Chain(bool fail, int* reached) {
  EWS_RETURN_IF_ERROR(FailIf(fail));
  *reached = 1;
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<int>> MakeValue(bool fail) {
  if (fail) return absl::DeadlineExceededError("no answer");
  return std::make_unique<int>(42);
}

absl::StatusOr<int> UseValue(bool fail) {
  EWS_ASSIGN_OR_RETURN(std::unique_ptr<int> value, MakeValue(fail));
  EWS_ASSIGN_OR_RETURN(auto again, MakeValue(fail));  // two on one function
  return *value + *again - 42;
}

TEST(StatusMacrosTest, ReturnIfErrorStopsOnError) {
  int reached = 0;
  EXPECT_THAT(Chain(true, &reached), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_EQ(reached, 0);
  EXPECT_THAT(Chain(false, &reached), IsOk());
  EXPECT_EQ(reached, 1);
}

TEST(StatusMacrosTest, AssignOrReturnMovesValueOrReturnsError) {
  EXPECT_THAT(UseValue(true), StatusIs(absl::StatusCode::kDeadlineExceeded,
                                       HasSubstr("no answer")));
  absl::StatusOr<int> ok = UseValue(false);
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(*ok, 42);
}

TEST(StatusMatchersTest, MatchersCanFail) {
  EXPECT_THAT(absl::InternalError("x"), Not(IsOk()));
  EXPECT_THAT(absl::InternalError("x"),
              Not(StatusIs(absl::StatusCode::kInvalidArgument)));
  EXPECT_THAT(absl::InternalError("abc"),
              Not(StatusIs(absl::StatusCode::kInternal, HasSubstr("zzz"))));
}

}  // namespace
