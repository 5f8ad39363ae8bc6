#include "sdk/security/auth/auth_state.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::security {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

TEST(AuthStateTest, RoundTrips) {
  AuthState state;
  state[config::v1::ROLE_INSTALLER].pin_failures = 3;
  state[config::v1::ROLE_USER].blocked = true;
  state[config::v1::ROLE_USER].puk_failures = 2;
  state[config::v1::ROLE_GREENUP].puk_blocked = true;
  state[config::v1::ROLE_ADMINISTRATOR].pin_reset = true;
  state[config::v1::ROLE_ADMINISTRATOR].puk_reset = true;
  const std::string text = SerializeAuthState(state);
  absl::StatusOr<AuthState> parsed = ParseAuthState(text);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(*parsed, state);
  EXPECT_EQ(text,
            "ews-auth-state 1\n"
            "ROLE_ADMINISTRATOR pin_failures=0 puk_failures=0 blocked=0 "
            "puk_blocked=0 pin_reset=1 puk_reset=1\n"
            "ROLE_GREENUP pin_failures=0 puk_failures=0 blocked=0 "
            "puk_blocked=1 pin_reset=0 puk_reset=0\n"
            "ROLE_INSTALLER pin_failures=3 puk_failures=0 blocked=0 "
            "puk_blocked=0 pin_reset=0 puk_reset=0\n"
            "ROLE_USER pin_failures=0 puk_failures=2 blocked=1 puk_blocked=0 "
            "pin_reset=0 puk_reset=0\n");
}

TEST(AuthStateTest, DefaultUsersAreNotWritten) {
  AuthState state;
  state[config::v1::ROLE_USER];
  EXPECT_EQ(SerializeAuthState(state), "ews-auth-state 1\n");
  absl::StatusOr<AuthState> parsed = ParseAuthState("ews-auth-state 1\n");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_TRUE(parsed->empty());
}

TEST(AuthStateTest, RejectsEveryMalformedFile) {
  const std::string ok_line =
      "ROLE_USER pin_failures=1 puk_failures=0 blocked=0 puk_blocked=0 "
      "pin_reset=0 puk_reset=0\n";
  for (const std::string& text : {
           std::string(""),
           std::string("ews-auth-state 1"),  // no newline (torn write)
           std::string("ews-auth-state 2\n"),
           std::string("garbage\n"),
           "ews-auth-state 1\n" + ok_line + ok_line,  // role twice
           std::string("ews-auth-state 1\nROLE_UNSPECIFIED pin_failures=1 "
                       "puk_failures=0 blocked=0 puk_blocked=0 pin_reset=0 "
                       "puk_reset=0\n"),
           std::string("ews-auth-state 1\nROLE_ROOT pin_failures=1 "
                       "puk_failures=0 blocked=0 puk_blocked=0 pin_reset=0 "
                       "puk_reset=0\n"),
           std::string("ews-auth-state 1\nROLE_USER pin_failures=-1 "
                       "puk_failures=0 blocked=0 puk_blocked=0 pin_reset=0 "
                       "puk_reset=0\n"),
           std::string("ews-auth-state 1\nROLE_USER pin_failures=1 "
                       "puk_failures=0 blocked=2 puk_blocked=0 pin_reset=0 "
                       "puk_reset=0\n"),
           std::string("ews-auth-state 1\nROLE_USER pin_failures=01 "
                       "puk_failures=0 blocked=0 puk_blocked=0 pin_reset=0 "
                       "puk_reset=0\n"),
           std::string("ews-auth-state 1\nROLE_USER pin_failures=1 "
                       "puk_failures=0 blocked=0 puk_blocked=0 pin_reset=0\n"),
           std::string("ews-auth-state 1\nROLE_USER puk_failures=0 "
                       "pin_failures=1 blocked=0 puk_blocked=0 pin_reset=0 "
                       "puk_reset=0\n"),
           std::string("ews-auth-state 1\nROLE_USER pin_failures=99999999 "
                       "puk_failures=0 blocked=0 puk_blocked=0 pin_reset=0 "
                       "puk_reset=0\n"),
           std::string("ews-auth-state 1\n\n"),
       }) {
    SCOPED_TRACE(text);
    EXPECT_THAT(ParseAuthState(text), StatusIs(absl::StatusCode::kDataLoss));
  }
}

}  // namespace
}  // namespace ews::security
