#include "sdk/acquisition/bus_scan.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/modbus/fake_client.h"

namespace ews::acquisition {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

class BusScanTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = devices::ProfileRegistry::BuiltIn();
    ASSERT_THAT(registry, IsOk());
    registry_ = std::move(*registry);
  }
  devices::ProfileRegistry registry_;
  SimulatedClock clock_;
  modbus::FakeClient client_{&clock_};
};

TEST_F(BusScanTest, FindsAndIdentifiesDevicesWithOneProbePerSilentAddress) {
  client_.AddUnit(1).SetHolding(0x0300, {4512});     // EMDX3
  client_.AddUnit(12).SetHolding(0x0300, {0x4D43});  // MCCB
  client_.AddUnit(24).SetHolding(0x0300, {0x4534});  // pulse concentrator
  client_.AddUnit(30).SetHolding(0x0300, {0x7777});  // unknown model
  client_.AddUnit(31).SetHolding(0x1000, {1});       // no model register
  std::vector<ScanProgress> progress;
  ScanOptions options;
  options.first_address = 1;
  options.last_address = 40;
  auto found = ScanBus(client_, registry_, options,
                       [&](const ScanProgress& p) { progress.push_back(p); });
  ASSERT_THAT(found, IsOk());
  ASSERT_EQ(found->size(), 5u);
  EXPECT_EQ((*found)[0].address, 1);
  EXPECT_EQ((*found)[0].profile->id(), "emdx3_4_120_45");
  EXPECT_EQ((*found)[0].evidence, "model register 0x0300 = 4512");
  EXPECT_EQ((*found)[1].profile->id(), "mccb_measurement_unit");
  EXPECT_EQ((*found)[2].profile->id(), "ems_cx3_pulse_concentrator");
  // An EMS module says where it sits: interface 2, module 4.
  ASSERT_TRUE((*found)[2].ems.has_value());
  EXPECT_EQ((*found)[2].ems->interface, 2);
  EXPECT_EQ((*found)[2].ems->module, 4);
  EXPECT_EQ((*found)[2].evidence,
            "model register 0x0300 = 17716; EMS CX3 interface 2 module 4");
  EXPECT_FALSE((*found)[0].ems.has_value());
  // An unknown device is reported with its raw identification.
  EXPECT_EQ((*found)[3].profile, nullptr);
  ASSERT_EQ((*found)[3].raw.model_registers.size(), 1u);
  EXPECT_EQ((*found)[3].raw.model_registers[0].value, 0x7777u);
  EXPECT_EQ((*found)[3].evidence,
            "model register 0x0300 = 30583 (0x7777); device identification: "
            "none");
  EXPECT_EQ((*found)[4].profile, nullptr);  // answered exception 02
  EXPECT_TRUE((*found)[4].raw.model_registers.empty());
  // One request per address: silent ones are never retried; the two
  // unknown devices are asked for their device identification once more.
  EXPECT_EQ(client_.call_count(), 42u);
  for (const auto& call : client_.calls()) {
    EXPECT_EQ(call.priority, modbus::Priority::kInteractive);
  }
  ASSERT_EQ(progress.size(), 40u);
  EXPECT_EQ(progress.back().done, 40);
  EXPECT_EQ(progress.back().total, 40);
  EXPECT_EQ(progress.back().found, 5);
  EXPECT_EQ(progress[11].address, 12);
  EXPECT_EQ(progress[11].found, 2);
}

TEST_F(BusScanTest, AbsentUnitsAreSilentAddressesNotLineErrors) {
  // A line answers at once for a unit that missed its last requests: that is
  // an empty address, not a reason to stop the scan.
  client_.AddUnit(1).SetHolding(0x0300, {4512});
  client_.InjectError(3,
                      modbus::UnitAbsentStatus(
                          "rs485: unit 3 absent since 2026-01-01T00:00:00Z"));
  ScanOptions options;
  options.first_address = 1;
  options.last_address = 5;
  auto found = ScanBus(client_, registry_, options);
  ASSERT_THAT(found, IsOk());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].address, 1);
}

TEST_F(BusScanTest, RejectsBadRangesAndCancels) {
  ScanOptions options;
  options.first_address = 0;
  EXPECT_THAT(ScanBus(client_, registry_, options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options.first_address = 10;
  options.last_address = 5;
  EXPECT_THAT(ScanBus(client_, registry_, options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  options.first_address = 1;
  options.last_address = 248;
  EXPECT_THAT(ScanBus(client_, registry_, options),
              StatusIs(absl::StatusCode::kInvalidArgument));
  std::atomic<bool> cancel{false};
  options.last_address = 247;
  auto found = ScanBus(
      client_, registry_, options,
      [&](const ScanProgress& p) {
        if (p.done == 3) cancel = true;
      },
      &cancel);
  EXPECT_THAT(found, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_EQ(client_.call_count(), 3u);
}

TEST_F(BusScanTest, ScansTheModulesOfOneEmsInterface) {
  client_.AddUnit(31).SetHolding(0x0300, {17713});  // measurement, module 1
  client_.AddUnit(33).SetHolding(0x0300, {17715});  // control, module 3
  client_.AddUnit(21).SetHolding(0x0300, {17714});  // interface 2: not asked
  auto addresses = devices::EmsInterfaceAddresses(3);
  ASSERT_THAT(addresses, IsOk());
  ScanOptions options;
  options.addresses = *addresses;
  auto found = ScanBus(client_, registry_, options);
  ASSERT_THAT(found, IsOk());
  ASSERT_EQ(found->size(), 2u);
  EXPECT_EQ((*found)[0].profile->id(), "ems_cx3_measurement");
  EXPECT_EQ((*found)[0].ems, (devices::EmsLocation{3, 1}));
  EXPECT_EQ((*found)[1].profile->id(), "ems_cx3_control");
  EXPECT_EQ((*found)[1].ems, (devices::EmsLocation{3, 3}));
  EXPECT_EQ(client_.call_count(), 9u);
  options.addresses = {31, 0};
  EXPECT_THAT(ScanBus(client_, registry_, options),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST_F(BusScanTest, ExceptionAnswersMeanSomeoneIsThere) {
  client_.AddUnit(7).SetHolding(0x0300, {4512});
  client_.InjectException(7, 0x06);  // busy on the first probe
  ScanOptions options;
  options.first_address = 7;
  options.last_address = 7;
  auto found = ScanBus(client_, registry_, options);
  ASSERT_THAT(found, IsOk());
  ASSERT_EQ(found->size(), 1u);
  EXPECT_EQ((*found)[0].profile, nullptr);
  // IdentifyDevice again (the exception was one-shot) identifies it.
  auto device = IdentifyDevice(client_, registry_, 7, {});
  ASSERT_THAT(device, IsOk());
  EXPECT_EQ(device->profile->id(), "emdx3_4_120_45");
  EXPECT_THAT(IdentifyDevice(client_, registry_, 8, {}),
              StatusIs(absl::StatusCode::kNotFound));
}

// Behind a Modbus TCP gateway a silent address comes back as the gateway's
// exception 0x0B (or 0x0A): nobody is there.
TEST_F(BusScanTest, GatewayExceptionsMeanNobodyIsThere) {
  client_.AddUnit(7).SetHolding(0x0300, {4512});
  client_.AddUnit(8).SetHolding(0x0300, {4512});
  client_.InjectException(7, 0x0B);
  client_.InjectException(8, 0x0A);
  ScanOptions options;
  options.first_address = 7;
  options.last_address = 8;
  auto found = ScanBus(client_, registry_, options);
  ASSERT_THAT(found, IsOk());
  EXPECT_TRUE(found->empty());
}

}  // namespace
}  // namespace ews::acquisition
