#include "apps/server/api_config.h"

#include <sys/stat.h>

#include <cstdlib>
#include <map>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/files.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/config/config_store.h"
#include "sdk/config/test_util.h"
#include "sdk/config/text_json.h"

namespace ews::server {
namespace {

using ::ews::testing::IsOk;
using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

class ConfigApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    mkdir(dir_.c_str(), 0700);
    store_ = std::make_unique<config::ConfigStore>(dir_, clock_);
    ASSERT_THAT(store_->Save(config::testing::RichConfig()), IsOk());
    absl::StatusOr<std::unique_ptr<security::AuditLog>> audit =
        security::AuditLog::Open(dir_ + "/audit", clock_);
    ASSERT_THAT(audit, IsOk());
    audit_ = *std::move(audit);
    MakeApi(nullptr);
  }

  void MakeApi(ConfigApi::ApplyListener listener) {
    api_ = std::make_unique<ConfigApi>(*store_, *audit_, std::move(listener));
    handlers_.clear();
    for (ApiRoute& route : api_->Routes()) {
      handlers_[route.method + " " + route.path] = route.handler;
    }
  }

  // As the server dispatches: exact path, else the "*" route.
  http::Response Call(const std::string& method, const std::string& path,
                      const std::string& body = "") {
    http::Request request;
    request.method = method;
    request.path = path;
    request.body = body;
    request.remote_address = "192.0.2.7";
    security::SessionInfo session;
    session.role = config::v1::ROLE_INSTALLER;
    auto it = handlers_.find(method + " " + path);
    if (it == handlers_.end()) {
      for (it = handlers_.begin(); it != handlers_.end(); ++it) {
        const size_t space = it->first.find(' ');
        if (it->first.substr(0, space) == method &&
            http::PathMatches(it->first.substr(space + 1), path)) {
          break;
        }
      }
    }
    if (it == handlers_.end()) return http::Response::Error(404, path);
    return it->second(request, session);
  }

  std::string ConfigFile() {
    absl::StatusOr<std::string> text =
        ReadFileToString(store_->config_path(), 1 << 20);
    EXPECT_THAT(text, IsOk());
    return text.value_or("");
  }

  config::v1::DeviceConfig Stored() {
    absl::StatusOr<config::v1::DeviceConfig> config = store_->Load();
    EXPECT_THAT(config, IsOk());
    return config.value_or(config::v1::DeviceConfig());
  }

  std::vector<security::AuditEntry> AuditEntries() {
    absl::StatusOr<std::vector<security::AuditEntry>> entries =
        audit_->Read(100, 0);
    EXPECT_THAT(entries, IsOk());
    return entries.value_or(std::vector<security::AuditEntry>());
  }

  std::string dir_;
  SimulatedClock clock_{absl::FromUnixSeconds(1796600000)};
  std::unique_ptr<config::ConfigStore> store_;
  std::unique_ptr<security::AuditLog> audit_;
  std::unique_ptr<ConfigApi> api_;
  std::map<std::string, SessionHandler> handlers_;
};

TEST_F(ConfigApiTest, SectionsHideSecrets) {
  http::Response reports = Call("GET", "/api/v1/config/reports");
  ASSERT_EQ(reports.status, 200) << reports.body;
  EXPECT_THAT(reports.body, HasSubstr(R"("password":"[REDACTED]")"));
  EXPECT_THAT(reports.body, Not(HasSubstr("smtp-secret")));
  http::Response users = Call("GET", "/api/v1/config/users");
  ASSERT_EQ(users.status, 200) << users.body;
  EXPECT_THAT(users.body, HasSubstr(R"("role":"ROLE_INSTALLER")"));
  EXPECT_THAT(users.body, HasSubstr(R"("hash":"")"));
  EXPECT_THAT(users.body, HasSubstr(R"("salt":"")"));
}

// What GET shows, PUT takes back unchanged: the UI's form round trip. A
// redacted password sent back keeps the stored one.
TEST_F(ConfigApiTest, EverySectionRoundTripsWithoutChange) {
  const std::string before = ConfigFile();
  for (const ConfigSection& section : ConfigSections()) {
    if (section.name == std::string("users")) continue;
    const std::string path = absl::StrCat("/api/v1/config/", section.name);
    http::Response got = Call("GET", path);
    ASSERT_EQ(got.status, 200) << path << ": " << got.body;
    http::Response put = Call("PUT", path, got.body);
    ASSERT_EQ(put.status, 200) << path << ": " << put.body;
    EXPECT_THAT(put.body, HasSubstr(R"("changed_sections":[])")) << path;
    EXPECT_THAT(put.body, HasSubstr(R"("restart_required":false)")) << path;
  }
  EXPECT_EQ(ConfigFile(), before);
}

TEST_F(ConfigApiTest, ApplySavesAuditsAndSaysARestartIsNeeded) {
  http::Response put = Call("PUT", "/api/v1/config/rs485", R"({"rs485":{
      "device":"/dev/ttyS1","baud_rate":9600,"parity":"PARITY_EVEN",
      "stop_bits":"STOP_BITS_ONE","response_timeout_ms":300}})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_THAT(put.body, HasSubstr(R"("changed_sections":["rs485"])"));
  EXPECT_THAT(
      put.body,
      HasSubstr(R"({"field":"rs485.baud_rate","from":"19200","to":"9600"})"));
  EXPECT_THAT(put.body, HasSubstr(R"("restart_required":true,)"
                                  R"("needs_restart":["rs485"])"));
  EXPECT_EQ(Stored().rs485().baud_rate(), 9600u);
  std::vector<security::AuditEntry> audit = AuditEntries();
  ASSERT_FALSE(audit.empty());
  const security::AuditEntry& entry = audit.front();
  EXPECT_EQ(entry.action, "config.rs485");
  EXPECT_EQ(entry.actor, "installer");
  EXPECT_EQ(entry.client_address, "192.0.2.7");
  EXPECT_EQ(entry.outcome, "ok");
  EXPECT_THAT(entry.changes, ::testing::Contains(security::AuditChange{
                                 "rs485.baud_rate", "19200", "9600"}));
}

TEST_F(ConfigApiTest, LiveSectionsNeedNoRestart) {
  MakeApi([](const config::v1::DeviceConfig&, const config::v1::DeviceConfig&,
             const std::vector<std::string>& changed) {
    std::vector<std::string> live;
    for (const std::string& field : changed) {
      if (field == "storage") live.push_back(field);
    }
    return live;
  });
  http::Response put = Call("PUT", "/api/v1/config/storage",
                            R"({"storage":{"minute_tier_days":30,
                                "hour_tier_days":1095,
                                "non_counter_budget_bytes":"268435456"}})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_THAT(put.body, HasSubstr(R"("applied_live":["storage"])"));
  EXPECT_THAT(put.body, HasSubstr(R"("restart_required":false,)"
                                  R"("needs_restart":[])"));
}

TEST_F(ConfigApiTest, ValidateNamesTheFieldAndWritesNothing) {
  const std::string before = ConfigFile();
  http::Response bad = Call("POST", "/api/v1/config/rs485/validate",
                            R"({"rs485":{"baud_rate":14400}})");
  ASSERT_EQ(bad.status, 200) << bad.body;
  EXPECT_THAT(bad.body, HasSubstr(R"("valid":false)"));
  EXPECT_THAT(bad.body, HasSubstr(R"({"field":"rs485.baud_rate","message":)"));
  http::Response good = Call("POST", "/api/v1/config/network/validate",
                             Call("GET", "/api/v1/config/network").body);
  ASSERT_EQ(good.status, 200) << good.body;
  EXPECT_THAT(good.body, HasSubstr(R"("valid":true)"));
  EXPECT_EQ(ConfigFile(), before);
  EXPECT_TRUE(AuditEntries().empty());
}

// The site's name (commissioning, step 2): its own section, validated like
// the others.
TEST_F(ConfigApiTest, SiteNameIsASection) {
  http::Response bad =
      Call("POST", "/api/v1/config/site/validate", R"({"site":{"name":""}})");
  ASSERT_EQ(bad.status, 200) << bad.body;
  EXPECT_THAT(bad.body, HasSubstr(R"({"field":"site.name","message":)"));
  http::Response put =
      Call("PUT", "/api/v1/config/site", R"({"site":{"name":"Plant 2"}})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_THAT(put.body, HasSubstr(R"("changed_sections":["site"])"));
  EXPECT_EQ(Stored().site().name(), "Plant 2");
  EXPECT_THAT(Call("GET", "/api/v1/config/site").body,
              HasSubstr(R"("name":"Plant 2")"));
}

TEST_F(ConfigApiTest, BadBodiesGetAStableCodeAndChangeNothing) {
  const std::string before = ConfigFile();
  struct Case {
    std::string path;
    std::string body;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"/api/v1/config/rs485", R"({"rs485":{"baud_rate":9600})", 400,
       "malformed_body"},
      {"/api/v1/config/rs485", "", 400, "malformed_body"},
      {"/api/v1/config/rs485", "[1,2]", 400, "malformed_body"},
      {"/api/v1/config/rs485", R"({"rs485":{"baud":9600}})", 400,
       "unknown_field"},
      {"/api/v1/config/rs485", R"({"rs485":{},"color":1})", 400,
       "unknown_field"},
      {"/api/v1/config/rs485", R"({"network":{}})", 400, "wrong_section"},
      {"/api/v1/config/rs485", R"({"rs485":{},"network":{}})", 400,
       "wrong_section"},
      {"/api/v1/config/rs485", "{}", 400, "invalid_value"},
      {"/api/v1/config/rs485", R"({"rs485":{"baud_rate":"fast"}})", 400,
       "invalid_value"},
      {"/api/v1/config/rs485", R"({"rs485":{"baud_rate":14400}})", 400,
       "invalid_config"},
      {"/api/v1/config/rs485",
       absl::StrCat(R"({"rs485":{"device":")",
                    std::string(ConfigApi::kMaxBodyBytes, 'x'), R"("}})"),
       413, "body_too_large"},
      {"/api/v1/config/users", R"({"users":[]})", 409, "read_only_section"},
      {"/api/v1/devices", R"({"id":"x","bogus":1})", 400, "unknown_field"},
      {"/api/v1/devices", R"({"id":"main","name":"Again","profile":"p",
        "address":9})",
       409, "already_exists"},
      {"/api/v1/config/restore", "not a config {", 400, "malformed_body"},
      {"/api/v1/config/restore", R"({"site":{"name":"x"}})", 400,
       "invalid_config"},
  };
  for (const Case& c : cases) {
    const std::string method = absl::StrContains(c.path, "/devices") ||
                                       absl::StrContains(c.path, "restore")
                                   ? "POST"
                                   : "PUT";
    http::Response response = Call(method, c.path, c.body);
    EXPECT_EQ(response.status, c.status) << c.body.substr(0, 80);
    EXPECT_THAT(response.body,
                HasSubstr(absl::StrCat(R"("code":")", c.code, "\"")))
        << c.body.substr(0, 80) << " -> " << response.body;
  }
  EXPECT_EQ(ConfigFile(), before);
}

TEST_F(ConfigApiTest, InvalidApplyListsTheErrorsAndIsAudited) {
  http::Response put =
      Call("PUT", "/api/v1/config/rs485", R"({"rs485":{"baud_rate":14400}})");
  ASSERT_EQ(put.status, 400);
  EXPECT_THAT(put.body, HasSubstr(R"("code":"invalid_config")"));
  EXPECT_THAT(put.body, HasSubstr(R"({"field":"rs485.baud_rate","message":)"));
  std::vector<security::AuditEntry> audit = AuditEntries();
  ASSERT_EQ(audit.size(), 1u);
  EXPECT_EQ(audit[0].outcome, "refused: invalid");
}

TEST_F(ConfigApiTest, DevicesAreAddedEditedAndRemoved) {
  http::Response added = Call("POST", "/api/v1/devices", R"({
      "id":"boiler","name":"Boiler meter","profile":"legrand/emdx3",
      "address":5})");
  ASSERT_EQ(added.status, 201) << added.body;
  EXPECT_THAT(added.body, HasSubstr(R"("restart_required":true)"));
  config::v1::DeviceConfig stored = Stored();
  ASSERT_EQ(stored.modbus_devices_size(), 4);
  EXPECT_EQ(stored.modbus_devices(3).id(), "boiler");
  EXPECT_TRUE(stored.modbus_devices(3).has_rs485());

  http::Response edited = Call("PUT", "/api/v1/devices/boiler", R"({
      "name":"Boiler","profile":"legrand/emdx3","address":6})");
  ASSERT_EQ(edited.status, 200) << edited.body;
  EXPECT_THAT(
      edited.body,
      HasSubstr(
          R"({"field":"modbus_devices[3].address","from":"5","to":"6"})"));
  EXPECT_EQ(Stored().modbus_devices(3).name(), "Boiler");

  // Address 1 on our line is the main meter's.
  http::Response clash = Call("PUT", "/api/v1/devices/boiler", R"({
      "name":"Boiler","profile":"legrand/emdx3","address":1})");
  EXPECT_EQ(clash.status, 400);
  EXPECT_THAT(clash.body, HasSubstr(R"("field":"modbus_devices[)"));

  EXPECT_EQ(Call("PUT", "/api/v1/devices/nothing", "{}").status, 404);
  EXPECT_EQ(Call("DELETE", "/api/v1/devices/nothing").status, 404);
  ASSERT_EQ(Call("DELETE", "/api/v1/devices/boiler").status, 200);
  EXPECT_EQ(Stored().modbus_devices_size(), 3);
  // The consumption tree still counts the main meter: removing it is refused
  // with the reference named.
  http::Response referenced = Call("DELETE", "/api/v1/devices/main");
  EXPECT_EQ(referenced.status, 400);
  EXPECT_THAT(referenced.body, HasSubstr("consumption_tree"));
  EXPECT_EQ(Stored().modbus_devices_size(), 3);
}

TEST_F(ConfigApiTest, BackupRestoresTheWholeConfigurationWithItsCodes) {
  http::Response backup = Call("GET", "/api/v1/config/backup");
  ASSERT_EQ(backup.status, 200);
  EXPECT_EQ(backup.content_type, "text/plain; charset=utf-8");
  EXPECT_EQ(backup.body, ConfigFile());
  const std::string original = ConfigFile();

  config::v1::DeviceConfig changed = Stored();
  changed.mutable_site()->set_name("Changed");
  changed.mutable_users(0)->mutable_pin()->set_salt(std::string(16, 's'));
  ASSERT_THAT(store_->Save(changed), IsOk());

  http::Response restored = Call("POST", "/api/v1/config/restore", backup.body);
  ASSERT_EQ(restored.status, 200) << restored.body;
  EXPECT_THAT(restored.body, HasSubstr(R"("field":"site.name")"));
  EXPECT_THAT(restored.body, HasSubstr(R"("from":"[REDACTED]")"));
  EXPECT_EQ(ConfigFile(), original);

  // A file that is not a valid configuration changes nothing.
  const std::string truncated = backup.body.substr(0, backup.body.size() / 2);
  EXPECT_EQ(Call("POST", "/api/v1/config/restore", truncated).status, 400);
  EXPECT_EQ(ConfigFile(), original);
  std::vector<security::AuditEntry> audit = AuditEntries();
  ASSERT_GE(audit.size(), 3u);
  EXPECT_EQ(audit.back().action, "config.backup");
}

// A code changed through the Authenticator (another ConfigStore on the same
// directory) survives a section update made from this API.
TEST_F(ConfigApiTest, AnApplyNeverWritesOldCodesBack) {
  config::ConfigStore other(dir_, clock_);
  ASSERT_THAT(other.Update([](config::v1::DeviceConfig& config) {
    config.mutable_users(1)->mutable_pin()->set_hash(std::string(32, 'n'));
    return absl::OkStatus();
  }),
              IsOk());
  http::Response put = Call("PUT", "/api/v1/config/storage",
                            R"({"storage":{"minute_tier_days":30,
                                "hour_tier_days":1095,
                                "non_counter_budget_bytes":"268435456"}})");
  ASSERT_EQ(put.status, 200) << put.body;
  EXPECT_EQ(Stored().users(1).pin().hash(), std::string(32, 'n'));
}

}  // namespace
}  // namespace ews::server
