// File helpers every module that persists something needs: errno → Status,
// bounded reads, and the one atomic-replace sequence that survives a crash or
// power cut.
#pragma once

#include <sys/types.h>

#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ews {

// Maps `error` (an errno value) to the code a caller should act on, with the
// message
// "<what>: <strerror>": ENOENT/ENODEV/ENXIO → NotFound, EACCES/EPERM/EROFS →
// PermissionDenied, EBUSY/EAGAIN/EINTR → Unavailable, EINVAL → InvalidArgument,
// ENOTTY → FailedPrecondition, ETIMEDOUT → DeadlineExceeded, ENOSPC →
// ResourceExhausted, anything else → Internal.
absl::Status ErrnoToStatus(int error, absl::string_view what);

// Reads a whole file. Errors: as ErrnoToStatus (NotFound when missing);
// ResourceExhausted when the file is larger than `max_bytes` (a guard against
// reading a wrong, huge file into memory).
absl::StatusOr<std::string> ReadFileToString(const std::string& path,
                                             size_t max_bytes = 64 << 20);

// Replaces `path` with `contents` so that after a crash or power cut at any
// moment the file holds either the old or the new contents, never a mix: writes
// `path + ".tmp"` with `mode` (also when a stray temp file already exists),
// fsyncs it, renames it over `path`, fsyncs the directory. On error `path` is
// untouched and the temp file is removed. Errors: as ErrnoToStatus.
absl::Status WriteFileAtomically(const std::string& path,
                                 absl::string_view contents,
                                 mode_t mode = 0600);

// fsync()s a directory, which makes a rename or a newly created file in it
// durable. Errors: as ErrnoToStatus.
absl::Status FsyncDirectory(const std::string& directory);

}  // namespace ews
