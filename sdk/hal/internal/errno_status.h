// errno → absl::Status at the one boundary where sdk/hal calls Linux.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ews::hal::internal {

// Maps `error` (an errno value) to the code a caller should act on:
// ENOENT/ENODEV/ENXIO → NotFound, EACCES/EPERM → PermissionDenied,
// EBUSY/EAGAIN/EINTR → Unavailable, EINVAL → InvalidArgument,
// ENOTTY → FailedPrecondition, ETIMEDOUT → DeadlineExceeded, else Internal.
// The message is "<what>: <strerror>".
absl::Status ErrnoToStatus(int error, absl::string_view what);

}  // namespace ews::hal::internal
