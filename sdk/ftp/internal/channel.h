// The FTP server's connections (not API): a TCP connection, plain or TLS,
// with the socket's timeouts; the passive-mode listener; socket helpers.
#pragma once

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ews::ftp::internal {

// SO_RCVTIMEO / SO_SNDTIMEO on `fd`.
void SetTimeouts(int fd, absl::Duration receive, absl::Duration send);

// The numeric address of `address` ("" when neither IPv4 nor IPv6).
std::string AddressOf(const sockaddr_storage& address);

// A listening socket (backlog 1) on `local`'s address and the first free
// port in [min_port, max_port]; both 0: any free port. Returns the socket
// and its port. Errors: Unavailable (no socket), ResourceExhausted (no
// free port in the range).
absl::StatusOr<std::pair<int, int>> ListenInRange(const sockaddr_storage& local,
                                                  int min_port, int max_port);

// A TCP connection, plain until StartTls(); owns `fd` and closes it.
class Channel {
 public:
  explicit Channel(int fd) : fd_(fd) {}
  ~Channel();
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;

  int fd() const { return fd_; }
  bool tls() const { return ssl_ != nullptr; }

  // The server side of a TLS handshake. Errors: Internal (no TLS state),
  // Unavailable (the handshake failed).
  absl::Status StartTls(SSL_CTX* context);

  // Bytes read (0 at the end of the stream). Errors: DeadlineExceeded on
  // the socket's receive timeout, Unavailable otherwise.
  absl::StatusOr<size_t> Read(char* buffer, size_t size);

  // Writes all of `bytes`. Errors: DeadlineExceeded on the send timeout
  // (plain), Unavailable otherwise.
  absl::Status Write(absl::string_view bytes);

  // Sends TLS close_notify (clients check it on data connections) and
  // shuts down the sending side.
  void Close();

 private:
  int fd_;
  SSL* ssl_ = nullptr;
};

}  // namespace ews::ftp::internal
