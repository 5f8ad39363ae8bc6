// The configuration as protobuf text format (what the device stores, what a
// person edits) and as JSON (what the web API and exports use).
//
// The From*() functions only parse: call Validate() (sdk/config/validate.h)
// before using the result. Unknown fields are errors in both forms, so a
// typo is reported rather than silently dropped. Both apply the upgrades of
// sdk/config/migrate.h (a configuration from older software comes out in the
// current form).
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sdk/config/config.pb.h"

namespace ews::config {

// Text format, one field per line, with a header comment.
std::string ToText(const v1::DeviceConfig& config);

// Errors: InvalidArgument "line L, column C: <protobuf's message>" (1-based)
// for the first syntax error, unknown field or bad enum name.
absl::StatusOr<v1::DeviceConfig> FromText(absl::string_view text);

// Indented JSON with the .proto field names (snake_case, as in the text
// form); enums as names; bytes as base64. Fields at their zero value are
// included so that the whole schema is visible to an editor.
// Errors: Internal if protobuf cannot print (not expected).
absl::StatusOr<std::string> ToJson(const v1::DeviceConfig& config);

// Strict RFC 8259 JSON (no trailing commas, no comments); accepts both
// snake_case and lowerCamelCase names.
// Errors: InvalidArgument "JSON: line L, column C: <what>" for a syntax
// error; "JSON: <protobuf's message>" naming the field path for unknown
// fields and wrong types, e.g. "JSON: (web.https_port): invalid value ...".
absl::StatusOr<v1::DeviceConfig> FromJson(absl::string_view json);

}  // namespace ews::config
