// Validation of a whole DeviceConfig. Components receive only configs that
// passed Validate(); the store refuses to save or load anything else.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "sdk/config/config.pb.h"

namespace ews::config {

// The schema version this software reads and writes.
inline constexpr uint32_t kSchemaVersion = 1;

// The number of Modbus devices + pulse counters a model handles (10 or 32),
// 0 for an unknown model.
int ModelCapacity(v1::ModelSize model_size);

// One problem: `field` is the path from the root in text-format field names
// ("modbus_devices[3].address"), `message` says what is wrong with it.
struct FieldError {
  std::string field;
  std::string message;
  std::string ToString() const { return field + ": " + message; }
};

// Every problem in `config`, in field order. Empty = valid.
std::vector<FieldError> FindErrors(const v1::DeviceConfig& config);

// OK, or InvalidArgument whose message is the problems joined by "; "
// (at most 10, then "... and N more"), each "field: message", e.g.
// "modbus_devices[3].address: 0 is outside 1..247".
absl::Status Validate(const v1::DeviceConfig& config);

}  // namespace ews::config
