#include "lab/devices/simulated_device.h"

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lab/devices/population.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/devices/codec.h"
#include "sdk/devices/profile_registry.h"
#include "sdk/devices/request_planner.h"

namespace ews::lab {
namespace {

using ::ews::devices::RawValue;
using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

class SimulatedDeviceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = devices::ProfileRegistry::BuiltIn();
    ASSERT_THAT(registry, IsOk());
    registry_ = std::move(*registry);
  }

  std::unique_ptr<SimulatedDevice> Make(const std::string& profile_id,
                                        SimulatedDeviceOptions options = {}) {
    const v1::Profile* profile = registry_.Find(profile_id);
    EXPECT_NE(profile, nullptr) << profile_id;
    auto device = SimulatedDevice::Create(*profile, options, &clock_);
    EXPECT_THAT(device, IsOk());
    return std::move(*device);
  }

  static std::vector<uint8_t> ReadPdu(uint8_t function, uint16_t address,
                                      uint16_t count) {
    return {function, static_cast<uint8_t>(address >> 8),
            static_cast<uint8_t>(address), static_cast<uint8_t>(count >> 8),
            static_cast<uint8_t>(count)};
  }

  static std::vector<uint8_t> WritePdu(uint16_t address, uint16_t value) {
    return {6, static_cast<uint8_t>(address >> 8),
            static_cast<uint8_t>(address), static_cast<uint8_t>(value >> 8),
            static_cast<uint8_t>(value)};
  }

  // Reads every register the SDK's profile needs, as a poller would, and
  // decodes: the simulator serves the lab's table, so this also checks that
  // the two agree.
  std::map<std::string, devices::Reading> Poll(SimulatedDevice& device) {
    const v1::Profile& profile = *registry_.Find(device.profile().id());
    devices::RegisterImage image;
    auto reads = devices::PlanProfileReads(profile);
    EXPECT_THAT(reads, IsOk());
    for (const devices::RegisterSpan& span : *reads) {
      const uint8_t function =
          span.table == v1::TABLE_HOLDING_REGISTERS ? 3 : 4;
      std::vector<uint8_t> reply =
          device.HandlePdu(ReadPdu(function, span.address, span.count));
      EXPECT_EQ(reply[0], function) << "exception " << int{reply[1]};
      std::vector<uint16_t> words;
      for (uint32_t i = 0; i < span.count; ++i) {
        words.push_back(reply[2 + 2 * i] << 8 | reply[3 + 2 * i]);
      }
      image.Put(span.table, span.address, words);
    }
    std::map<std::string, devices::Reading> readings;
    for (const v1::Quantity& q : profile.quantities()) {
      auto reading = devices::DecodeQuantity(profile, q, image);
      EXPECT_THAT(reading, IsOk()) << q.id();
      if (reading.ok()) readings[q.id()] = *reading;
    }
    return readings;
  }

  devices::ProfileRegistry registry_;
  SimulatedClock clock_;
};

TEST_F(SimulatedDeviceTest, AnswersTheModelRegisterOfItsProfile) {
  for (const v1::Profile* profile : registry_.profiles()) {
    if (!profile->identification().has_model_register()) continue;
    SCOPED_TRACE(profile->id());
    auto device = Make(profile->id());
    std::vector<uint8_t> reply = device->HandlePdu(ReadPdu(3, 0x0300, 1));
    ASSERT_EQ(reply.size(), 4u);
    EXPECT_EQ(reply[0], 3);
    EXPECT_EQ(static_cast<uint64_t>(reply[2] << 8 | reply[3]),
              profile->identification().model_register().values(0));
  }
}

TEST_F(SimulatedDeviceTest, EveryProfileServesEveryQuantity) {
  for (const v1::Profile* profile : registry_.profiles()) {
    SCOPED_TRACE(profile->id());
    auto device = Make(profile->id());
    clock_.Advance(absl::Minutes(30));
    Poll(*device);
  }
}

TEST_F(SimulatedDeviceTest, Emdx3PowerIsVoltageTimesCurrentTimesPowerFactor) {
  SimulatedDeviceOptions options;
  options.nominal_current_a = 40;
  options.ct_ratio = 200;
  auto meter = Make("emdx3_4_120_45", options);
  for (int minute = 0; minute < 120; minute += 7) {
    clock_.Advance(absl::Minutes(7));
    auto r = Poll(*meter);
    double p = 0, s = 0;
    for (const char* phase : {"1", "2", "3"}) {
      const double v = r[std::string("v") + phase + "n"].value;
      const double i = r[std::string("i") + phase].value;
      EXPECT_NEAR(v, 230, 3);
      s += v * i;
      p += v * i * r["pf"].value;
    }
    EXPECT_NEAR(r["p_total"].value, p, 0.02);
    EXPECT_NEAR(r["s_total"].value, s, 0.02);
    const double q = r["q_total"].value;
    EXPECT_NEAR(std::sqrt(p * p + q * q), s, s * 1e-3);
    EXPECT_FALSE(r["p_total"].negative);
    EXPECT_EQ(r["ct_ratio"].raw, RawValue::Unsigned(200));
    EXPECT_DOUBLE_EQ(r["p_total"].scale, 0.01);
    EXPECT_DOUBLE_EQ(r["ea_import"].scale, 100);  // CT 200: 100 Wh / count
    EXPECT_NEAR(r["frequency"].value, 50, 0.11);
    EXPECT_GT(r["thd_i1"].value, 5);
  }
}

TEST_F(SimulatedDeviceTest, EnergyIntegratesPowerAndNeverGoesBackwards) {
  auto meter = Make("mccb_measurement_unit");  // 1 Wh per count
  double previous = -1;
  double integral_wh = 0;
  for (int second = 0; second < 3 * 3600; second += 10) {
    auto r = Poll(*meter);
    integral_wh += r["p_total"].value * 10 / 3600;
    clock_.Advance(absl::Seconds(10));
    // Loaded in one-second steps, so sampling every 10 s approximates it.
    const double counter = Poll(*meter)["ea_import"].value;
    EXPECT_GE(counter, previous);
    previous = counter;
  }
  const double exact = meter->EnergyWh("ea_import");
  EXPECT_NEAR(integral_wh, exact, exact * 0.01);
  // The served counter is the exact integral truncated to the resolution.
  EXPECT_EQ(*meter->RawValueOf("ea_import"),
            RawValue::Unsigned(static_cast<uint64_t>(std::floor(exact))));
  EXPECT_EQ(*meter->RawValueOf("ea_export"), RawValue::Unsigned(0));
}

TEST_F(SimulatedDeviceTest, AHeldModelKeepsItsRegistersThenCatchesUp) {
  auto meter = Make("emdx3_4_120_45");
  clock_.Advance(absl::Minutes(10));
  const RawValue before = *meter->RawValueOf("ea_import");
  meter->SetHeld(true);
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(*meter->RawValueOf("ea_import"), before);
  EXPECT_EQ(Poll(*meter)["ea_import"].raw, before);  // what a poller reads
  meter->SetHeld(false);
  EXPECT_GT(meter->RawValueOf("ea_import")->u, before.u);
}

TEST_F(SimulatedDeviceTest, StartsFromTheGivenIndex) {
  SimulatedDeviceOptions options;
  options.ct_ratio = 200;  // 100 Wh per count
  options.initial_energy_kwh = 184230;
  auto meter = Make("emdx3_4_120_45", options);
  EXPECT_EQ(*meter->RawValueOf("ea_import"), RawValue::Unsigned(1842300));
  EXPECT_DOUBLE_EQ(meter->EnergyWh("ea_import"), 184230e3);
  options.exporting = true;
  auto generator = Make("emdx3_4_120_45", options);
  EXPECT_EQ(*generator->RawValueOf("ea_export"), RawValue::Unsigned(1842300));
  EXPECT_EQ(*generator->RawValueOf("ea_import"), RawValue::Unsigned(0));
}

TEST_F(SimulatedDeviceTest, AGeneratorExportsWithANegativeSign) {
  SimulatedDeviceOptions options;
  options.exporting = true;
  auto meter = Make("emdx3_4_120_45", options);
  clock_.Advance(absl::Hours(2));
  auto r = Poll(*meter);
  EXPECT_TRUE(r["p_total"].negative);
  EXPECT_LT(r["p_total"].value, 0);
  EXPECT_EQ(r["p_sign"].raw, RawValue::Unsigned(1));
  EXPECT_EQ(r["ea_import"].raw, RawValue::Unsigned(0));
  EXPECT_GT(r["ea_export"].value, 0);
}

TEST_F(SimulatedDeviceTest, BreakerOpensClosesAndTrips) {
  auto breaker = Make("mccb_measurement_unit");
  clock_.Advance(absl::Minutes(10));
  auto r = Poll(*breaker);
  EXPECT_EQ(r["status"].raw.u & 0x7, 1u);  // closed
  EXPECT_GT(r["i1"].value, 0);

  EXPECT_EQ(breaker->HandlePdu(WritePdu(0x1180, 1))[0], 6);  // open
  clock_.Advance(absl::Minutes(10));
  r = Poll(*breaker);
  EXPECT_EQ(r["status"].raw.u & 0x7, 2u);  // open
  EXPECT_EQ(r["i1"].value, 0);
  const double energy = r["ea_import"].value;
  clock_.Advance(absl::Minutes(10));
  EXPECT_EQ(Poll(*breaker)["ea_import"].value, energy);  // no current

  EXPECT_EQ(breaker->HandlePdu(WritePdu(0x1180, 2))[0], 6);  // close
  ASSERT_THAT(breaker->Trip(3), IsOk());
  r = Poll(*breaker);
  EXPECT_EQ(r["status"].raw.u & 0x7, 4u);         // tripped
  EXPECT_EQ((r["status"].raw.u >> 4) & 0xF, 3u);  // cause
  EXPECT_EQ(r["trip_count"].raw, RawValue::Unsigned(1));
  // Closing a tripped breaker needs a reset first.
  EXPECT_THAT(breaker->HandlePdu(WritePdu(0x1180, 2)),
              ::testing::ElementsAre(0x86, 0x04));
  EXPECT_EQ(breaker->HandlePdu(WritePdu(0x1180, 3))[0], 6);  // reset
  EXPECT_EQ(breaker->HandlePdu(WritePdu(0x1180, 2))[0], 6);  // close
  clock_.Advance(absl::Seconds(2));
  EXPECT_EQ(Poll(*breaker)["status"].raw.u & 0x7, 1u);
  EXPECT_THAT(breaker->HandlePdu(WritePdu(0x1180, 9)),
              ::testing::ElementsAre(0x86, 0x03));
}

TEST_F(SimulatedDeviceTest, EvChargerRunsSessionsAndObeysItsLimit) {
  auto charger = Make("ev_charger_generic");
  auto r = Poll(*charger);
  EXPECT_EQ(r["state"].raw, RawValue::Unsigned(0));  // available
  clock_.Advance(absl::Minutes(25));
  r = Poll(*charger);
  EXPECT_EQ(r["state"].raw, RawValue::Unsigned(2));  // charging
  EXPECT_EQ(r["cable_state"].raw, RawValue::Unsigned(2));
  EXPECT_NEAR(r["i1"].value, 16, 0.01);

  EXPECT_EQ(charger->HandlePdu(WritePdu(0x0200, 100))[0], 6);  // 10.0 A
  clock_.Advance(absl::Seconds(2));
  r = Poll(*charger);
  EXPECT_NEAR(r["i1"].value, 10, 0.01);
  EXPECT_NEAR(r["p_total"].value, 3 * 230 * 10 * 0.99, 3 * 230 * 10 * 0.03);
  EXPECT_DOUBLE_EQ(r["current_limit"].value, 10);
  EXPECT_DOUBLE_EQ(r["failsafe_timeout"].value, 0);  // watchdog off
  // 40 A is beyond the command's range.
  EXPECT_THAT(charger->HandlePdu(WritePdu(0x0200, 400)),
              ::testing::ElementsAre(0x86, 0x03));

  EXPECT_EQ(charger->HandlePdu(WritePdu(0x0203, 0))[0], 6);  // stop
  clock_.Advance(absl::Seconds(2));
  r = Poll(*charger);
  EXPECT_EQ(r["state"].raw, RawValue::Unsigned(3));  // suspended_evse
  EXPECT_EQ(r["i1"].value, 0);
  const uint64_t energy = r["ea_import"].raw.u;
  EXPECT_GT(energy, 0u);
  EXPECT_EQ(r["session_energy"].raw.u, energy);
}

TEST_F(SimulatedDeviceTest, EvChargerFallsBackToTheFailSafeCurrent) {
  auto charger = Make("ev_charger_generic");
  clock_.Advance(absl::Minutes(25));  // charging at 16 A
  EXPECT_EQ(charger->HandlePdu(WritePdu(0x0201, 60))[0], 6);   // 6.0 A
  EXPECT_EQ(charger->HandlePdu(WritePdu(0x0202, 120))[0], 6);  // 120 s
  clock_.Advance(absl::Seconds(100));
  EXPECT_NEAR(Poll(*charger)["i1"].value, 16, 0.01);
  clock_.Advance(absl::Seconds(30));  // nobody wrote the limit for 130 s
  EXPECT_NEAR(Poll(*charger)["i1"].value, 6, 0.01);
  EXPECT_EQ(charger->HandlePdu(WritePdu(0x0200, 120))[0], 6);  // 12 A
  clock_.Advance(absl::Seconds(2));
  EXPECT_NEAR(Poll(*charger)["i1"].value, 12, 0.01);
}

TEST_F(SimulatedDeviceTest, EmsModulesSignalSwitchAndCountPulses) {
  SimulatedDeviceOptions options;
  options.address = 22;
  auto signalling = Make("ems_cx3_signalling", options);
  options.address = 23;
  auto control = Make("ems_cx3_control", options);
  options.address = 24;
  auto pulses = Make("ems_cx3_pulse_concentrator", options);
  clock_.Advance(absl::Hours(3));
  EXPECT_GT(Poll(*signalling)["contact1_changes"].raw.u, 0u);
  EXPECT_EQ(control->HandlePdu(WritePdu(0x0501, 1))[0], 6);
  auto r = Poll(*control);
  EXPECT_EQ(r["relay2_state"].raw.u, 1u);
  EXPECT_EQ(r["relay2_operations"].raw.u, 1u);
  r = Poll(*pulses);
  EXPECT_GT(r["input1_index"].raw.u, 0u);
  EXPECT_EQ(r["input1_weight"].raw.u, 10u);
  // Measurement modules answer function 4 (input registers) only.
  options.address = 21;
  auto measurement = Make("ems_cx3_measurement", options);
  EXPECT_THAT(measurement->HandlePdu(ReadPdu(4, 0x1000, 2))[0], 4);
}

TEST_F(SimulatedDeviceTest, AnswersBadRequestsWithExceptions) {
  auto meter = Make("emdx3_4_120_45");
  // Meters have no input registers.
  EXPECT_THAT(meter->HandlePdu(ReadPdu(4, 0x1000, 2)),
              ::testing::ElementsAre(0x84, 0x01));
  EXPECT_THAT(meter->HandlePdu(ReadPdu(3, 0x2000, 2)),
              ::testing::ElementsAre(0x83, 0x02));
  EXPECT_THAT(meter->HandlePdu(ReadPdu(3, 0x1000, 0)),
              ::testing::ElementsAre(0x83, 0x03));
  EXPECT_THAT(meter->HandlePdu(ReadPdu(3, 0x1000, 126)),
              ::testing::ElementsAre(0x83, 0x03));
  EXPECT_THAT(meter->HandlePdu({0x2B, 0x0E, 0x01, 0x00}),
              ::testing::ElementsAre(0xAB, 0x01));
  EXPECT_THAT(meter->HandlePdu(WritePdu(0x1000, 1)),
              ::testing::ElementsAre(0x86, 0x02));
}

TEST_F(SimulatedDeviceTest, FaultsCountDown) {
  auto meter = Make("emdx3_4_120_45");
  meter->SetFault(
      {FaultKind::kSilent, modbus::ExceptionCode::kServerDeviceBusy, 2});
  EXPECT_EQ(meter->TakeFault().kind, FaultKind::kSilent);
  EXPECT_EQ(meter->TakeFault().kind, FaultKind::kSilent);
  EXPECT_EQ(meter->TakeFault().kind, FaultKind::kNone);
  meter->SetFault({FaultKind::kBadCrc});
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(meter->TakeFault().kind, FaultKind::kBadCrc);
  meter->ClearFault();
  EXPECT_EQ(meter->TakeFault().kind, FaultKind::kNone);
}

TEST(DeviceSpecTest, ParsesAddressProfileAndOptions) {
  auto spec =
      ParseDeviceSpec("6:emdx3_4_120_45:current=25,export,ct=200,delay_ms=5");
  ASSERT_THAT(spec, IsOk());
  EXPECT_EQ(spec->options.address, 6);
  EXPECT_EQ(spec->profile_id, "emdx3_4_120_45");
  EXPECT_TRUE(spec->options.exporting);
  EXPECT_EQ(spec->options.ct_ratio, 200);
  EXPECT_EQ(spec->options.nominal_current_a, 25);
  EXPECT_EQ(spec->options.reply_delay, absl::Milliseconds(5));
  EXPECT_THAT(ParseDeviceSpec("0:x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseDeviceSpec("5"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseDeviceSpec("5:x:bogus=1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  for (const std::string& text : DemoPopulation()) {
    EXPECT_THAT(ParseDeviceSpec(text), IsOk()) << text;
  }
}

}  // namespace
}  // namespace ews::lab

namespace ews::lab {
namespace {

TEST_F(SimulatedDeviceTest, ServesTheInstallerProfileInItsOwnTypesAndOrder) {
  auto device = Make("generic_modbus_device");
  clock_.Advance(absl::Hours(1));
  auto r = Poll(*device);
  EXPECT_EQ(r["voltage"].raw.kind, RawValue::Kind::kFloat);  // FLOAT32 CDAB
  EXPECT_NEAR(r["voltage"].value, 230, 3);
  EXPECT_GT(r["power"].value, 0);
  EXPECT_EQ(r["energy"].raw.kind, RawValue::Kind::kUnsigned);  // U64, kWh
  EXPECT_EQ(r["energy"].raw.u,
            static_cast<uint64_t>(std::floor(device->EnergyWh("ea_import"))));
  EXPECT_NEAR(r["energy"].value, device->EnergyWh("ea_import") / 1000, 0.001);
  EXPECT_NEAR(r["temperature"].value, 25, 5.1);
}

}  // namespace
}  // namespace ews::lab
