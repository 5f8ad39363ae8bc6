#include "sdk/modbus/internal/socket_io.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace ews::modbus::internal {
namespace {

absl::Duration Now() { return RealNow(); }

int PollMs(absl::Duration remaining) {
  if (remaining == absl::InfiniteDuration()) return -1;
  if (remaining <= absl::ZeroDuration()) return 0;
  return static_cast<int>(absl::ToInt64Microseconds(remaining) + 999) / 1000;
}

absl::Status Wait(int fd, short events, absl::Duration deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const absl::Duration remaining = deadline == absl::InfiniteDuration()
                                         ? absl::InfiniteDuration()
                                         : deadline - Now();
    int rc = poll(&p, 1, PollMs(remaining));
    if (rc > 0) return absl::OkStatus();
    if (rc == 0) return absl::DeadlineExceededError("socket timeout");
    if (errno != EINTR) {
      return absl::UnavailableError(absl::StrCat("poll: ", strerror(errno)));
    }
  }
}

}  // namespace

absl::Duration RealNow() {
  return absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

absl::Status WaitReadable(int fd, absl::Duration timeout) {
  return Wait(fd, POLLIN,
              timeout == absl::InfiniteDuration() ? timeout : Now() + timeout);
}

absl::Status ReadFull(int fd, uint8_t* data, size_t size,
                      absl::Duration timeout) {
  const absl::Duration deadline =
      timeout == absl::InfiniteDuration() ? timeout : Now() + timeout;
  size_t done = 0;
  while (done < size) {
    ssize_t n = recv(fd, data + done, size - done, MSG_DONTWAIT);
    if (n > 0) {
      done += n;
      continue;
    }
    if (n == 0) return absl::UnavailableError("connection closed by peer");
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) {
      return absl::UnavailableError(absl::StrCat("recv: ", strerror(errno)));
    }
    absl::Status ready = Wait(fd, POLLIN, deadline);
    if (!ready.ok()) return ready;
  }
  return absl::OkStatus();
}

absl::Status WriteFull(int fd, const uint8_t* data, size_t size,
                       absl::Duration timeout) {
  const absl::Duration deadline =
      timeout == absl::InfiniteDuration() ? timeout : Now() + timeout;
  size_t done = 0;
  while (done < size) {
    ssize_t n = send(fd, data + done, size - done, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n > 0) {
      done += n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
    }
    absl::Status ready = Wait(fd, POLLOUT, deadline);
    if (!ready.ok()) return ready;
  }
  return absl::OkStatus();
}

}  // namespace ews::modbus::internal
