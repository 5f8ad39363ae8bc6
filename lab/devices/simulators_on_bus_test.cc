// The simulators as Modbus RTU slaves (ews::modbus::RtuSlave units) on the
// virtual RS485 bus, read and written by libmodbus as the master (an
// independent peer).
#include <modbus/modbus.h>

#include <cerrno>
#include <memory>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lab/bus/virtual_bus.h"
#include "lab/devices/population.h"
#include "lab/devices/simulated_device.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/devices/profile_registry.h"

namespace ews::lab {
namespace {

using ::ews::testing::IsOk;

class SimulatorsOnBusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = devices::ProfileRegistry::BuiltIn();
    ASSERT_THAT(registry, IsOk());
    registry_ = std::move(*registry);
    BusOptions bus_options;
    bus_options.endpoints = 2;
    bus_options.line.baud_rate = 115200;
    auto bus = VirtualBus::Start(bus_options);
    ASSERT_THAT(bus, IsOk());
    bus_ = std::move(*bus);
    for (auto [address, profile] : std::vector<std::pair<int, const char*>>{
             {5, "emdx3_4_120_45"}, {12, "mccb_measurement_unit"}}) {
      SimulatedDeviceOptions options;
      options.address = address;
      options.reply_delay = absl::Milliseconds(1);
      auto device = SimulatedDevice::Create(*registry_.Find(profile), options,
                                            &model_clock_);
      ASSERT_THAT(device, IsOk());
      devices_.push_back(std::move(*device));
    }
    auto server = ServeDevices(bus_->endpoint_path(1), bus_->line_settings(),
                               {devices_[0].get(), devices_[1].get()});
    ASSERT_THAT(server, IsOk());
    server_ = std::move(*server);

    master_ = modbus_new_rtu(bus_->endpoint_path(0).c_str(), 115200, 'E', 8, 1);
    ASSERT_NE(master_, nullptr);
    ASSERT_EQ(modbus_connect(master_), 0) << modbus_strerror(errno);
    modbus_set_response_timeout(master_, 0, 300000);
  }

  void TearDown() override {
    if (master_ != nullptr) {
      modbus_close(master_);
      modbus_free(master_);
    }
    server_.reset();
  }

  int Read(int unit, int address, int count, uint16_t* out) {
    modbus_set_slave(master_, unit);
    return modbus_read_registers(master_, address, count, out);
  }

  devices::ProfileRegistry registry_;
  SimulatedClock model_clock_;
  std::unique_ptr<VirtualBus> bus_;
  std::vector<std::unique_ptr<SimulatedDevice>> devices_;
  std::unique_ptr<modbus::RtuSlave> server_;
  modbus_t* master_ = nullptr;
};

TEST_F(SimulatorsOnBusTest, ServesEveryDeviceOnTheLineByAddress) {
  uint16_t words[42] = {};
  ASSERT_EQ(Read(5, 0x0300, 1, words), 1) << modbus_strerror(errno);
  EXPECT_EQ(words[0], 4512);
  ASSERT_EQ(Read(12, 0x0300, 1, words), 1) << modbus_strerror(errno);
  EXPECT_EQ(words[0], 0x4D43);
  model_clock_.Advance(absl::Hours(1));
  ASSERT_EQ(Read(5, 0x1000, 42, words), 42) << modbus_strerror(errno);
  EXPECT_NEAR(((words[0] << 16) | words[1]) / 1000.0, 230, 3);  // V1-N
  // The counter on the wire is the simulator's own.
  const uint32_t ea = (uint32_t{words[0x1C]} << 16) | words[0x1D];
  EXPECT_EQ(devices_[0]->RawValueOf("ea_import")->u, ea);
  EXPECT_GT(ea, 0u);
  // Nobody at 7: libmodbus times out.
  EXPECT_EQ(Read(7, 0x0300, 1, words), -1);
  EXPECT_EQ(errno, ETIMEDOUT);
}

TEST_F(SimulatorsOnBusTest, WritesCommandsAndAnswersExceptions) {
  modbus_set_slave(master_, 12);
  ASSERT_EQ(modbus_write_register(master_, 0x1180, 1), 1)
      << modbus_strerror(errno);  // open
  uint16_t status = 0;
  ASSERT_EQ(Read(12, 0x1100, 1, &status), 1);
  EXPECT_EQ(status & 0x7, 2);
  uint16_t words[2];
  EXPECT_EQ(Read(5, 0x2000, 2, words), -1);
  EXPECT_EQ(errno, EMBXILADD);
}

TEST_F(SimulatorsOnBusTest, FaultsOnDemand) {
  uint16_t word = 0;
  devices_[0]->SetFault(
      {FaultKind::kException, modbus::ExceptionCode::kServerDeviceBusy, 1});
  EXPECT_EQ(Read(5, 0x0300, 1, &word), -1);
  EXPECT_EQ(errno, EMBXSBUSY);
  devices_[0]->SetFault({FaultKind::kBadCrc,
                         modbus::ExceptionCode::kServerDeviceBusy /* unused */,
                         1});
  EXPECT_EQ(Read(5, 0x0300, 1, &word), -1);
  EXPECT_EQ(errno, EMBBADCRC);
  modbus_flush(master_);
  devices_[0]->SetFault({FaultKind::kSilent,
                         modbus::ExceptionCode::kServerDeviceBusy /* unused */,
                         1});
  EXPECT_EQ(Read(5, 0x0300, 1, &word), -1);
  EXPECT_EQ(errno, ETIMEDOUT);
  // Back to normal; the other device never noticed.
  EXPECT_EQ(Read(5, 0x0300, 1, &word), 1) << modbus_strerror(errno);
  EXPECT_EQ(Read(12, 0x0300, 1, &word), 1) << modbus_strerror(errno);
  EXPECT_GE(server_->stats().replies, 4u);
}

TEST(SimulatorsSharedAddressTest, EmsModulesShareOneAddress) {
  auto registry = devices::ProfileRegistry::BuiltIn();
  ASSERT_THAT(registry, IsOk());
  BusOptions bus_options;
  bus_options.line.baud_rate = 115200;
  auto bus = VirtualBus::Start(bus_options);
  ASSERT_THAT(bus, IsOk());
  SimulatedClock clock;
  SimulatedDeviceOptions options;
  options.address = 15;  // interface 1, module 5
  options.reply_delay = absl::ZeroDuration();
  auto measurement = SimulatedDevice::Create(
      *registry->Find("ems_cx3_measurement"), options, &clock);
  auto signalling = SimulatedDevice::Create(
      *registry->Find("ems_cx3_signalling"), options, &clock);
  ASSERT_THAT(measurement, IsOk());
  ASSERT_THAT(signalling, IsOk());
  auto server = ServeDevices((*bus)->endpoint_path(1), (*bus)->line_settings(),
                             {measurement->get(), signalling->get()});
  ASSERT_THAT(server, IsOk());
  modbus_t* master =
      modbus_new_rtu((*bus)->endpoint_path(0).c_str(), 115200, 'E', 8, 1);
  ASSERT_EQ(modbus_connect(master), 0);
  modbus_set_response_timeout(master, 0, 300000);
  modbus_set_slave(master, 15);
  uint16_t words[8];
  // Input registers: the measurement module; holding 0x0400: signalling.
  EXPECT_EQ(modbus_read_input_registers(master, 0x1000, 2, words), 2)
      << modbus_strerror(errno);
  EXPECT_NEAR(((words[0] << 16) | words[1]) / 1000.0, 230, 3);
  EXPECT_EQ(modbus_read_registers(master, 0x0400, 4, words), 4)
      << modbus_strerror(errno);
  EXPECT_EQ(words[0], 1);  // contact 1 closed
  // Nobody has 0x2000.
  EXPECT_EQ(modbus_read_registers(master, 0x2000, 1, words), -1);
  EXPECT_EQ(errno, EMBXILADD);
  modbus_close(master);
  modbus_free(master);
}

// Two slaves on separate endpoints, as two simulators (or a simulator and a
// real device) on one line: each hears the other's answers as foreign
// traffic between requests and must stay in step.
TEST(SimulatorsBusyLineTest, SlavesOnSeparateEndpointsStayInStep) {
  auto registry = devices::ProfileRegistry::BuiltIn();
  ASSERT_THAT(registry, IsOk());
  BusOptions bus_options;
  bus_options.endpoints = 3;
  bus_options.line.baud_rate = 115200;
  auto bus = VirtualBus::Start(bus_options);
  ASSERT_THAT(bus, IsOk());
  SimulatedClock clock;
  std::vector<std::unique_ptr<SimulatedDevice>> devices;
  std::vector<std::unique_ptr<modbus::RtuSlave>> slaves;
  for (int address : {5, 6}) {
    SimulatedDeviceOptions options;
    options.address = address;
    options.reply_delay = absl::Milliseconds(1);
    auto device = SimulatedDevice::Create(*registry->Find("emdx3_4_120_45"),
                                          options, &clock);
    ASSERT_THAT(device, IsOk());
    auto slave = ServeDevices((*bus)->endpoint_path(address - 4),
                              (*bus)->line_settings(), {device->get()});
    ASSERT_THAT(slave, IsOk());
    devices.push_back(std::move(*device));
    slaves.push_back(std::move(*slave));
  }
  modbus_t* master =
      modbus_new_rtu((*bus)->endpoint_path(0).c_str(), 115200, 'E', 8, 1);
  ASSERT_EQ(modbus_connect(master), 0);
  modbus_set_response_timeout(master, 0, 300000);
  uint16_t words[42];
  for (int i = 0; i < 40; ++i) {
    const int unit = 5 + i % 2;
    modbus_set_slave(master, unit);
    // Long answers: the other slave hears 89 foreign bytes.
    EXPECT_EQ(modbus_read_registers(master, 0x1000, 42, words), 42)
        << "read " << i << " from " << unit << ": " << modbus_strerror(errno);
  }
  // Each heard all 40 requests (the other's answers are foreign frames or,
  // when the next request follows without a gap, skipped bytes).
  for (const auto& slave : slaves) {
    EXPECT_EQ(slave->stats().replies, 20u);
    EXPECT_GE(slave->stats().frames, 40u);
  }
  modbus_close(master);
  modbus_free(master);
}

TEST_F(SimulatorsOnBusTest, ReplyDelayIsHonoured) {
  uint16_t word = 0;
  devices_[0]->SetReplyDelay(absl::Milliseconds(80));
  const absl::Time start = absl::Now();
  ASSERT_EQ(Read(5, 0x0300, 1, &word), 1) << modbus_strerror(errno);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(80));
  devices_[0]->SetReplyDelay(absl::Milliseconds(400));  // beyond the timeout
  EXPECT_EQ(Read(5, 0x0300, 1, &word), -1);
  EXPECT_EQ(errno, ETIMEDOUT);
}

}  // namespace
}  // namespace ews::lab
