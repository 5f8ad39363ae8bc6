#include "sdk/config/validate.h"

#include <cstddef>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "sdk/acquisition/model_limits.h"
#include "sdk/config/internal/validator.h"

namespace ews::config {
namespace internal {

// The sections' checks live in validate_<section>.cc; the ones here concern
// the whole device.

void Validator::CheckSchemaVersion() {
  uint32_t version = config_.schema_version();
  if (version == 0) {
    Error("schema_version", "must be set (this software writes ",
          kSchemaVersion, ")");
  } else if (version > kSchemaVersion) {
    Error("schema_version", version,
          " was written by newer software; this one reads up to ",
          kSchemaVersion);
  }
}

void Validator::CheckSite() {
  Name("site.name", config_.site().name());
  const std::string& serial = config_.site().serial();
  bool ok = serial.size() <= 32;
  for (char c : serial) {
    if (!absl::ascii_isalnum(c) && c != '-') ok = false;
  }
  if (!ok) {
    Error("site.serial", Quote(serial),
          " is not a serial number (0..32 of [A-Za-z0-9-])");
  }
}

void Validator::CheckModelSize() {
  Enum("model_size", config_.model_size(), v1::ModelSize_IsValid,
       [](int v) { return v1::ModelSize_Name(v); });
}

void Validator::CheckCapacity() {
  int capacity = ModelCapacity(config_.model_size());
  if (capacity == 0) return;  // model_size already reported
  int used = config_.modbus_devices_size() + config_.pulse_counters_size();
  if (used > capacity) {
    Error(
        "model_size",
        absl::StrCat(config_.modbus_devices_size(), " Modbus devices + ",
                     config_.pulse_counters_size(), " pulse counters = ", used,
                     " exceed the ", v1::ModelSize_Name(config_.model_size()),
                     " limit of ", capacity));
  }
}

}  // namespace internal

int ModelCapacity(v1::ModelSize model_size) {
  switch (model_size) {
    case v1::MODEL_10:
      return acquisition::kSmallModelCapacity;
    case v1::MODEL_32:
      return acquisition::kLargeModelCapacity;
    default:
      return 0;
  }
}

std::vector<FieldError> FindErrors(const v1::DeviceConfig& config) {
  return internal::Validator(config).Run();
}

absl::Status Validate(const v1::DeviceConfig& config) {
  std::vector<FieldError> errors = FindErrors(config);
  if (errors.empty()) return absl::OkStatus();
  constexpr size_t kMaxReported = 10;
  std::vector<std::string> lines;
  for (size_t i = 0; i < errors.size() && i < kMaxReported; ++i) {
    lines.push_back(errors[i].ToString());
  }
  std::string message = absl::StrJoin(lines, "; ");
  if (errors.size() > kMaxReported) {
    absl::StrAppend(&message, "; ... and ", errors.size() - kMaxReported,
                    " more");
  }
  return absl::InvalidArgumentError(message);
}

}  // namespace ews::config
