#include "apps/server/field_bus.h"

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include "absl/strings/match.h"
#include "apps/server/board.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/config/test_util.h"
#include "sdk/devices/codec.h"
#include "sdk/devices/profile_registry.h"
#include "sdk/hal/led/fake_leds.h"
#include "sdk/hal/pulse/fake_pulse_counter.h"
#include "sdk/hal/rtc/fake_rtc.h"
#include "sdk/hal/serial/fake_serial_port.h"
#include "sdk/modbus/register_bank.h"
#include "sdk/modbus/rtu_slave.h"

namespace ews::server {
namespace {

using ::ews::testing::IsOk;
using ::testing::HasSubstr;
namespace v1 = ::ews::devices::v1;

constexpr char kProfile[] = "mccb_measurement_unit";
constexpr int kBreaker = 1;  // answers
constexpr int kSilent = 2;   // nothing on the line answers for it

// A board whose RS485 port is `port` (the field bus's end of the fake line);
// the rest are the HAL's fakes.
class FakeBoard final : public Board {
 public:
  explicit FakeBoard(std::unique_ptr<hal::SerialPort> port)
      : port_(std::move(port)) {}

  absl::StatusOr<std::unique_ptr<hal::SerialPort>> OpenSerialPort(
      const std::string& device, const hal::SerialSettings& settings) override {
    opened_device_ = device;
    opened_settings_ = settings;
    if (port_ == nullptr) return absl::UnavailableError("port in use");
    return std::move(port_);
  }
  BoardLeds OpenLeds(Clock& clock) override {
    return {std::make_unique<hal::FakeLeds>(&clock), nullptr};
  }
  BoardRtc OpenRtc(Clock& system) override {
    return {std::make_unique<hal::FakeRtc>(&system, system.WallNow()),
            "simulated", absl::OkStatus()};
  }
  absl::StatusOr<BoardPulseCounter> OpenPulseCounter(
      const config::v1::DeviceConfig&, Clock&) override {
    return BoardPulseCounter{std::make_unique<hal::FakePulseCounter>(), "fake",
                             absl::OkStatus()};
  }

  std::string opened_device_;
  hal::SerialSettings opened_settings_;

 private:
  std::unique_ptr<hal::SerialPort> port_;
};

class FieldBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<devices::ProfileRegistry> registry =
        devices::ProfileRegistry::BuiltIn();
    ASSERT_THAT(registry, IsOk());
    registry_ = *std::move(registry);
    Populate(*registry_.Find(kProfile));

    // The two ends of the fake RS485 line, joined by a thread that carries
    // each end's writes to the other's input; the device end is an RtuSlave.
    auto bus_end = std::make_unique<hal::FakeSerialPort>();
    bus_end_ = bus_end.get();
    board_ = std::make_unique<FakeBoard>(std::move(bus_end));
    absl::StatusOr<std::unique_ptr<modbus::RtuSlave>> slave =
        modbus::RtuSlave::Start(&device_end_);
    ASSERT_THAT(slave, IsOk());
    slave_ = *std::move(slave);
    slave_->AddUnit(kBreaker, &bank_);
    wire_ = std::thread([this] { CarryBytes(); });
  }

  void TearDown() override {
    if (bus_ != nullptr) bus_->Stop();
    stop_ = true;
    wire_.join();
    slave_.reset();
    bus_.reset();
  }

  // Every register of `profile`: V1-N 230.000 V, everything else raw 100
  // (sign registers 0: positive).
  void Populate(const v1::Profile& profile) {
    devices::RegisterImage image;
    for (const v1::Quantity& q : profile.quantities()) {
      devices::RawValue raw = devices::RawValue::Unsigned(100);
      if (q.id() == "v1n") raw = devices::RawValue::Unsigned(230000);
      if (absl::EndsWith(q.id(), "_sign")) raw = devices::RawValue::Unsigned(0);
      if (devices::IsSignedType(q.type())) raw = devices::RawValue::Signed(-5);
      if (q.type() == v1::DATA_TYPE_FLOAT32)
        raw = devices::RawValue::Float(1.5f);
      ASSERT_THAT(devices::EncodeQuantity(profile, q, raw, image), IsOk());
    }
    for (uint32_t a = 0; a < 0x10000; ++a) {
      auto word = image.Get(v1::TABLE_HOLDING_REGISTERS, a, 1);
      if (word.ok()) bank_.SetHolding(a, *word);
    }
  }

  void CarryBytes() {
    size_t to_device = 0;
    size_t to_bus = 0;
    while (!stop_) {
      std::vector<uint8_t> written = bus_end_->written();
      if (written.size() > to_device) {
        device_end_.QueueInput({written.begin() + to_device, written.end()});
        to_device = written.size();
      }
      written = device_end_.written();
      if (written.size() > to_bus) {
        bus_end_->QueueInput({written.begin() + to_bus, written.end()});
        to_bus = written.size();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

  config::v1::DeviceConfig Config() {
    config::v1::DeviceConfig config = config::testing::FactoryConfig();
    config.mutable_rs485()->set_device("/dev/ttyRS485-fake");
    config.mutable_rs485()->set_response_timeout_ms(300);
    config.mutable_rs485()->set_retries(0);
    config.mutable_rs485()->set_absent_after_misses(2);
    auto add = [&config](const char* id, const char* name, int address) {
      config::v1::ModbusDevice* device = config.add_modbus_devices();
      device->set_id(id);
      device->set_name(name);
      device->set_profile(kProfile);
      device->set_address(address);
    };
    add("breaker", "Main breaker", kBreaker);
    add("silent", "Missing breaker", kSilent);
    return config;
  }

  void StartBus() {
    FieldBusOverrides overrides;
    overrides.modbus_port = -1;
    absl::StatusOr<std::unique_ptr<FieldBus>> bus = FieldBus::Start(
        Config(), overrides, SystemClock::Get(), registry_, nullptr, *board_);
    ASSERT_THAT(bus, IsOk());
    bus_ = *std::move(bus);
  }

  // Waits (at most 20 s) until `done` holds.
  template <typename Predicate>
  bool Eventually(Predicate done) {
    for (int i = 0; i < 2000; ++i) {
      if (done()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  }

  devices::ProfileRegistry registry_;
  modbus::RegisterBank bank_{/*open=*/true};
  hal::FakeSerialPort device_end_;
  hal::FakeSerialPort* bus_end_ = nullptr;  // owned by board_, then bus_
  std::unique_ptr<FakeBoard> board_;
  std::unique_ptr<hal::SerialPort> taken_;  // the port, taken from the board
  std::unique_ptr<modbus::RtuSlave> slave_;
  std::atomic<bool> stop_{false};
  std::thread wire_;
  std::unique_ptr<FieldBus> bus_;
};

TEST_F(FieldBusTest, OpensTheConfiguredPortOnTheBoard) {
  StartBus();
  EXPECT_EQ(board_->opened_device_, "/dev/ttyRS485-fake");
  EXPECT_EQ(board_->opened_settings_.ToString(), "19200 8E1");
  EXPECT_THAT(bus_->DevicesJson(),
              HasSubstr(R"({"name":"rs485","available":true})"));
  EXPECT_THAT(bus_->LineNamed("rs485"), IsOk());
}

TEST_F(FieldBusTest, PollsTheDeviceThatAnswersAndReportsItOnline) {
  StartBus();
  ASSERT_TRUE(Eventually([&] {
    std::optional<acquisition::PollResult> latest = bus_->Latest("breaker");
    return latest.has_value() && latest->status.ok();
  }));
  const acquisition::PollResult latest = *bus_->Latest("breaker");
  bool found = false;
  for (const acquisition::Sample& sample : latest.samples) {
    if (sample.quantity_id != "v1n") continue;
    found = true;
    EXPECT_DOUBLE_EQ(sample.value, 230.0);
    EXPECT_EQ(sample.unit, "V");
  }
  EXPECT_TRUE(found);
  const std::string json = bus_->DevicesJson();
  EXPECT_THAT(json, HasSubstr(R"("id":"breaker","name":"Main breaker",)"
                              R"("profile":"mccb_measurement_unit",)"
                              R"("line":"rs485","online":true,"state":"ok")"));
  EXPECT_THAT(json,
              HasSubstr(R"({"quantity":"v1n","name":"V1-N","value":230,)"));
}

TEST_F(FieldBusTest, ReportsTheSilentDeviceOfflineThenAbsent) {
  StartBus();
  ASSERT_TRUE(Eventually([&] {
    std::optional<acquisition::PollResult> latest = bus_->Latest("silent");
    return latest.has_value() && !latest->status.ok();
  }));
  ASSERT_TRUE(Eventually([&] {
    return absl::StrContains(bus_->DevicesJson(),
                             R"("link":{"state":"absent")");
  }));
  EXPECT_THAT(bus_->DevicesJson(),
              HasSubstr(R"("id":"silent","name":"Missing breaker",)"
                        R"("profile":"mccb_measurement_unit",)"
                        R"("line":"rs485","online":false,)"));
  // The silent unit does not take the answering one down with it.
  EXPECT_TRUE(Eventually([&] {
    return absl::StrContains(bus_->DevicesJson(),
                             R"("id":"breaker","name":"Main breaker",)"
                             R"("profile":"mccb_measurement_unit",)"
                             R"("line":"rs485","online":true,"state":"ok")");
  }));
}

TEST_F(FieldBusTest, ALineThatCannotBeOpenedIsReportedAndTheRestRuns) {
  // The board's only port is taken: the field bus starts without its line.
  absl::StatusOr<std::unique_ptr<hal::SerialPort>> taken =
      board_->OpenSerialPort("/dev/other", {});
  ASSERT_THAT(taken, IsOk());
  taken_ = *std::move(taken);
  StartBus();
  EXPECT_THAT(bus_->DevicesJson(),
              HasSubstr(R"({"name":"rs485","available":false,)"
                        R"("problem":"port in use"})"));
  EXPECT_FALSE(bus_->LineNamed("rs485").ok());
  EXPECT_FALSE(bus_->ScanRs485(1, 2).ok());
}

}  // namespace
}  // namespace ews::server
