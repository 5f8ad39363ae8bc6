#include "apps/server/api_devices.h"

#include <cstdlib>
#include <map>
#include <optional>
#include <set>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "apps/server/board.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/config/test_util.h"
#include "sdk/modbus/fake_client.h"
#include "sdk/modbus/gateway_server.h"
#include "sdk/storage/store.h"

namespace ews::server {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr uint8_t kCharger = 3;
constexpr uint8_t kBreaker = 4;
// A breaker whose registers do not exist: it refuses everything with
// exception 02 (deterministic, whatever the poller asks in between).
constexpr uint8_t kRefusingBreaker = 5;

// The field bus reaches the devices through a real Modbus TCP line (an IP
// gateway on loopback) whose far end is a FakeClient: the path of the
// register test, commands and scans is the product's, down to the socket.
class DevicesApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_.AddUnit(kCharger, /*open=*/true).SetHolding(0x0300, {17750});
    fake_.AddUnit(kBreaker, /*open=*/true);
    fake_.AddUnit(kRefusingBreaker, /*open=*/false);
    fake_.AddUnit(9, /*open=*/true).SetHolding(0x1000, {0x4148, 0x0000});
    modbus::GatewayOptions far_end;
    far_end.bind_address = "127.0.0.1";
    far_end.port = 0;
    modbus::GatewayRoute route;
    route.first_unit = 1;
    route.last_unit = 247;
    route.target = &fake_;
    route.name = "fake";
    far_end.routes.push_back(route);
    absl::StatusOr<std::unique_ptr<modbus::GatewayServer>> server =
        modbus::GatewayServer::Start(far_end);
    ASSERT_THAT(server, IsOk());
    far_end_ = *std::move(server);

    config::v1::DeviceConfig config = config::testing::FactoryConfig();
    config.mutable_rs485()->set_device("/nonexistent/ews-rs485");
    config::v1::IpGateway* gateway = config.add_ip_gateways();
    gateway->set_id("gw1");
    gateway->set_name("Loopback gateway");
    gateway->set_host("127.0.0.1");
    gateway->set_port(far_end_->port());
    gateway->set_protocol(config::v1::GATEWAY_PROTOCOL_MODBUS_TCP);
    gateway->set_response_timeout_ms(500);
    auto add = [&config](const char* id, const char* name, const char* profile,
                         int address) {
      config::v1::ModbusDevice* device = config.add_modbus_devices();
      device->set_id(id);
      device->set_name(name);
      device->set_profile(profile);
      device->set_address(address);
      device->mutable_ip_gateway()->set_gateway_id("gw1");
    };
    add("ev1", "Car park charger", "ev_charger_generic", kCharger);
    add("mccb1", "Main breaker", "mccb_measurement_unit", kBreaker);
    add("mccb2", "Feeder breaker", "mccb_measurement_unit", kRefusingBreaker);

    absl::StatusOr<devices::ProfileRegistry> registry =
        devices::ProfileRegistry::BuiltIn();
    ASSERT_THAT(registry, IsOk());
    registry_ =
        std::make_unique<devices::ProfileRegistry>(*std::move(registry));
    FieldBusOverrides overrides;
    overrides.modbus_port = -1;
    overrides.max_watched_per_line = 2;  // below the three devices
    absl::StatusOr<std::unique_ptr<LiveFieldBus>> bus = LiveFieldBus::Start(
        config, overrides, SystemClock::Get(), *registry_, nullptr, board_);
    ASSERT_THAT(bus, IsOk());
    field_bus_ = *std::move(bus);
    config_ = config;
    const std::string dir = absl::StrCat(
        std::getenv("TEST_TMPDIR"), "/",
        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    absl::StatusOr<std::unique_ptr<security::AuditLog>> audit =
        security::AuditLog::Open(dir, SystemClock::Get());
    ASSERT_THAT(audit, IsOk());
    audit_ = *std::move(audit);
    storage::StoreOptions store_options;
    store_options.path = dir + "/history.db";
    absl::StatusOr<std::unique_ptr<storage::Store>> store =
        storage::Store::Open(store_options, &SystemClock::Get(),
                             absl::UTCTimeZone());
    ASSERT_THAT(store, IsOk());
    history_ = *std::move(store);
    api_ = std::make_unique<DevicesApi>([this] { return field_bus_->Get(); },
                                        *registry_, *audit_, SystemClock::Get(),
                                        history_.get());
    for (ApiRoute& route : api_->Routes()) {
      routes_.push_back(std::move(route));
    }
  }

  void TearDown() override {
    api_.reset();
    history_.reset();
    field_bus_.reset();
    far_end_.reset();
  }

  http::Response Call(const std::string& method, const std::string& path,
                      const std::string& body = "") {
    http::Request request;
    request.method = method;
    request.path = path;
    request.body = body;
    return CallRequest(request);
  }

  // As the server dispatches: exact path, else the "*" route.
  http::Response CallRequest(http::Request request) {
    request.remote_address = "192.0.2.8";
    security::SessionInfo session;
    session.role = config::v1::ROLE_INSTALLER;
    for (const ApiRoute& route : routes_) {
      if (route.method == request.method &&
          (route.path == request.path ||
           http::PathMatches(route.path, request.path))) {
        return route.handler(request, session);
      }
    }
    return http::Response::Error(404, request.path);
  }

  uint16_t Holding(uint8_t unit, uint16_t address) {
    return fake_.unit(unit)->holding(address);
  }

  modbus::FakeClient fake_;
  std::unique_ptr<modbus::GatewayServer> far_end_;
  std::unique_ptr<devices::ProfileRegistry> registry_;
  LinuxBoard board_{BoardOptions()};  // no RS485 port: the IP gateway only
  std::unique_ptr<LiveFieldBus> field_bus_;
  config::v1::DeviceConfig config_;
  std::unique_ptr<security::AuditLog> audit_;
  std::unique_ptr<storage::Store> history_;
  std::unique_ptr<DevicesApi> api_;
  std::vector<ApiRoute> routes_;
};

TEST_F(DevicesApiTest, OneDeviceWithItsValuesAndLineHealth) {
  // The first poll runs at start; wait for it (5 s at most).
  http::Response device;
  for (int i = 0; i < 50; ++i) {
    device = Call("GET", "/api/v1/devices/ev1");
    if (absl::StrContains(device.body, R"("state":"ok")")) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  ASSERT_EQ(device.status, 200) << device.body;
  EXPECT_THAT(device.body,
              HasSubstr(R"({"id":"ev1","name":"Car park charger",)"
                        R"("profile":"ev_charger_generic","line":"gw1",)"
                        R"("online":true)"));
  EXPECT_THAT(device.body, HasSubstr(R"("address":3,"link":{"state":)"));
  // The commands its profile declares, with an argument's range: what the
  // pages offer (docs/api.md).
  EXPECT_THAT(device.body, HasSubstr(R"("commands":[{"id":"start","name":)"));
  EXPECT_THAT(
      device.body,
      HasSubstr(
          R"({"id":"set_current_limit","name":"Set )"
          R"(charging current limit","argument":{"min":0,"max":32,"unit":"A"})"));
  EXPECT_THAT(device.body, HasSubstr(R"("state":"ok")"));
  EXPECT_THAT(device.body, HasSubstr(R"("values":[{"quantity":"state")"));
  http::Response values = Call("GET", "/api/v1/devices/ev1/values");
  ASSERT_EQ(values.status, 200);
  EXPECT_THAT(values.body, Not(HasSubstr(R"("link")")));
  EXPECT_THAT(values.body, HasSubstr(R"("values":[{)"));

  // The refusing breaker: its line counts the exceptions.
  http::Response health = Call("GET", "/api/v1/devices/mccb2/health");
  ASSERT_EQ(health.status, 200);
  EXPECT_THAT(health.body, HasSubstr(R"("line":"gw1","address":5)"));
  EXPECT_THAT(health.body, HasSubstr(R"("line_available":true)"));
  EXPECT_THAT(health.body, HasSubstr(R"("line_stats":{)"));
  EXPECT_EQ(Call("GET", "/api/v1/devices/nothing").status, 404);
  EXPECT_EQ(Call("GET", "/api/v1/devices/nothing/health").status, 404);
}

TEST_F(DevicesApiTest, WatchPollsOneDeviceFasterForAWhile) {
  std::shared_ptr<FieldBus> bus = field_bus_->Get();
  // Every 100 ms for 2 s: far more polls than the start-up rhythm (5 s).
  ASSERT_THAT(bus->Watch("ev1", absl::Milliseconds(100), absl::Seconds(2)),
              IsOk());
  std::set<absl::Time> polls;
  for (int i = 0; i < 30 && polls.size() < 4; ++i) {
    std::optional<acquisition::PollResult> latest = bus->Latest("ev1");
    if (latest.has_value()) polls.insert(latest->time);
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_GE(polls.size(), 4u);
  EXPECT_THAT(bus->Watch("nothing", absl::Seconds(1), absl::Seconds(1)),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(DevicesApiTest, PagesCannotWatchEveryDeviceOfALine) {
  std::shared_ptr<FieldBus> bus = field_bus_->Get();
  ASSERT_THAT(bus->Watch("ev1", absl::Seconds(2), absl::Seconds(60)), IsOk());
  ASSERT_THAT(bus->Watch("mccb1", absl::Seconds(2), absl::Seconds(60)), IsOk());
  EXPECT_THAT(bus->Watch("mccb2", absl::Seconds(2), absl::Seconds(60)),
              StatusIs(absl::StatusCode::kResourceExhausted));
  // A page renewing its watch keeps it.
  EXPECT_THAT(bus->Watch("ev1", absl::Seconds(2), absl::Seconds(60)), IsOk());
  // A watch that ended frees its place.
  ASSERT_THAT(bus->Watch("mccb1", absl::Seconds(2), absl::Milliseconds(1)),
              IsOk());
  absl::SleepFor(absl::Milliseconds(20));
  EXPECT_THAT(bus->Watch("mccb2", absl::Seconds(2), absl::Seconds(60)), IsOk());
}

TEST_F(DevicesApiTest, RegisterTestReadsRawWordsAndDecodes) {
  http::Response read = Call("POST", "/api/v1/devices/ev1/registers",
                             R"({"start":768,"type":"u16"})");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_THAT(read.body, HasSubstr(R"("line":"gw1","address":3)"));
  EXPECT_THAT(read.body, HasSubstr(R"("words":[17750],"hex":["0x4556"])"));
  EXPECT_THAT(read.body, HasSubstr(R"("value":17750)"));
  EXPECT_THAT(read.body, HasSubstr(R"("elapsed_ms":)"));
  EXPECT_THAT(read.body, HasSubstr(R"("link":{"state":"online")"));
  EXPECT_THAT(read.body, HasSubstr(R"("line_stats":{"transactions":)"));
}

TEST_F(DevicesApiTest, RegisterTestReachesAnAddressNotConfigured) {
  http::Response read =
      Call("POST", "/api/v1/devices/gw1:9/registers",
           R"({"function":3,"start":4096,"count":2,"type":"float32",
               "word_order":"ABCD"})");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_THAT(read.body, HasSubstr(R"("words":[16712,0])"));
  EXPECT_THAT(read.body, HasSubstr(R"("value":12.5)"));
  http::Response swapped =
      Call("POST", "/api/v1/devices/gw1:9/registers",
           R"({"start":4096,"count":2,"type":"float32","word_order":"CDAB"})");
  ASSERT_EQ(swapped.status, 200) << swapped.body;
  EXPECT_THAT(swapped.body, Not(HasSubstr(R"("value":12.5)")));
}

TEST_F(DevicesApiTest, RegisterTestSaysWhatTheDeviceAnswered) {
  // Unit 9 is not polled: nothing else takes the injected exception.
  fake_.InjectException(9, 0x02);
  http::Response refused =
      Call("POST", "/api/v1/devices/gw1:9/registers", R"({"start":768})");
  EXPECT_EQ(refused.status, 502);
  EXPECT_THAT(refused.body, HasSubstr(R"("code":"device_exception")"));
  EXPECT_THAT(refused.body, HasSubstr("exception 0x02, illegal data address"));
  EXPECT_THAT(refused.body, HasSubstr(R"("exception_code":2)"));

  http::Response silent =
      Call("POST", "/api/v1/devices/gw1:77/registers", R"({"start":0})");
  EXPECT_EQ(silent.status, 504) << silent.body;
  EXPECT_THAT(silent.body, HasSubstr(R"("code":"device_timeout")"));
}

TEST_F(DevicesApiTest, RegisterTestRefusesBadRequests) {
  struct Case {
    std::string path;
    std::string body;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"/api/v1/devices/ev1/registers", R"({"start":1,"colour":2})", 400,
       "unknown_field"},
      {"/api/v1/devices/ev1/registers", R"({"start":1)", 400, "malformed_body"},
      {"/api/v1/devices/ev1/registers", R"({"function":5})", 400,
       "invalid_argument"},
      {"/api/v1/devices/ev1/registers", R"({"count":126})", 400,
       "invalid_argument"},
      {"/api/v1/devices/ev1/registers", R"({"start":65535,"count":2})", 400,
       "invalid_argument"},
      {"/api/v1/devices/ev1/registers", R"({"type":"u128"})", 400,
       "invalid_argument"},
      {"/api/v1/devices/ev1/registers", R"({"type":"u32","count":1})", 400,
       "invalid_argument"},
      {"/api/v1/devices/ev1/registers", R"({"word_order":"XYZW"})", 400,
       "invalid_argument"},
      {"/api/v1/devices/nothing/registers", "{}", 404, "not_found"},
      {"/api/v1/devices/nowhere:3/registers", "{}", 404, "not_found"},
      {"/api/v1/devices/gw1:0/registers", "{}", 400, "invalid_argument"},
      {"/api/v1/devices/rs485:3/registers", "{}", 409, "failed_precondition"},
  };
  for (const Case& c : cases) {
    http::Response response = Call("POST", c.path, c.body);
    EXPECT_EQ(response.status, c.status) << c.path << " " << c.body;
    EXPECT_THAT(response.body,
                HasSubstr(absl::StrCat(R"("code":")", c.code, "\"")))
        << c.path << " " << c.body << " -> " << response.body;
  }
}

TEST_F(DevicesApiTest, CommandsWriteWhatTheProfileSaysAndAreAudited) {
  http::Response open = Call("POST", "/api/v1/devices/mccb1/commands/open");
  ASSERT_EQ(open.status, 200) << open.body;
  EXPECT_THAT(open.body, HasSubstr(R"("status":"done")"));
  EXPECT_EQ(Holding(kBreaker, 0x1180), 1);

  http::Response close = Call("POST", "/api/v1/devices/mccb2/commands/close");
  EXPECT_EQ(close.status, 502);
  EXPECT_THAT(close.body,
              HasSubstr("the Feeder breaker refused \\\"Close\\\": exception "
                        "0x02, illegal data address"));

  http::Response unknown =
      Call("POST", "/api/v1/devices/mccb1/commands/explode");
  EXPECT_EQ(unknown.status, 404);
  EXPECT_THAT(unknown.body, HasSubstr("(it has: open, close"));
  EXPECT_EQ(Call("POST", "/api/v1/devices/mccb1/commands/open",
                 R"({"argument":1,"x":2})")
                .status,
            400);

  absl::StatusOr<std::vector<security::AuditEntry>> audit = audit_->Read(10, 0);
  ASSERT_THAT(audit, IsOk());
  ASSERT_EQ(audit->size(), 2u);  // refused requests never reached the device
  EXPECT_EQ((*audit)[0].action, "device.command");
  EXPECT_EQ((*audit)[0].detail, "mccb2 close");
  EXPECT_THAT((*audit)[0].outcome, HasSubstr("failed:"));
  EXPECT_EQ((*audit)[1].detail, "mccb1 open");
  EXPECT_EQ((*audit)[1].outcome, "ok");
  EXPECT_EQ((*audit)[1].actor, "installer");
}

TEST_F(DevicesApiTest, EvRoutesReachChargersOnly) {
  http::Response list = Call("GET", "/api/v1/ev/chargers");
  ASSERT_EQ(list.status, 200);
  EXPECT_THAT(list.body, HasSubstr(R"("id":"ev1")"));
  EXPECT_THAT(list.body, Not(HasSubstr("mccb1")));
  EXPECT_THAT(list.body, HasSubstr(R"("commands":["start","stop")"));
  EXPECT_THAT(list.body,
              HasSubstr(R"("command_arguments":{"set_current_limit":)"
                        R"({"min":0,"max":32,"unit":"A"})"));

  ASSERT_EQ(Call("POST", "/api/v1/ev/chargers/ev1/start").status, 200);
  EXPECT_EQ(Holding(kCharger, 0x0203), 1);
  ASSERT_EQ(Call("POST", "/api/v1/ev/chargers/ev1/stop").status, 200);
  EXPECT_EQ(Holding(kCharger, 0x0203), 0);
  http::Response limit =
      Call("PUT", "/api/v1/ev/chargers/ev1/current-limit", R"({"amps":16})");
  ASSERT_EQ(limit.status, 200) << limit.body;
  EXPECT_EQ(Holding(kCharger, 0x0200), 160);
  EXPECT_EQ(
      Call("PUT", "/api/v1/ev/chargers/ev1/current-limit", R"({"amps":40})")
          .status,
      400);
  EXPECT_EQ(Holding(kCharger, 0x0200), 160);
  EXPECT_EQ(Call("PUT", "/api/v1/ev/chargers/ev1/current-limit", "").status,
            400);

  // greenUp may start a charger, never open a breaker through these routes.
  EXPECT_EQ(Call("POST", "/api/v1/ev/chargers/mccb1/start").status, 404);
  EXPECT_EQ(Holding(kBreaker, 0x0203), 0);
  EXPECT_EQ(Call("GET", "/api/v1/ev/chargers/mccb1").status, 404);
  http::Response sessions = Call("GET", "/api/v1/ev/chargers/ev1/sessions");
  EXPECT_EQ(sessions.status, 200);
  EXPECT_THAT(sessions.body, HasSubstr(R"("supported":false)"));
}

TEST_F(DevicesApiTest, ProfilesListsTheRegistry) {
  http::Response got = Call("GET", "/api/v1/profiles");
  ASSERT_EQ(got.status, 200) << got.body;
  EXPECT_THAT(got.body, HasSubstr(R"({"id":"ev_charger_generic","name":")"));
  EXPECT_THAT(got.body, HasSubstr(R"("family":"FAMILY_EV_CHARGER"})"));
}

TEST_F(DevicesApiTest, ScanRunsInTheBackgroundAndIdentifiesDevices) {
  http::Response started =
      Call("POST", "/api/v1/scan",
           R"({"line":"gw1","first_address":1,"last_address":10})");
  ASSERT_EQ(started.status, 202) << started.body;
  EXPECT_THAT(started.body, HasSubstr(R"("total":10)"));
  http::Response state;
  for (int i = 0; i < 300; ++i) {  // 30 s at most
    state = Call("GET", "/api/v1/scan");
    if (!absl::StrContains(state.body, R"("state":"running")")) break;
    absl::SleepFor(absl::Milliseconds(100));
  }
  EXPECT_THAT(state.body, HasSubstr(R"("state":"done")"));
  EXPECT_THAT(state.body, HasSubstr(R"("done":10,"total":10)"));
  // Silent addresses behind the gateway (its exception 0x0B) are nobody.
  EXPECT_THAT(state.body, HasSubstr(R"("answered":[3,4,5,9])"));
  EXPECT_THAT(state.body,
              HasSubstr(R"({"address":3,"profile":"ev_charger_generic")"));
  // Unit 9 answers but nothing identifies it: its raw identification is
  // shown.
  EXPECT_THAT(state.body, HasSubstr(R"({"address":9,"profile":null)"));
}

TEST_F(DevicesApiTest, ScanCanBeCancelledAndRunsOneAtATime) {
  fake_.SetLatency(absl::Milliseconds(20));
  ASSERT_EQ(Call("POST", "/api/v1/scan", R"({"line":"gw1"})").status, 202);
  http::Response again = Call("POST", "/api/v1/scan", R"({"line":"gw1"})");
  EXPECT_EQ(again.status, 409);
  EXPECT_THAT(again.body, HasSubstr(R"("code":"scan_running")"));
  http::Response cancelled = Call("DELETE", "/api/v1/scan");
  EXPECT_EQ(cancelled.status, 200);
  EXPECT_THAT(cancelled.body, HasSubstr(R"("state":"cancelled")"));
  EXPECT_EQ(Call("POST", "/api/v1/scan", R"({"first_address":9,
      "last_address":3,"line":"gw1"})")
                .status,
            400);
  EXPECT_EQ(Call("POST", "/api/v1/scan", R"({"line":"gw9"})").status, 404);
}

TEST_F(DevicesApiTest, ChargerHistoryGivesEnergyPerInterval) {
  storage::SeriesSpec spec;
  spec.device_id = "ev1";
  spec.quantity_id = "ea_import";
  spec.kind = storage::SeriesKind::kCounter;
  spec.unit = "Wh";
  absl::StatusOr<storage::SeriesId> series = history_->RegisterSeries(spec);
  ASSERT_THAT(series, IsOk());
  // 1 kWh per hour, sampled every 6 minutes, from 30 h to 6 h ago.
  const absl::Time hour =
      absl::FromUnixSeconds(absl::ToUnixSeconds(absl::Now()) / 3600 * 3600);
  double counter = 5000;
  for (absl::Time t = hour - absl::Hours(30); t <= hour - absl::Hours(6);
       t += absl::Minutes(6), counter += 100) {
    ASSERT_THAT(history_->Append(*series, t, counter), IsOk());
  }
  ASSERT_THAT(history_->Flush(), IsOk());
  ASSERT_THAT(history_->Consolidate(true), IsOk());

  http::Response daily = Call("GET", "/api/v1/ev/chargers/ev1/history");
  ASSERT_EQ(daily.status, 200) << daily.body;
  EXPECT_THAT(daily.body, HasSubstr(R"("resolution":"day")"));
  EXPECT_THAT(daily.body, HasSubstr(R"("quantity":"ea_import")"));

  http::Request request;
  request.method = "GET";
  request.path = "/api/v1/ev/chargers/ev1/history";
  request.query = "days=2&resolution=hour";
  http::Response by_hour = CallRequest(request);
  ASSERT_EQ(by_hour.status, 200) << by_hour.body;
  EXPECT_THAT(by_hour.body, HasSubstr(R"("energy":1000})"));

  request.query = "days=2&resolution=minute";
  EXPECT_EQ(CallRequest(request).status, 400);
  request.query = "weeks=2";
  EXPECT_EQ(CallRequest(request).status, 400);
  request.path = "/api/v1/ev/chargers/mccb1/history";
  request.query = "";
  EXPECT_EQ(CallRequest(request).status, 404);
}

// An applied change of the devices takes effect without a restart: the bus
// is replaced, the API reaches the new devices at once.
TEST_F(DevicesApiTest, ReconfiguredFieldBusServesTheNewDevices) {
  EXPECT_TRUE(LiveFieldBus::Handles("modbus_devices"));
  EXPECT_TRUE(LiveFieldBus::Handles("rs485"));
  EXPECT_FALSE(LiveFieldBus::Handles("tariffs"));
  std::shared_ptr<FieldBus> old = field_bus_->Get();
  config::v1::DeviceConfig changed = config_;
  changed.mutable_modbus_devices()->DeleteSubrange(1, 2);  // mccb1, mccb2
  config::v1::ModbusDevice* added = changed.add_modbus_devices();
  added->set_id("ev2");
  added->set_name("Second charger");
  added->set_profile("ev_charger_generic");
  added->set_address(9);
  added->mutable_ip_gateway()->set_gateway_id("gw1");
  // The same configuration again changes nothing.
  ASSERT_THAT(field_bus_->Reconfigure(config_), IsOk());
  EXPECT_EQ(field_bus_->Get(), old);
  ASSERT_THAT(field_bus_->Reconfigure(changed), IsOk());
  EXPECT_NE(field_bus_->Get(), old);
  // The replaced bus is stopped: whoever still holds it gets Unavailable.
  absl::StatusOr<modbus::LineScheduler*> old_line = old->LineNamed("gw1");
  ASSERT_THAT(old_line, IsOk());
  EXPECT_EQ((*old_line)->ReadHoldingRegisters(kCharger, 0, 1).status().code(),
            absl::StatusCode::kUnavailable);
  old.reset();

  http::Response read = Call("POST", "/api/v1/devices/ev2/registers",
                             R"({"start":4096,"type":"float32"})");
  ASSERT_EQ(read.status, 200) << read.body;
  EXPECT_THAT(read.body, HasSubstr(R"("value":12.5)"));
  EXPECT_EQ(Call("POST", "/api/v1/devices/mccb1/commands/open").status, 404);
  EXPECT_THAT(Call("GET", "/api/v1/ev/chargers").body, HasSubstr("ev2"));
}

// A configuration the bus cannot start on leaves the running one in place.
TEST_F(DevicesApiTest, AReconfigurationThatFailsKeepsTheRunningDevices) {
  config::v1::DeviceConfig bad = config_;
  // Two devices with one id: the poller refuses them (Validate() would too;
  // this is the bus's own last line of defence).
  *bad.add_modbus_devices() = bad.modbus_devices(0);
  EXPECT_FALSE(field_bus_->Reconfigure(bad).ok());
  http::Response read =
      Call("POST", "/api/v1/devices/ev1/registers", R"({"start":768})");
  EXPECT_EQ(read.status, 200) << read.body;
}

}  // namespace
}  // namespace ews::server
