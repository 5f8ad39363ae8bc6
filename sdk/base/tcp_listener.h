// A listening TCP socket on a configured address, for the SDK's own servers
// (the Modbus TCP gateway, FTP): the sockaddr boilerplate in one place.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"

namespace ews {

struct TcpListener {
  int fd = -1;        // the caller owns it
  uint16_t port = 0;  // the bound port (the kernel's choice for port 0)
};

// Listens (close-on-exec, SO_REUSEADDR) on the numeric IPv4 or IPv6
// `address` and `port` (0: a free port). An IPv6 socket bound to "::" also
// accepts IPv4 clients. Errors: InvalidArgument (not a numeric address, or
// a port outside 0..65535); as ErrnoToStatus for socket/bind/listen, with
// the message "cannot listen on <address>:<port>: <reason>".
absl::StatusOr<TcpListener> ListenTcp(const std::string& address, int port,
                                      int backlog);

}  // namespace ews
