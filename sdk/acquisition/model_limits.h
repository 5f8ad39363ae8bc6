// The product's size caps: model "10" manages 10, model "32" manages 32
// Modbus addresses and pulse counters together. A configuration beyond the
// cap is a validation error with a clear message, never a silent drop.
#pragma once

#include <vector>

#include "absl/status/status.h"
#include "absl/types/span.h"

namespace ews::acquisition {

// The model sizes that exist. The single owner of these numbers: the
// configuration (sdk/config ModelCapacity()) maps its ModelSize enum to them.
inline constexpr int kSmallModelCapacity = 10;
inline constexpr int kLargeModelCapacity = 32;
inline constexpr int kModelSizes[] = {kSmallModelCapacity, kLargeModelCapacity};

// OK if n_modbus_addresses + n_pulse_counters <= model_size.
// InvalidArgument: model_size is not 10 or 32, a negative count, or the sum
// exceeds the cap, e.g. "model 10 manages at most 10 Modbus addresses and
// pulse counters together; this configuration has 9 Modbus addresses + 3
// pulse counters = 12: remove 2".
absl::Status CheckModelLimit(int model_size, int n_modbus_addresses,
                             int n_pulse_counters);

// Modbus addresses counted once each: EMS CX3 modules that share an address
// (one logical device) and a device listed twice count as one.
int CountDistinctAddresses(absl::Span<const int> addresses);

}  // namespace ews::acquisition
