// Small files that survive power cuts: written to a temporary file, fsync'ed,
// renamed over the target, and the directory fsync'ed.
#pragma once

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ews::hal::internal {

// NotFound: the directory does not exist. PermissionDenied. Internal.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents);

// NotFound: no file. DataLoss: larger than `max_size`. Internal.
absl::StatusOr<std::string> ReadSmallFile(const std::string& path,
                                          size_t max_size = 1 << 20);

}  // namespace ews::hal::internal
