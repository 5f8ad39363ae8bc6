#include "sdk/devices/ems_addressing.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ews::devices {

absl::StatusOr<int> EmsModbusAddress(const EmsLocation& location) {
  if (location.module < 1 || location.module > 9) {
    return absl::InvalidArgumentError(
        absl::StrCat("EMS module number must be 1..9 (track wheel; 0 is not "
                     "permitted), got ",
                     location.module));
  }
  const int address = location.interface * 10 + location.module;
  if (location.interface < 1 || address > 247) {
    return absl::InvalidArgumentError(absl::StrCat(
        "EMS interface ", location.interface, " with module ", location.module,
        " gives Modbus address ", address, ", outside 11..247"));
  }
  return address;
}

std::optional<EmsLocation> EmsLocationOf(int modbus_address) {
  if (modbus_address < 11 || modbus_address > 247 || modbus_address % 10 == 0) {
    return std::nullopt;
  }
  return EmsLocation{modbus_address / 10, modbus_address % 10};
}

absl::StatusOr<std::vector<int>> EmsInterfaceAddresses(int interface) {
  std::vector<int> addresses;
  for (int module = 1; module <= 9; ++module) {
    absl::StatusOr<int> address = EmsModbusAddress({interface, module});
    if (!address.ok()) {
      if (module == 1) return address.status();
      break;  // interface 24: modules 1..7 only
    }
    addresses.push_back(*address);
  }
  return addresses;
}

}  // namespace ews::devices
