#include "sdk/base/loopback.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>

#include "sdk/base/files.h"

namespace ews {
namespace {

sockaddr_in Loopback(uint16_t port) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  return address;
}

absl::Status CloseWith(int fd, const char* what) {
  absl::Status status = ErrnoToStatus(errno, what);
  close(fd);
  return status;
}

}  // namespace

absl::StatusOr<LoopbackListener> ListenOnLoopback(int backlog) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoToStatus(errno, "socket");
  sockaddr_in address = Loopback(0);
  socklen_t length = sizeof address;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return CloseWith(fd, "bind 127.0.0.1:0");
  }
  if (listen(fd, backlog) != 0) return CloseWith(fd, "listen");
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    return CloseWith(fd, "getsockname");
  }
  return LoopbackListener{fd, ntohs(address.sin_port)};
}

absl::StatusOr<int> ConnectToLoopback(uint16_t port,
                                      absl::Duration receive_timeout) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return ErrnoToStatus(errno, "socket");
  sockaddr_in address = Loopback(port);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    return CloseWith(fd, "connect to 127.0.0.1");
  }
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  const timeval timeout = absl::ToTimeval(receive_timeout);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  return fd;
}

}  // namespace ews
