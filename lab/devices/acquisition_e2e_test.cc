// End to end: a virtual RS485 bus with one simulator of every family, the
// SDK's RTU master and line scheduler on the other endpoint, a bus scan that
// identifies every device, and the poller reading them for simulated hours.
// One SimulatedClock drives both the poller and the simulators' models (the
// wire runs in real time), so after every poll the counters the poller
// recorded must equal the simulators' own counters exactly.
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lab/bus/virtual_bus.h"
#include "lab/devices/population.h"
#include "lab/devices/simulated_device.h"
#include "sdk/acquisition/bus_scan.h"
#include "sdk/acquisition/commands.h"
#include "sdk/acquisition/poller.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/devices/profile_registry.h"
#include "sdk/hal/serial/termios_serial_port.h"
#include "sdk/modbus/line_scheduler.h"
#include "sdk/modbus/rtu_transport.h"

namespace ews::lab {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

constexpr absl::Duration kResponseTimeout = absl::Milliseconds(100);

TEST(AcquisitionEndToEndTest, ScanIdentifiesEveryFamilyAndCountersMatch) {
  auto registry = devices::ProfileRegistry::BuiltIn();
  ASSERT_THAT(registry, IsOk());

  BusOptions bus_options;
  bus_options.endpoints = 2;
  bus_options.line.baud_rate = 115200;  // 8E1
  auto bus = VirtualBus::Start(bus_options);
  ASSERT_THAT(bus, IsOk());

  // One simulator of each family (EMS modules behind interface 2).
  SimulatedClock model_clock;
  const std::vector<std::pair<int, std::string>> population = {
      {1, "emdx3_4_120_45"},
      {2, "mccb_measurement_unit"},
      {3, "acb_measurement_unit"},
      {4, "din_measurement_module"},
      {5, "ev_charger_generic"},
      {21, "ems_cx3_measurement"},
      {22, "ems_cx3_signalling"},
      {23, "ems_cx3_control"},
      {24, "ems_cx3_pulse_concentrator"}};
  std::map<int, std::unique_ptr<SimulatedDevice>> simulators;
  std::vector<SimulatedDevice*> pointers;
  for (const auto& [address, profile_id] : population) {
    SimulatedDeviceOptions options;
    options.address = address;
    options.ct_ratio = 200;
    options.nominal_current_a = 20 + address;
    options.reply_delay = absl::Milliseconds(1);
    auto device = SimulatedDevice::Create(*registry->Find(profile_id), options,
                                          &model_clock);
    ASSERT_THAT(device, IsOk());
    pointers.push_back(device->get());
    simulators[address] = std::move(*device);
  }
  auto server =
      ServeDevices((*bus)->endpoint_path(1), (*bus)->line_settings(), pointers);
  ASSERT_THAT(server, IsOk());

  // The SDK side: the line's port, RTU master and scheduler.
  auto port = hal::TermiosSerialPort::Open((*bus)->endpoint_path(0),
                                           (*bus)->line_settings());
  ASSERT_THAT(port, IsOk());
  auto transport = modbus::RtuTransport::Create(port->get());
  ASSERT_THAT(transport, IsOk());
  modbus::LineOptions line_options;
  line_options.response_timeout = kResponseTimeout;
  line_options.read_attempts = 3;
  modbus::LineScheduler line(std::move(*transport), line_options);

  // 1. Scan 1..30: every simulator found and identified.
  acquisition::ScanOptions scan_options;
  scan_options.first_address = 1;
  scan_options.last_address = 30;
  int progress_calls = 0;
  const absl::Time scan_start = absl::Now();
  auto found = acquisition::ScanBus(
      line, *registry, scan_options,
      [&](const acquisition::ScanProgress&) { ++progress_calls; });
  const absl::Duration scan_time = absl::Now() - scan_start;
  ASSERT_THAT(found, IsOk());
  EXPECT_EQ(progress_calls, 30);
  ASSERT_EQ(found->size(), population.size());
  for (size_t i = 0; i < population.size(); ++i) {
    EXPECT_EQ((*found)[i].address, population[i].first);
    ASSERT_NE((*found)[i].profile, nullptr) << population[i].second;
    EXPECT_EQ((*found)[i].profile->id(), population[i].second);
    // The EMS modules sit behind interface 2 (local addressing).
    if (population[i].first > 20) {
      ASSERT_TRUE((*found)[i].ems.has_value()) << population[i].second;
      EXPECT_EQ((*found)[i].ems->interface, 2);
      EXPECT_EQ((*found)[i].ems->module, population[i].first - 20);
    } else {
      EXPECT_FALSE((*found)[i].ems.has_value()) << population[i].second;
    }
  }
  // The wire time the scan needs and no longer: one response timeout per
  // silent address (never retried), one short exchange per device.
  const int silent = 30 - static_cast<int>(population.size());
  EXPECT_GE(scan_time, silent * kResponseTimeout);
  EXPECT_LE(scan_time,
            silent * kResponseTimeout +
                static_cast<int>(population.size()) * absl::Milliseconds(30) +
                absl::Seconds(1));

  // 2. The model-10 limit: 9 addresses + 2 pulse counters do not fit.
  std::vector<acquisition::PolledDevice> polled;
  for (const acquisition::FoundDevice& device : *found) {
    polled.push_back(
        {device.profile->id() + "@" + std::to_string(device.address),
         device.address, device.profile, absl::Minutes(5)});
  }
  acquisition::PollerOptions too_many;
  too_many.model_size = 10;
  too_many.pulse_counters = 2;
  EXPECT_THAT(acquisition::Poller::Create(&line, polled, too_many, nullptr),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("model 10")));

  // 3. Poll for four simulated hours, every five minutes. The wire is real
  // time on a shared machine; a poll that fails on the wire anyway is
  // counted (and retried on the next slot), not hidden.
  struct Record {
    devices::RawValue raw;
    absl::Time time;
  };
  std::map<std::pair<int, std::string>, Record> recorded;
  std::map<std::pair<int, std::string>, double> last_value;
  std::map<int, int> successes, failures;
  acquisition::PollerOptions options;
  options.clock = &model_clock;
  options.model_size = 10;
  options.pulse_counters = 1;
  options.max_backoff = absl::Minutes(5);  // a failed device: every cycle
  auto poller = acquisition::Poller::Create(
      &line, polled, options, [&](const acquisition::PollResult& result) {
        if (!result.status.ok()) {
          ++failures[result.address];
          return;
        }
        ++successes[result.address];
        EXPECT_TRUE(result.quantity_errors.empty()) << result.device;
        EXPECT_EQ(result.time, model_clock.WallNow());
        for (const acquisition::Sample& sample : result.samples) {
          if (sample.kind != devices::v1::KIND_COUNTER) continue;
          const auto key = std::make_pair(result.address, sample.quantity_id);
          auto previous = last_value.find(key);
          if (previous != last_value.end()) {
            EXPECT_GE(sample.value, previous->second)
                << result.device << " " << sample.quantity_id;
          }
          last_value[key] = sample.value;
          recorded[key] = {sample.raw, result.time};
        }
      });
  ASSERT_THAT(poller, IsOk());

  int compared = 0;
  constexpr int kCycles = 48;
  for (int cycle = 0; cycle < kCycles; ++cycle) {
    model_clock.Advance(absl::Minutes(5));
    if (cycle == 10) {  // the DIN module stops answering for a while
      simulators[4]->SetFault({FaultKind::kSilent});
    }
    if (cycle == 20) simulators[4]->ClearFault();
    const int din_successes = successes[4];
    (*poller)->PollDue();
    if (cycle >= 10 && cycle < 20) {
      EXPECT_FALSE((*poller)->States()[3].online) << cycle;
      EXPECT_EQ(successes[4], din_successes);
    }
    // Every counter recorded now equals the simulator's own, exactly.
    for (const auto& [key, record] : recorded) {
      if (record.time != model_clock.WallNow()) continue;
      absl::StatusOr<devices::RawValue> own =
          simulators[key.first]->RawValueOf(key.second);
      ASSERT_THAT(own, IsOk());
      EXPECT_EQ(record.raw, *own)
          << "cycle " << cycle << ": device " << key.first << " " << key.second
          << " recorded " << record.raw.ToString() << " simulator "
          << own->ToString();
      ++compared;
    }
  }
  int total_successes = 0, jitter_failures = 0;
  for (const auto& [address, count] : successes) total_successes += count;
  for (const auto& [address, count] : failures) {
    jitter_failures += address == 4 ? 0 : count;
  }
  EXPECT_GE(failures[4], 10);   // silent for ten cycles
  EXPECT_GT(successes[4], 20);  // and back afterwards
  // The RTU master ends a frame on its implied length with a good CRC, so
  // scheduling jitter on the shared machine cannot split replies: polls do
  // not fail on the wire (a small allowance for a loaded machine).
  EXPECT_LE(jitter_failures, 3)
      << jitter_failures << " polls failed on the wire";
  EXPECT_GE(compared, 20 * kCycles);
  // Every family's counters moved over four hours.
  auto counter = [&](int address, const char* id) {
    return recorded[std::make_pair(address, std::string(id))].raw.u;
  };
  EXPECT_GT(counter(1, "ea_import"), 0u);
  EXPECT_GT(counter(3, "ea_import_total"), 0u);
  EXPECT_GT(counter(5, "ea_import"), 0u);
  EXPECT_GT(counter(21, "ea_import"), 0u);
  EXPECT_GT(counter(22, "contact1_changes"), 0u);
  EXPECT_GT(counter(24, "input1_index"), 0u);
  size_t counters = 0;
  for (const auto& device : polled) {
    for (const auto& q : device.profile->quantities()) {
      counters += q.kind() == devices::v1::KIND_COUNTER;
    }
  }
  EXPECT_EQ(recorded.size(), counters);
  std::cerr << total_successes << " polls, " << jitter_failures
            << " failed on the wire, " << compared
            << " counters compared exactly\n";

  // 4. Commands reach the simulators over the bus (a write whose answer was
  // lost to wire jitter is applied anyway; repeating it is harmless here).
  auto execute = [&](int address, const char* profile, const char* command,
                     std::optional<double> value) {
    absl::Status status;
    for (int attempt = 0; attempt < 3; ++attempt) {
      status = acquisition::ExecuteCommand(line, *registry->Find(profile),
                                           address, command, value);
      if (status.ok()) break;
    }
    return status;
  };
  ASSERT_THAT(execute(2, "mccb_measurement_unit", "open", std::nullopt),
              IsOk());
  EXPECT_EQ(simulators[2]->RawValueOf("status")->u & 0x7, 2u);  // open
  ASSERT_THAT(execute(5, "ev_charger_generic", "set_current_limit", 8.0),
              IsOk());
  EXPECT_EQ(*simulators[5]->RawValueOf("current_limit"),
            devices::RawValue::Unsigned(80));
  line.Stop();
  if (getenv("EWS_DEBUG_CAPTURE")) std::cerr << (*bus)->FormatCapture();
}

}  // namespace
}  // namespace ews::lab
