#include "apps/server/api_session.h"

#include <sys/stat.h>

#include <cstdlib>
#include <map>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/config/config_store.h"
#include "sdk/config/defaults.h"

namespace ews::server {
namespace {

using ::ews::testing::IsOk;
using ::testing::HasSubstr;
using ::testing::Not;

// A browser: keeps the session cookie and the CSRF token it was given.
struct Browser {
  std::string cookie;
  std::string csrf;
  std::string address = "192.0.2.20";
};

// A route of the rest of the server: answers {} once the guard lets it run.
http::Response Empty(const http::Request&,
                     const std::optional<security::SessionInfo>&) {
  return http::Response::Json(200, "{}");
}

class SessionApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    mkdir(dir_.c_str(), 0700);
    config::DefaultConfigOptions defaults;
    defaults.hash_iterations = security::kMinIterations;
    absl::StatusOr<config::v1::DeviceConfig> config =
        config::DefaultConfig(defaults);
    ASSERT_THAT(config, IsOk());
    ASSERT_THAT(config::ConfigStore(dir_, clock_).Save(*config), IsOk());
    security::AuthOptions auth;
    auth.hash_iterations = security::kMinIterations;
    absl::StatusOr<std::unique_ptr<SessionApi>> api =
        SessionApi::Create(dir_, clock_, auth);
    ASSERT_THAT(api, IsOk());
    api_ = *std::move(api);
    for (ApiRoute& route : api_->Routes()) {
      handlers_[route.method + " " + route.path] =
          api_->Guarded(std::move(route.handler));
    }
    // A protected route of the rest of the server.
    handlers_["GET /api/v1/devices"] = api_->Guarded(Empty);
  }

  http::Response Call(Browser& browser, const std::string& method,
                      const std::string& path, const std::string& body = "",
                      const std::string& query = "") {
    http::Request request;
    request.method = method;
    request.path = path;
    request.query = query;
    request.body = body;
    request.remote_address = browser.address;
    if (!browser.cookie.empty()) request.headers["cookie"] = browser.cookie;
    if (!browser.csrf.empty()) request.headers["x-csrf-token"] = browser.csrf;
    auto it = handlers_.find(method + " " + path);
    // Unknown routes go through the guard too, as the server would.
    http::Response response = it != handlers_.end()
                                  ? it->second(request)
                                  : api_->Guarded(Empty)(request);
    for (const auto& [name, value] : response.headers) {
      if (name != "Set-Cookie") continue;
      const size_t end = value.find(';');
      browser.cookie = value.substr(0, end);
      if (browser.cookie.find("=") == browser.cookie.size() - 1) {
        browser.cookie.clear();
      }
    }
    // The page reads the CSRF token from the login / who-am-I answer.
    const size_t at = response.body.find("\"csrf_token\":\"");
    if (at != std::string::npos)
      browser.csrf = response.body.substr(at + 14, 64);
    return response;
  }

  http::Response Login(Browser& browser, const std::string& role,
                       const std::string& pin) {
    return Call(
        browser, "POST", "/api/v1/session/login",
        absl::StrCat(R"({"role":")", role, R"(","pin":")", pin, R"("})"));
  }

  SimulatedClock clock_;
  std::string dir_;
  std::unique_ptr<SessionApi> api_;
  std::map<std::string, http::Handler> handlers_;
};

TEST_F(SessionApiTest, FactoryCodesMustBeChangedBeforeAnythingElse) {
  Browser browser;
  http::Response login = Login(browser, "installer", "55555");
  ASSERT_EQ(login.status, 200) << login.body;
  EXPECT_THAT(login.body, HasSubstr(R"("must_change_pin":true)"));
  EXPECT_THAT(login.body, HasSubstr(R"("must_change_puk":true)"));
  ASSERT_EQ(login.headers.size(), 1u);
  EXPECT_THAT(login.headers[0].second,
              HasSubstr("; Secure; HttpOnly; SameSite=Strict"));
  EXPECT_THAT(login.headers[0].second, HasSubstr("__Host-ews_session="));

  EXPECT_EQ(Call(browser, "GET", "/api/v1/devices").status, 403);
  EXPECT_EQ(Call(browser, "GET", "/api/v1/session").status, 200);
  // A state change without the CSRF token is refused.
  Browser no_csrf = browser;
  no_csrf.csrf.clear();
  const std::string codes =
      R"({"current_pin":"55555","new_pin":"24680","new_puk":"12345 6789 01234"})";
  EXPECT_EQ(Call(no_csrf, "POST", "/api/v1/session/codes", codes).status, 403);
  Browser wrong_csrf = browser;
  wrong_csrf.csrf = std::string(64, 'a');
  EXPECT_EQ(Call(wrong_csrf, "POST", "/api/v1/session/codes", codes).status,
            403);
  http::Response changed =
      Call(browser, "POST", "/api/v1/session/codes", codes);
  ASSERT_EQ(changed.status, 200) << changed.body;
  EXPECT_EQ(Call(browser, "GET", "/api/v1/devices").status, 200);
  // The installer may not read the audit log.
  EXPECT_EQ(Call(browser, "GET", "/api/v1/audit").status, 403);

  ASSERT_EQ(Call(browser, "POST", "/api/v1/session/logout").status, 200);
  EXPECT_TRUE(browser.cookie.empty());
  EXPECT_EQ(Call(browser, "GET", "/api/v1/devices").status, 401);
}

TEST_F(SessionApiTest, LockoutAndPukUnblock) {
  Browser browser;
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(Login(browser, "user", "00001").status, 401);
  }
  http::Response blocked = Login(browser, "user", "11111");
  EXPECT_EQ(blocked.status, 409);
  EXPECT_THAT(blocked.body, HasSubstr("PUK"));
  http::Response unblocked =
      Call(browser, "POST", "/api/v1/session/unblock",
           R"({"role":"user","puk":"00000 1111 00000","new_pin":"24680"})");
  ASSERT_EQ(unblocked.status, 200) << unblocked.body;
  http::Response login = Login(browser, "user", "24680");
  ASSERT_EQ(login.status, 200);
  // The PUK is still the factory one: it must be changed.
  EXPECT_THAT(login.body, HasSubstr(R"("must_change_puk":true)"));
}

TEST_F(SessionApiTest, AdministratorResetsAndReadsTheAudit) {
  Browser admin;
  ASSERT_EQ(Login(admin, "administrator", "99999").status, 200);
  ASSERT_EQ(Call(admin, "POST", "/api/v1/session/codes",
                 R"({"current_pin":"99999","new_pin":"31415",)"
                 R"("new_puk":"27182 8182 84590"})")
                .status,
            200);
  Browser installer{"", "", "192.0.2.30"};
  for (int i = 0; i < 5; ++i) Login(installer, "installer", "00001");
  http::Response reset =
      Call(admin, "POST", "/api/v1/users/installer/reset",
           R"({"new_pin":"12121","new_puk":"34343 4343 43434"})");
  ASSERT_EQ(reset.status, 200) << reset.body;
  http::Response users = Call(admin, "GET", "/api/v1/users");
  EXPECT_THAT(users.body,
              HasSubstr(R"({"role":"installer","blocked":false,)"
                        R"("puk_blocked":false,"pin_failures":0,)"
                        R"("puk_failures":0,"must_change_codes":true})"));
  http::Response login = Login(installer, "installer", "12121");
  ASSERT_EQ(login.status, 200);
  EXPECT_THAT(login.body, HasSubstr(R"("must_change_pin":true)"));

  http::Response audit = Call(admin, "GET", "/api/v1/audit", "", "limit=50");
  ASSERT_EQ(audit.status, 200);
  for (const char* action :
       {"auth.login", "auth.codes_changed", "auth.login_failed", "auth.blocked",
        "auth.codes_reset"}) {
    EXPECT_THAT(audit.body, HasSubstr(absl::StrCat("\"", action, "\"")));
  }
  EXPECT_THAT(audit.body, HasSubstr(R"("address":"192.0.2.30")"));
  for (const char* code : {"99999", "31415", "27182", "12121", "34343"}) {
    EXPECT_THAT(audit.body, Not(HasSubstr(code)));
  }
  EXPECT_EQ(Call(admin, "GET", "/api/v1/audit", "", "limit=0").status, 400);
  EXPECT_EQ(Call(admin, "GET", "/api/v1/audit", "", "x=1").status, 400);
  EXPECT_THAT(Call(admin, "GET", "/api/v1/audit", "", "limit=5&limit=6").body,
              HasSubstr("given twice"));
  EXPECT_THAT(Call(admin, "GET", "/api/v1/audit", "", "limit=%35").body,
              HasSubstr(R"("entries":[)"));
  // Another user cannot reset codes.
  EXPECT_EQ(Call(installer, "POST", "/api/v1/users/user/reset",
                 R"({"new_pin":"12121","new_puk":"34343 4343 43434"})")
                .status,
            403);
}

TEST_F(SessionApiTest, BadRequestsChangeNothing) {
  Browser browser;
  for (const char* body :
       {"", "{", "[]", "null", R"({"role":"user"})",
        R"({"role":"user","pin":"11111","extra":1})",
        R"({"role":"root","pin":"11111"})", R"({"role":"user","pin":11111})"}) {
    http::Response response =
        Call(browser, "POST", "/api/v1/session/login", body);
    EXPECT_EQ(response.status, 400) << body << " -> " << response.body;
  }
  for (const char* path : {"/api/v1/../v1/devices", "/api/v1/%2e%2e/devices",
                           "/api//v1/devices", "/api/v1/devices/"}) {
    EXPECT_EQ(Call(browser, "GET", path).status, 400) << path;
  }
  EXPECT_EQ(Call(browser, "GET", "/api/v1/nothing").status, 404);
  EXPECT_EQ(Call(browser, "DELETE", "/api/v1/session").status, 405);
  EXPECT_EQ(Call(browser, "GET", "/api/v1/devices").status, 401);
  // Nothing was counted as a wrong PIN.
  EXPECT_EQ(Login(browser, "user", "11111").status, 200);
}

TEST_F(SessionApiTest, SessionsExpireOnTheInjectedClock) {
  Browser browser;
  ASSERT_EQ(Login(browser, "user", "11111").status, 200);
  ASSERT_EQ(Call(browser, "POST", "/api/v1/session/codes",
                 R"({"current_pin":"11111","new_pin":"24680",)"
                 R"("new_puk":"12345 6789 01234"})")
                .status,
            200);
  clock_.Advance(absl::Minutes(14));
  EXPECT_EQ(Call(browser, "GET", "/api/v1/devices").status, 200);
  clock_.Advance(absl::Minutes(15));
  EXPECT_EQ(Call(browser, "GET", "/api/v1/devices").status, 401);
}

}  // namespace
}  // namespace ews::server
