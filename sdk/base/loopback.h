// TCP on 127.0.0.1 for tests, benchmarks and lab tools: a listener on a free
// port and a client connection, each one call instead of the sockaddr
// boilerplate.
#pragma once

#include <cstdint>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ews {

struct LoopbackListener {
  int fd = -1;
  uint16_t port = 0;  // the port the kernel chose
};

// Listens on 127.0.0.1 on a free port. Errors: as ErrnoToStatus.
absl::StatusOr<LoopbackListener> ListenOnLoopback(int backlog = 8);

// Connects to 127.0.0.1:`port` with TCP_NODELAY; reads on the socket time out
// after `receive_timeout`. Errors: as ErrnoToStatus (Unavailable-like codes
// when refused).
absl::StatusOr<int> ConnectToLoopback(uint16_t port,
                                      absl::Duration receive_timeout);

}  // namespace ews
