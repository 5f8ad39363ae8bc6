// The first start's commissioning: a bus scan configures what answers on the
// RS485 line, and the demo's simulated pulse counters are added.
#include "apps/server/first_start.h"

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "apps/server/field_bus.h"
#include "sdk/acquisition/bus_scan.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/config/validate.h"

namespace ews::server {
namespace {

// A config id from a profile id and an address: "emdx3_4_120_45-12".
std::string DeviceIdFor(const devices::v1::Profile& profile, int address) {
  std::string id;
  for (char c : profile.id()) {
    id += (absl::ascii_isalnum(c) || c == '_' || c == '-')
              ? absl::ascii_tolower(c)
              : '-';
  }
  const std::string suffix = absl::StrCat("-", address);
  return id.substr(0, 32 - suffix.size()) + suffix;
}

// Commissioning on a first start: scan our RS485 line and configure what
// answers.
absl::Status ConfigureScannedDevices(const ServerOptions& options,
                                     FieldBus& field_bus,
                                     config::v1::DeviceConfig& config) {
  EWS_LOG(INFO) << "first start: scanning the RS485 line, addresses "
                << options.scan_first_address << ".."
                << options.scan_last_address;
  EWS_ASSIGN_OR_RETURN(std::vector<acquisition::FoundDevice> found,
                       field_bus.ScanRs485(options.scan_first_address,
                                           options.scan_last_address));
  const int capacity = config::ModelCapacity(config.model_size());
  for (const acquisition::FoundDevice& device : found) {
    if (device.profile == nullptr) {
      EWS_LOG(WARNING) << "address " << device.address
                       << " answers but no profile matches (" << device.evidence
                       << "): add it by hand with the generic profile";
      continue;
    }
    if (config.modbus_devices_size() + config.pulse_counters_size() >=
        capacity) {
      EWS_LOG(WARNING) << "model limit of " << capacity
                       << " devices reached: address " << device.address
                       << " not added";
      continue;
    }
    config::v1::ModbusDevice* added = config.add_modbus_devices();
    added->set_id(DeviceIdFor(*device.profile, device.address));
    // "Moulded-case circuit breaker with measurement unit @2": the profile's
    // name without its parenthesised remark, within the 64 characters a name
    // may have.
    std::string name = device.profile->name();
    name = std::string(
        absl::StripTrailingAsciiWhitespace(name.substr(0, name.find(" ("))));
    added->set_name(absl::StrCat(name.substr(0, 56), " @", device.address));
    added->set_profile(device.profile->id());
    added->set_address(static_cast<uint32_t>(device.address));
    added->mutable_rs485();
    EWS_LOG(INFO) << "found " << added->name() << " (" << device.evidence
                  << ")";
  }
  return absl::OkStatus();
}

// Commissioning of the demo (first start with simulated pulse inputs): a
// water meter, a gas meter and an energy sub-meter on the first free inputs,
// within the model's limit.
void ConfigureDemoPulseCounters(config::v1::DeviceConfig& config) {
  struct Demo {
    const char* id;
    const char* name;
    config::v1::PulseKind kind;
    double quantity_per_pulse;
    config::v1::PulseUnit unit;
  };
  static constexpr Demo kDemo[] = {
      {"water-main", "Water meter (10 L/pulse)", config::v1::PULSE_KIND_WATER,
       10, config::v1::PULSE_UNIT_LITRE},
      {"gas-boiler", "Gas meter (0.01 m³/pulse)", config::v1::PULSE_KIND_GAS,
       0.01, config::v1::PULSE_UNIT_CUBIC_METRE},
      {"submeter-lighting", "Lighting sub-meter (1 Wh/pulse)",
       config::v1::PULSE_KIND_ENERGY, 1, config::v1::PULSE_UNIT_WH},
  };
  const int capacity = config::ModelCapacity(config.model_size());
  uint32_t input = 1;
  for (const Demo& demo : kDemo) {
    if (config.modbus_devices_size() + config.pulse_counters_size() >=
        capacity) {
      EWS_LOG(WARNING) << "model limit of " << capacity
                       << " devices reached: pulse counter " << demo.id
                       << " not added";
      continue;
    }
    auto input_used = [&config](uint32_t n) {
      for (const config::v1::PulseCounter& counter : config.pulse_counters()) {
        if (counter.input() == n) return true;
      }
      return false;
    };
    while (input_used(input)) ++input;
    if (input > static_cast<uint32_t>(capacity)) break;
    config::v1::PulseCounter* added = config.add_pulse_counters();
    added->set_id(demo.id);
    added->set_name(demo.name);
    added->set_input(input);
    added->set_kind(demo.kind);
    added->set_quantity_per_pulse(demo.quantity_per_pulse);
    added->set_unit(demo.unit);
    EWS_LOG(INFO) << "simulated pulse counter " << added->name() << " on input "
                  << input;
  }
}

}  // namespace

absl::Status FirstStartSetup(const ServerOptions& options, Clock& device,
                             Board& board,
                             const devices::ProfileRegistry& profiles,
                             config::ConfigStore& store,
                             config::v1::DeviceConfig& config) {
  if (options.scan_first_address > 0) {
    // A field bus without devices (and without the gateway) just for the scan.
    FieldBusOverrides scan_only = options.field_bus;
    scan_only.modbus_port = -1;
    EWS_ASSIGN_OR_RETURN(std::unique_ptr<FieldBus> scanner,
                         FieldBus::Start(config, scan_only, device, profiles,
                                         /*history=*/nullptr, board));
    absl::Status scanned = ConfigureScannedDevices(options, *scanner, config);
    scanner.reset();
    if (!scanned.ok()) {
      EWS_LOG(ERROR) << "scan failed: " << scanned;
    } else {
      EWS_RETURN_IF_ERROR(store.Save(config));
    }
  }
  if (options.board.simulate_pulse_inputs) {
    ConfigureDemoPulseCounters(config);
    EWS_RETURN_IF_ERROR(store.Save(config));
  }
  return absl::OkStatus();
}

}  // namespace ews::server
