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

// One changed field, for the audit log: `field` is the path in text-format
// names with indexes ("modbus_devices[2].address", "rs485.baud_rate");
// `from` / `to` are the values in text format ("" for a field that was not
// there, e.g. an added device; a message is printed on one line). A secret
// (a field marked sensitive: passwords, code salts and hashes) reads
// kRedacted (sdk/config/redact.h) on both sides.
struct FieldChange {
  std::string field;
  std::string from;
  std::string to;
};

// Every changed field between `before` and `after`, in the order
// MessageDifferencer reports them (field number order). Values longer than
// `max_value_chars` are cut with "...".
std::vector<FieldChange> ChangedFields(const v1::DeviceConfig& before,
                                       const v1::DeviceConfig& after,
                                       size_t max_value_chars = 200);

}  // namespace ews::config
