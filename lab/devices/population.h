// Populations of simulated devices on a line: parsing a device spec, the
// demo population, and serving devices as Modbus RTU slaves.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"
#include "lab/devices/simulated_device.h"
#include "sdk/base/clock.h"
#include "sdk/hal/serial/serial_port.h"
#include "sdk/modbus/rtu_slave.h"

namespace ews::lab {

// "5:emdx3_4_120_45" or "15:ems_cx3_measurement:current=20,export,ct=200,
// seed=3,delay_ms=5": a device of a population. InvalidArgument otherwise.
struct DeviceSpec {
  std::string profile_id;
  SimulatedDeviceOptions options;
};
absl::StatusOr<DeviceSpec> ParseDeviceSpec(absl::string_view text);

// Serves `devices` (not owned; they must outlive the slave) as Modbus RTU
// slaves at their addresses on the serial line at `path` (a virtual-bus
// endpoint, a pty, a real port), opened with `line`. Devices may share an
// address (EMS CX3 modules forming one logical device). `wire_clock` (not
// owned; nullptr: SystemClock) times the line; it must run in real time.
// InvalidArgument: no devices or a null one; the port's errors otherwise.
absl::StatusOr<std::unique_ptr<modbus::RtuSlave>> ServeDevices(
    const std::string& path, const hal::SerialSettings& line,
    absl::Span<SimulatedDevice* const> devices, Clock* wire_clock = nullptr);

// A bus population with one device of every family of the issue, at
// addresses 1..6 (two EMDX3 meters, one of them a PV feed) and an EMS
// interface 2 (modules 21..24), as the demo uses.
std::vector<std::string> DemoPopulation();

}  // namespace ews::lab
