#include "sdk/acquisition/model_limits.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace ews::acquisition {

absl::Status CheckModelLimit(int model_size, int n_modbus_addresses,
                             int n_pulse_counters) {
  bool known = false;
  for (int size : kModelSizes) known |= size == model_size;
  if (!known) {
    return absl::InvalidArgumentError(
        absl::StrCat("model size must be 10 or 32, got ", model_size));
  }
  if (n_modbus_addresses < 0 || n_pulse_counters < 0) {
    return absl::InvalidArgumentError("negative device count");
  }
  const int total = n_modbus_addresses + n_pulse_counters;
  if (total > model_size) {
    return absl::InvalidArgumentError(absl::StrCat(
        "model ", model_size, " manages at most ", model_size,
        " Modbus addresses and pulse counters together; this configuration "
        "has ",
        n_modbus_addresses, " Modbus address",
        n_modbus_addresses == 1 ? "" : "es", " + ", n_pulse_counters,
        " pulse counter", n_pulse_counters == 1 ? "" : "s", " = ", total,
        ": remove ", total - model_size,
        model_size == kSmallModelCapacity
            ? absl::StrCat(" or use model ", kLargeModelCapacity)
            : ""));
  }
  return absl::OkStatus();
}

int CountDistinctAddresses(absl::Span<const int> addresses) {
  return static_cast<int>(
      std::set<int>(addresses.begin(), addresses.end()).size());
}

}  // namespace ews::acquisition
