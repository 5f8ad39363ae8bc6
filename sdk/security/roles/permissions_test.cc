#include "sdk/security/roles/permissions.h"

#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::security {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

// Every route × every role: "P" = public (no session needed); otherwise four
// letters for administrator, installer, greenUp, user: a letter = allowed,
// '.' = forbidden. "*" after the letters = allowed before the factory codes
// are changed. Written out by hand, independently of the table in
// permissions.cc, so that a change there has to be made here too.
const std::map<std::string, std::string>& Expected() {
  static const auto* expected = new std::map<std::string, std::string>{
      {"GET /api/v1/health", "P"},
      {"POST /api/v1/session/login", "P"},
      {"POST /api/v1/session/unblock", "P"},
      {"GET /api/v1/session", "AIGU*"},
      {"POST /api/v1/session/logout", "AIGU*"},
      {"POST /api/v1/session/codes", "AIGU*"},
      {"GET /api/v1/devices", "AI.U"},
      {"GET /api/v1/devices/*", "AI.U"},
      {"GET /api/v1/devices/*/values", "AI.U"},
      {"GET /api/v1/devices/*/health", "AI.U"},
      {"GET /api/v1/leds", "AI.U"},
      {"GET /api/v1/live", "AIGU"},
      {"POST /api/v1/devices", "AI.."},
      {"PUT /api/v1/devices/*", "AI.."},
      {"DELETE /api/v1/devices/*", "AI.."},
      {"POST /api/v1/scan", "AI.."},
      {"GET /api/v1/scan", "AI.."},
      {"DELETE /api/v1/scan", "AI.."},
      {"POST /api/v1/devices/*/registers", "AI.."},
      {"POST /api/v1/devices/*/commands/*", "AI.."},
      {"GET /api/v1/ev/chargers", "AIG."},
      {"GET /api/v1/ev/chargers/*", "AIG."},
      {"GET /api/v1/ev/chargers/*/sessions", "AIG."},
      {"GET /api/v1/ev/chargers/*/history", "AIG."},
      {"POST /api/v1/ev/chargers/*/start", "AIG."},
      {"POST /api/v1/ev/chargers/*/stop", "AIG."},
      {"PUT /api/v1/ev/chargers/*/current-limit", "AIG."},
      {"GET /api/v1/history/series", "AI.U"},
      {"GET /api/v1/history/chart", "AI.U"},
      {"GET /api/v1/history/totals", "AI.U"},
      {"GET /api/v1/history/tree", "AI.U"},
      {"GET /api/v1/history/csv", "AI.U"},
      {"POST /api/v1/history/acknowledge", "A..."},
      {"GET /api/v1/files", "AIGU"},
      {"GET /api/v1/files/*", "AIGU"},
      {"GET /api/v1/files/*/*", "AIGU"},
      {"POST /api/v1/reports/test", "A..."},
      {"GET /api/v1/reports/status", "A..."},
      {"GET /api/v1/config/backup", "A..."},
      {"POST /api/v1/config/restore", "A..."},
      {"GET /api/v1/system/version", "AIGU"},
      {"GET /api/v1/system/time", "AIGU"},
      {"PUT /api/v1/system/time", "A..."},
      {"GET /api/v1/system/ntp", "AIGU"},
      {"GET /api/v1/system/network", "AI.."},
      {"GET /api/v1/system/logs", "AI.."},
      {"POST /api/v1/system/restart", "A..."},
      {"GET /api/v1/system/certificate", "AIGU"},
      {"PUT /api/v1/system/certificate", "A..."},
      {"GET /api/v1/system/ca-certificate", "P"},
      {"GET /api/v1/audit", "A..."},
      {"GET /api/v1/users", "A..."},
      {"POST /api/v1/users/*/reset", "A..."},
      {"GET /api/v1/config/network", "AI.."},
      {"PUT /api/v1/config/network", "AI.."},
      {"POST /api/v1/config/network/validate", "AI.."},
      {"GET /api/v1/config/site", "AI.."},
      {"PUT /api/v1/config/site", "AI.."},
      {"POST /api/v1/config/site/validate", "AI.."},
      {"GET /api/v1/profiles", "AI.."},
      {"GET /api/v1/config/rs485", "AI.."},
      {"PUT /api/v1/config/rs485", "AI.."},
      {"POST /api/v1/config/rs485/validate", "AI.."},
      {"GET /api/v1/config/model", "A..."},
      {"PUT /api/v1/config/model", "A..."},
      {"POST /api/v1/config/model/validate", "A..."},
      {"GET /api/v1/config/devices", "AI.."},
      {"PUT /api/v1/config/devices", "AI.."},
      {"POST /api/v1/config/devices/validate", "AI.."},
      {"GET /api/v1/config/pulse-counters", "AI.."},
      {"PUT /api/v1/config/pulse-counters", "AI.."},
      {"POST /api/v1/config/pulse-counters/validate", "AI.."},
      {"GET /api/v1/config/ip-gateways", "AI.."},
      {"PUT /api/v1/config/ip-gateways", "AI.."},
      {"POST /api/v1/config/ip-gateways/validate", "AI.."},
      {"GET /api/v1/config/modbus-gateway", "AI.."},
      {"PUT /api/v1/config/modbus-gateway", "AI.."},
      {"POST /api/v1/config/modbus-gateway/validate", "AI.."},
      {"GET /api/v1/config/consumption-tree", "A..."},
      {"PUT /api/v1/config/consumption-tree", "A..."},
      {"POST /api/v1/config/consumption-tree/validate", "A..."},
      {"GET /api/v1/config/tariffs", "A..."},
      {"PUT /api/v1/config/tariffs", "A..."},
      {"POST /api/v1/config/tariffs/validate", "A..."},
      {"GET /api/v1/config/reports", "A..."},
      {"PUT /api/v1/config/reports", "A..."},
      {"POST /api/v1/config/reports/validate", "A..."},
      {"GET /api/v1/config/storage", "A..."},
      {"PUT /api/v1/config/storage", "A..."},
      {"POST /api/v1/config/storage/validate", "A..."},
      {"GET /api/v1/config/users", "A..."},
      {"PUT /api/v1/config/users", "A..."},
      {"POST /api/v1/config/users/validate", "A..."},
  };
  return *expected;
}

// A concrete path for a pattern ("*" -> "x1").
std::string Concrete(absl::string_view pattern) {
  std::string path;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '*') {
      path += "x1";
    } else {
      path += pattern[i];
    }
  }
  return path;
}

TEST(PermissionsTest, EveryRouteTimesEveryRole) {
  std::set<std::string> seen;
  for (const Route& route : Routes()) {
    const std::string key = absl::StrCat(route.method, " ", route.pattern);
    SCOPED_TRACE(key);
    ASSERT_TRUE(seen.insert(key).second) << "route listed twice";
    auto it = Expected().find(key);
    ASSERT_NE(it, Expected().end()) << "route missing from the test table";
    const std::string& want = it->second;

    absl::StatusOr<RouteAccess> access =
        LookupRoute(route.method, Concrete(route.pattern));
    ASSERT_THAT(access, IsOk());
    // Without a session only public routes are allowed.
    EXPECT_EQ(Authorize(*access, std::nullopt) == Decision::kAllow,
              want == "P");
    for (int i = 0; i < 4; ++i) {
      const Role role = kAllRoles[i];
      SCOPED_TRACE(RoleName(role));
      const bool allowed = want == "P" || want[i] != '.';
      const Decision decision = Authorize(*access, Principal{role, false});
      EXPECT_EQ(decision, allowed ? Decision::kAllow : Decision::kForbidden);
      // With codes still to change, only public and "*" routes pass.
      const bool before_change =
          want == "P" || (want.size() == 5 && want[4] == '*');
      const Decision restricted = Authorize(*access, Principal{role, true});
      if (before_change) {
        EXPECT_EQ(restricted, Decision::kAllow);
      } else {
        EXPECT_EQ(restricted, Decision::kMustChangeCodes);
      }
    }
  }
  EXPECT_EQ(seen.size(), Expected().size())
      << "the test table lists routes that do not exist";
}

TEST(PermissionsTest, MatrixRowsHaveNamesAndAdministratorHoldsAll) {
  std::set<std::string> names;
  for (int i = 0; i < kPermissionCount; ++i) {
    const auto permission = static_cast<Permission>(i);
    EXPECT_FALSE(PermissionName(permission).empty());
    names.insert(std::string(PermissionName(permission)));
    EXPECT_TRUE(HasPermission(config::v1::ROLE_ADMINISTRATOR, permission));
    EXPECT_FALSE(HasPermission(config::v1::ROLE_UNSPECIFIED, permission));
  }
  EXPECT_EQ(names.size(), static_cast<size_t>(kPermissionCount));
}

TEST(PermissionsTest, UserChangesNothing) {
  // The "user" role is read-only: no route it may call changes state.
  for (const Route& route : Routes()) {
    if (route.method == "GET") continue;
    if (route.access.kind != RouteAccess::Kind::kPermission) continue;
    EXPECT_FALSE(HasPermission(config::v1::ROLE_USER, route.access.permission))
        << route.method << " " << route.pattern;
  }
}

TEST(PermissionsTest, RoleNamesRoundTrip) {
  for (Role role : kAllRoles) {
    EXPECT_EQ(ParseRoleName(RoleName(role)), role);
  }
  EXPECT_EQ(ParseRoleName("Administrator"), std::nullopt);
  EXPECT_EQ(ParseRoleName(""), std::nullopt);
  EXPECT_EQ(RoleName(config::v1::ROLE_UNSPECIFIED), "");
}

TEST(PermissionsTest, RejectsNonCanonicalPaths) {
  for (const char* path :
       {"", "api/v1/health", "/api/v1/../v1/health", "/api/v1/./health",
        "/api//v1/health", "/api/v1/%2e%2e/health", "/api/v1/health%00",
        "/api\\v1\\health", "/api/v1/health/", "/api/v1/he\nalth",
        "/api/v1/devices/%2F"}) {
    SCOPED_TRACE(path);
    EXPECT_THAT(LookupRoute("GET", path),
                StatusIs(absl::StatusCode::kInvalidArgument));
  }
}

TEST(PermissionsTest, UnknownPathAndWrongMethod) {
  EXPECT_THAT(LookupRoute("GET", "/api/v1/nope"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(LookupRoute("GET", "/api/v1/devices/a/b/c"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(LookupRoute("GET", "/api/v1/devices/a/valuesx"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(LookupRoute("GET", "/api/v1/healthz"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(LookupRoute("GET", "/api/v1"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(LookupRoute("DELETE", "/api/v1/health"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  EXPECT_THAT(LookupRoute("get", "/api/v1/health"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

// The register test names an address not configured as <line>:<address>
// (docs/api.md): the same rule as for a configured device.
TEST(PermissionsTest, RegisterTestOnAnAddressNotConfigured) {
  absl::StatusOr<RouteAccess> access =
      LookupRoute("POST", "/api/v1/devices/rs485:12/registers");
  ASSERT_TRUE(access.ok()) << access.status();
  EXPECT_EQ(access->permission, Permission::kRegisterTest);
  EXPECT_EQ(Authorize(*access, Principal{config::v1::ROLE_INSTALLER}),
            Decision::kAllow);
  EXPECT_EQ(Authorize(*access, Principal{config::v1::ROLE_GREENUP}),
            Decision::kForbidden);
}

TEST(PermissionsTest, UnknownRoleIsUnauthenticated) {
  absl::StatusOr<RouteAccess> access = LookupRoute("GET", "/api/v1/session");
  ASSERT_THAT(access, IsOk());
  EXPECT_EQ(Authorize(*access, Principal{config::v1::ROLE_UNSPECIFIED, false}),
            Decision::kUnauthenticated);
}

}  // namespace
}  // namespace ews::security
