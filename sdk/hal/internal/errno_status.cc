#include "sdk/hal/internal/errno_status.h"

#include <cerrno>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace ews::hal::internal {

absl::Status ErrnoToStatus(int error, absl::string_view what) {
  char buffer[128];
  // GNU strerror_r returns the message pointer.
  const char* text = strerror_r(error, buffer, sizeof buffer);
  std::string message = absl::StrCat(what, ": ", text);
  switch (error) {
    case ENOENT:
    case ENODEV:
    case ENXIO:
      return absl::NotFoundError(message);
    case EACCES:
    case EPERM:
      return absl::PermissionDeniedError(message);
    case EBUSY:
    case EAGAIN:
    case EINTR:
      return absl::UnavailableError(message);
    case EINVAL:
      return absl::InvalidArgumentError(message);
    case ENOTTY:
      return absl::FailedPreconditionError(message);
    case ETIMEDOUT:
      return absl::DeadlineExceededError(message);
    default:
      return absl::InternalError(message);
  }
}

}  // namespace ews::hal::internal
