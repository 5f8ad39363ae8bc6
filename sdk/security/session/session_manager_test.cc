#include "sdk/security/session/session_manager.h"

#include <set>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"

namespace ews::security {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

constexpr Role kAdmin = config::v1::ROLE_ADMINISTRATOR;
constexpr Role kUser = config::v1::ROLE_USER;

std::string Cookie(const std::string& token) {
  return absl::StrCat("theme=dark; ", kSessionCookieName, "=", token,
                      "; other=1");
}

class SessionManagerTest : public ::testing::Test {
 protected:
  NewSession Login(Role role = kUser, bool must_change = false) {
    absl::StatusOr<NewSession> session =
        sessions_.Create(role, must_change, "192.0.2.7");
    EXPECT_THAT(session, IsOk());
    return *session;
  }
  absl::StatusOr<SessionInfo> Get(const NewSession& session) {
    const std::string cookie = Cookie(session.token);
    return sessions_.Check({cookie, "GET", ""});
  }

  SimulatedClock clock_;
  SessionManager sessions_{clock_, SessionOptions()};
};

TEST_F(SessionManagerTest, TokensAreRandom256BitHex) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    NewSession session = Login(i % 2 ? kUser : kAdmin);
    EXPECT_EQ(session.token.size(), 64u);
    EXPECT_EQ(session.token.find_first_not_of("0123456789abcdef"),
              std::string::npos);
    EXPECT_EQ(session.info.csrf_token.size(), 64u);
    EXPECT_NE(session.token, session.info.csrf_token);
    EXPECT_TRUE(seen.insert(session.token).second);
    EXPECT_TRUE(seen.insert(session.info.csrf_token).second);
  }
}

TEST_F(SessionManagerTest, CheckFindsTheSession) {
  NewSession session = Login(kAdmin, true);
  absl::StatusOr<SessionInfo> info = Get(session);
  ASSERT_THAT(info, IsOk());
  EXPECT_EQ(info->role, kAdmin);
  EXPECT_TRUE(info->must_change_codes);
  EXPECT_EQ(info->client_address, "192.0.2.7");
  EXPECT_EQ(info->id, session.info.id);
  EXPECT_EQ(info->created_at, clock_.WallNow());
  ASSERT_THAT(sessions_.ClearMustChangeCodes(session.token), IsOk());
  EXPECT_FALSE(Get(session)->must_change_codes);
}

TEST_F(SessionManagerTest, BadCookiesAreUnauthenticated) {
  NewSession session = Login();
  std::string flipped = session.token;
  flipped[10] = flipped[10] == 'a' ? 'b' : 'a';
  std::string upper = session.token;
  for (char& c : upper) c = absl::ascii_toupper(static_cast<unsigned char>(c));
  for (const std::string& cookie :
       {std::string(""), std::string("garbage"),
        absl::StrCat(kSessionCookieName, "="), Cookie(flipped),
        Cookie(session.token.substr(1)), Cookie(session.token + "0"),
        Cookie(upper), absl::StrCat("ews_session=", session.token),
        Cookie(std::string(64, '0'))}) {
    SCOPED_TRACE(cookie);
    EXPECT_THAT(sessions_.Check({cookie, "GET", ""}),
                StatusIs(absl::StatusCode::kUnauthenticated));
  }
  EXPECT_THAT(Get(session), IsOk());
}

TEST_F(SessionManagerTest, IdleTimeoutOnTheInjectedClock) {
  NewSession session = Login();
  for (int i = 0; i < 10; ++i) {
    clock_.Advance(absl::Minutes(14));
    ASSERT_THAT(Get(session), IsOk()) << i;  // each use restarts the timer
  }
  clock_.Advance(absl::Minutes(15));
  EXPECT_THAT(Get(session), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_TRUE(sessions_.Sessions().empty());
}

TEST_F(SessionManagerTest, AbsoluteTimeoutEvenWhenBusy) {
  NewSession session = Login();
  absl::Duration elapsed;
  while (elapsed + absl::Minutes(10) < absl::Hours(8)) {
    clock_.Advance(absl::Minutes(10));
    elapsed += absl::Minutes(10);
    ASSERT_THAT(Get(session), IsOk());
  }
  clock_.Advance(absl::Hours(8) - elapsed);
  EXPECT_THAT(Get(session), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(SessionManagerTest, SettingTheWallClockDoesNotExpireSessions) {
  NewSession session = Login();
  clock_.SetWallTime(clock_.WallNow() + absl::Hours(24 * 365));
  EXPECT_THAT(Get(session), IsOk());
  clock_.SetWallTime(clock_.WallNow() - absl::Hours(24 * 365 * 2));
  EXPECT_THAT(Get(session), IsOk());
}

TEST_F(SessionManagerTest, LogoutEndsTheSession) {
  NewSession session = Login();
  NewSession other = Login();
  ASSERT_THAT(sessions_.End(session.token), IsOk());
  EXPECT_THAT(Get(session), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(sessions_.End(session.token),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(sessions_.End("nonsense"),
              StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Get(other), IsOk());
}

TEST_F(SessionManagerTest, CsrfTokenRequiredOnStateChangingRequests) {
  NewSession session = Login();
  NewSession other = Login();
  const std::string cookie = Cookie(session.token);
  for (const char* method : {"GET", "HEAD", "OPTIONS"}) {
    EXPECT_THAT(sessions_.Check({cookie, method, ""}), IsOk()) << method;
  }
  for (const char* method : {"POST", "PUT", "DELETE", "PATCH", "get", ""}) {
    SCOPED_TRACE(method);
    EXPECT_THAT(sessions_.Check({cookie, method, ""}),
                StatusIs(absl::StatusCode::kPermissionDenied,
                         HasSubstr("X-CSRF-Token")));
    // Another session's CSRF token, or the session token itself, is wrong.
    EXPECT_THAT(sessions_.Check({cookie, method, other.info.csrf_token}),
                StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(sessions_.Check({cookie, method, session.token}),
                StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(sessions_.Check(
                    {cookie, method, session.info.csrf_token.substr(0, 63)}),
                StatusIs(absl::StatusCode::kPermissionDenied));
    EXPECT_THAT(sessions_.Check({cookie, method, session.info.csrf_token}),
                IsOk());
  }
  // A rejected request does not end the session.
  EXPECT_THAT(Get(session), IsOk());
}

TEST_F(SessionManagerTest, BoundedPerRoleEndingTheLeastRecentlyUsed) {
  SessionOptions options;
  options.max_sessions_per_role = 3;
  SessionManager sessions(clock_, options);
  auto login = [&](Role role) {
    clock_.Advance(absl::Seconds(1));
    return *sessions.Create(role, false, "192.0.2.1");
  };
  auto valid = [&](const NewSession& s) {
    return sessions.Check({Cookie(s.token), "GET", ""}).ok();
  };
  NewSession a = login(kUser);
  NewSession b = login(kUser);
  NewSession c = login(kUser);
  NewSession admin = login(kAdmin);
  clock_.Advance(absl::Seconds(1));
  ASSERT_TRUE(valid(a));  // a is now more recently used than b
  NewSession d = login(kUser);
  EXPECT_TRUE(valid(a));
  EXPECT_FALSE(valid(b));
  EXPECT_TRUE(valid(c));
  EXPECT_TRUE(valid(d));
  // Other roles are not pushed out by a flood of user logins.
  for (int i = 0; i < 50; ++i) login(kUser);
  EXPECT_TRUE(valid(admin));
  EXPECT_EQ(sessions.Sessions().size(), 4u);
}

TEST_F(SessionManagerTest, EndSessionsOfARoleAfterACodeChange) {
  NewSession keep = Login(kUser);
  NewSession gone = Login(kUser);
  NewSession admin = Login(kAdmin);
  EXPECT_EQ(sessions_.EndSessionsOf(kUser, keep.token), 1);
  EXPECT_THAT(Get(keep), IsOk());
  EXPECT_THAT(Get(gone), StatusIs(absl::StatusCode::kUnauthenticated));
  EXPECT_THAT(Get(admin), IsOk());
  EXPECT_EQ(sessions_.EndSessionsOf(kUser), 1);
  EXPECT_THAT(Get(keep), StatusIs(absl::StatusCode::kUnauthenticated));
}

TEST_F(SessionManagerTest, CookieAttributes) {
  NewSession session = Login();
  EXPECT_EQ(sessions_.SetCookie(session.token),
            absl::StrCat("__Host-ews_session=", session.token,
                         "; Path=/; Max-Age=28800; Secure; HttpOnly; "
                         "SameSite=Strict"));
  EXPECT_EQ(SessionManager::ClearCookie(),
            "__Host-ews_session=; Path=/; Max-Age=0; Secure; HttpOnly; "
            "SameSite=Strict");
  EXPECT_EQ(SessionManager::TokenFromCookieHeader("a=1;__Host-ews_session=xy"),
            "xy");
  EXPECT_EQ(SessionManager::TokenFromCookieHeader("a=1; b=2"), std::nullopt);
}

TEST_F(SessionManagerTest, RejectsNonRoles) {
  EXPECT_THAT(sessions_.Create(config::v1::ROLE_UNSPECIFIED, false, "x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ews::security
