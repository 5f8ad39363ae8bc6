// Locates the first syntax error in a JSON text (RFC 8259). Protobuf 3.21's
// JSON parser reports syntax errors without a position; this supplies one.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

#include "absl/strings/string_view.h"

namespace ews::config::internal {

struct JsonSyntaxError {
  int line;    // 1-based
  int column;  // 1-based, in bytes
  std::string message;
};

// The first syntax error in `json`, or nullopt if it is well-formed JSON.
// Only syntax: field names and types are protobuf's business.
std::optional<JsonSyntaxError> FindJsonSyntaxError(absl::string_view json);

}  // namespace ews::config::internal
