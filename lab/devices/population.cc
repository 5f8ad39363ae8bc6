// Device populations: "ADDRESS:PROFILE[:options]" specs, the demo
// population, and serving devices as RTU slaves on a serial line.
#include "lab/devices/population.h"

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sdk/hal/serial/termios_serial_port.h"

namespace ews::lab {

absl::StatusOr<DeviceSpec> ParseDeviceSpec(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  if (parts.size() < 2 || parts.size() > 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "device spec '", text, "': want ADDRESS:PROFILE[:key=value,...]"));
  }
  DeviceSpec spec;
  if (!absl::SimpleAtoi(parts[0], &spec.options.address) ||
      spec.options.address < 1 || spec.options.address > 247) {
    return absl::InvalidArgumentError(
        absl::StrCat("device spec '", text, "': address must be 1..247"));
  }
  spec.profile_id = parts[1];
  spec.options.seed = static_cast<uint32_t>(spec.options.address);
  if (parts.size() == 3) {
    for (absl::string_view option : absl::StrSplit(parts[2], ',')) {
      std::pair<std::string, std::string> kv =
          absl::StrSplit(option, absl::MaxSplits('=', 1));
      double number = 0;
      const bool numeric = absl::SimpleAtod(kv.second, &number);
      if (kv.first == "export" && kv.second.empty()) {
        spec.options.exporting = true;
      } else if (kv.first == "current" && numeric && number >= 0) {
        spec.options.nominal_current_a = number;
      } else if (kv.first == "voltage" && numeric && number > 0) {
        spec.options.nominal_voltage_v = number;
      } else if (kv.first == "pf" && numeric && number > 0 && number <= 1) {
        spec.options.power_factor = number;
      } else if (kv.first == "ct" && numeric && number >= 1 && number < 65536) {
        spec.options.ct_ratio = static_cast<uint16_t>(number);
      } else if (kv.first == "energy" && numeric && number >= 0) {
        spec.options.initial_energy_kwh = number;
      } else if (kv.first == "seed" && numeric && number >= 0) {
        spec.options.seed = static_cast<uint32_t>(number);
      } else if (kv.first == "delay_ms" && numeric && number >= 0) {
        spec.options.reply_delay = absl::Milliseconds(number);
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "device spec '", text, "': bad option '", option,
            "' (export, current=A, voltage=V, pf=0..1, ct=N, energy=kWh, "
            "seed=N, delay_ms=N)"));
      }
    }
  }
  return spec;
}

std::vector<std::string> DemoPopulation() {
  return {
      "1:emdx3_4_120_45:current=40,ct=200",
      "2:mccb_measurement_unit:current=120",
      "3:acb_measurement_unit:current=800",
      "4:din_measurement_module:current=16",
      "5:ev_charger_generic",
      "6:emdx3_4_120_45:current=25,export,seed=9",  // a PV inverter feed
      "21:ems_cx3_measurement:current=32",          // interface 2, module 1
      "22:ems_cx3_signalling",
      "23:ems_cx3_control",
      "24:ems_cx3_pulse_concentrator",
  };
}

absl::StatusOr<std::unique_ptr<modbus::RtuSlave>> ServeDevices(
    const std::string& path, const hal::SerialSettings& line,
    absl::Span<SimulatedDevice* const> devices, Clock* wire_clock) {
  if (devices.empty()) return absl::InvalidArgumentError("no devices");
  for (SimulatedDevice* device : devices) {
    if (device == nullptr) return absl::InvalidArgumentError("null device");
  }
  hal::TermiosSerialPort::Options port_options;
  port_options.clock = wire_clock;
  absl::StatusOr<std::unique_ptr<hal::TermiosSerialPort>> port =
      hal::TermiosSerialPort::Open(path, line, port_options);
  if (!port.ok()) return port.status();
  modbus::RtuSlaveOptions options;
  options.clock = wire_clock;
  absl::StatusOr<std::unique_ptr<modbus::RtuSlave>> slave =
      modbus::RtuSlave::Start(std::move(*port), options);
  if (!slave.ok()) return slave.status();
  for (SimulatedDevice* device : devices) {
    (*slave)->AddHandler(static_cast<uint8_t>(device->address()), device);
  }
  return slave;
}

}  // namespace ews::lab