// Small blocking-socket helpers with deadlines (poll-based), shared by the TCP
// transport and the gateway server.
#pragma once

#include <cstddef>
#include <cstdint>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace ews::modbus::internal {

// Real monotonic time (sockets live in the real world whatever clock the
// logic is given).
absl::Duration RealNow();

// Reads exactly `size` bytes within `timeout` (real time).
// DeadlineExceeded: not all bytes in time. Unavailable: peer closed or error.
absl::Status ReadFull(int fd, uint8_t* data, size_t size,
                      absl::Duration timeout);
// Writes all bytes (MSG_NOSIGNAL) within `timeout`.
absl::Status WriteFull(int fd, const uint8_t* data, size_t size,
                       absl::Duration timeout);
// Waits until `fd` is readable. OK, DeadlineExceeded.
absl::Status WaitReadable(int fd, absl::Duration timeout);

}  // namespace ews::modbus::internal
