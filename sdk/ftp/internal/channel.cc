#include "sdk/ftp/internal/channel.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "sdk/security/tls/internal/server_context.h"

namespace ews::ftp::internal {

using security::internal::TlsError;

void SetTimeouts(int fd, absl::Duration receive, absl::Duration send) {
  timeval r = absl::ToTimeval(receive);
  timeval s = absl::ToTimeval(send);
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &r, sizeof r);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &s, sizeof s);
}

std::string AddressOf(const sockaddr_storage& address) {
  char text[INET6_ADDRSTRLEN] = "";
  if (address.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in&>(address).sin_addr,
              text, sizeof text);
  } else if (address.ss_family == AF_INET6) {
    inet_ntop(AF_INET6,
              &reinterpret_cast<const sockaddr_in6&>(address).sin6_addr, text,
              sizeof text);
  }
  return text;
}

absl::StatusOr<std::pair<int, int>> ListenInRange(const sockaddr_storage& local,
                                                  int min_port, int max_port) {
  const int first = min_port == 0 ? 0 : min_port;
  const int last = min_port == 0 ? 0 : max_port;
  for (int port = first; port <= last; ++port) {
    sockaddr_storage address = local;
    socklen_t length;
    if (address.ss_family == AF_INET) {
      reinterpret_cast<sockaddr_in&>(address).sin_port = htons(port);
      length = sizeof(sockaddr_in);
    } else {
      reinterpret_cast<sockaddr_in6&>(address).sin6_port = htons(port);
      length = sizeof(sockaddr_in6);
    }
    const int fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return absl::UnavailableError(strerror(errno));
    if (bind(fd, reinterpret_cast<sockaddr*>(&address), length) == 0 &&
        listen(fd, 1) == 0) {
      sockaddr_storage bound{};
      socklen_t bound_length = sizeof bound;
      getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &bound_length);
      const int bound_port =
          bound.ss_family == AF_INET
              ? ntohs(reinterpret_cast<sockaddr_in&>(bound).sin_port)
              : ntohs(reinterpret_cast<sockaddr_in6&>(bound).sin6_port);
      return std::make_pair(fd, bound_port);
    }
    close(fd);
  }
  return absl::ResourceExhaustedError("no free passive port");
}

Channel::~Channel() {
  if (ssl_ != nullptr) SSL_free(ssl_);
  if (fd_ >= 0) close(fd_);
}

absl::Status Channel::StartTls(SSL_CTX* context) {
  ssl_ = SSL_new(context);
  if (ssl_ == nullptr || !SSL_set_fd(ssl_, fd_)) {
    return absl::InternalError(TlsError("SSL_new"));
  }
  if (SSL_accept(ssl_) != 1) {
    return absl::UnavailableError(TlsError("TLS handshake failed"));
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> Channel::Read(char* buffer, size_t size) {
  if (ssl_ != nullptr) {
    const int n = SSL_read(ssl_, buffer, static_cast<int>(size));
    if (n > 0) return static_cast<size_t>(n);
    const int error = SSL_get_error(ssl_, n);
    if (error == SSL_ERROR_ZERO_RETURN) return 0;
    if (error == SSL_ERROR_SYSCALL &&
        (errno == EAGAIN || errno == EWOULDBLOCK)) {
      return absl::DeadlineExceededError("idle");
    }
    if (error == SSL_ERROR_SYSCALL && n == 0) return 0;
    return absl::UnavailableError(TlsError("TLS read"));
  }
  const ssize_t n = recv(fd_, buffer, size, 0);
  if (n >= 0) return static_cast<size_t>(n);
  if (errno == EAGAIN || errno == EWOULDBLOCK) {
    return absl::DeadlineExceededError("idle");
  }
  return absl::UnavailableError(strerror(errno));
}

absl::Status Channel::Write(absl::string_view bytes) {
  while (!bytes.empty()) {
    const size_t chunk = std::min<size_t>(bytes.size(), 1 << 20);
    if (ssl_ != nullptr) {
      const int n = SSL_write(ssl_, bytes.data(), static_cast<int>(chunk));
      if (n <= 0) return absl::UnavailableError(TlsError("TLS write"));
      bytes.remove_prefix(n);
    } else {
      const ssize_t n = send(fd_, bytes.data(), chunk, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        return errno == EAGAIN ? absl::DeadlineExceededError("send timeout")
                               : absl::UnavailableError(strerror(errno));
      }
      bytes.remove_prefix(n);
    }
  }
  return absl::OkStatus();
}

void Channel::Close() {
  if (ssl_ != nullptr) SSL_shutdown(ssl_);
  shutdown(fd_, SHUT_WR);
}

}  // namespace ews::ftp::internal
