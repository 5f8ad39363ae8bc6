// EMS CX3 addressing through the Modbus/EMS interface 4 149 40
// (docs/devices/ems_cx3.md): with local addressing each module's track
// wheel gives it a number 1..9, modules with the same number form one
// device, and the Modbus address of that device is
//   interface address × 10 + module number
// (interface 1, module 5 -> 15). One interface serves up to 30 modules.
// With remote addressing the configuration software gives each module a
// Modbus address of the installer's choice: nothing to derive.
#pragma once

#include <optional>
#include <vector>

#include "absl/status/statusor.h"

namespace ews::devices {

struct EmsLocation {
  int interface = 0;  // 1..24
  int module = 0;     // 1..9
  bool operator==(const EmsLocation& o) const {
    return interface == o.interface && module == o.module;
  }
};

// The Modbus address of a module (or group of modules) with local
// addressing. InvalidArgument: a module outside 1..9, or an interface whose
// addresses would leave 1..247.
absl::StatusOr<int> EmsModbusAddress(const EmsLocation& location);

// The interface and module a Modbus address stands for under local
// addressing; nullopt where none does (module digit 0, or below 11).
std::optional<EmsLocation> EmsLocationOf(int modbus_address);

// The Modbus addresses of every module number behind one interface (what a
// scan of that interface covers). InvalidArgument: a bad interface.
absl::StatusOr<std::vector<int>> EmsInterfaceAddresses(int interface);

}  // namespace ews::devices
