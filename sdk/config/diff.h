// Which parts of the configuration changed, so the app re-applies only those
// (e.g. restart the RS485 bus only when `rs485` or `modbus_devices` changed).
#pragma once

#include <string>
#include <vector>

#include "sdk/config/config.pb.h"

namespace ews::config {

// The names of DeviceConfig's top-level fields whose values differ between
// `before` and `after` ("rs485", "modbus_devices", "users", ...), in field
// number order. Empty if they are equal.
std::vector<std::string> ChangedSections(const v1::DeviceConfig& before,
                                         const v1::DeviceConfig& after);

}  // namespace ews::config
