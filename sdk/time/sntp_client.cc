#include "sdk/time/sntp_client.h"

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "sdk/time/ntp_packet.h"

namespace ews::ntp {
namespace {

// Timestamps are read in the era closest to the later of our clock and
// this date (a device whose RTC lost its time starts in 2000).
const absl::Time kPivotFloor = absl::FromUnixSeconds(1767225600);  // 2026

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket() {
    if (fd_ >= 0) close(fd_);
  }
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  int fd() const { return fd_; }

 private:
  int fd_;
};

absl::Status SocketError(absl::string_view what, int error) {
  return absl::UnavailableError(absl::StrCat(what, ": ", strerror(error)));
}

absl::StatusOr<SntpSample> Evaluate(const NtpPacket& reply, absl::Time t1,
                                    absl::Time t4, const SntpLimits& limits) {
  if (reply.mode != Mode::kServer) {
    return absl::DataLossError(absl::StrCat("not a server answer (mode ",
                                            static_cast<int>(reply.mode), ")"));
  }
  if (reply.version < 3 || reply.version > 4) {
    return absl::DataLossError(
        absl::StrCat("unsupported NTP version ", reply.version));
  }
  if (reply.stratum == 0) {
    // Kiss-o'-death (RFC 5905 §7.4): stratum 0 with an ASCII code.
    const std::string code = KissCode(reply);
    if (code == "RATE") {
      return absl::ResourceExhaustedError(
          "kiss-o'-death RATE: the server asks to be polled less often");
    }
    if (code == "DENY" || code == "RSTR") {
      return absl::PermissionDeniedError(
          absl::StrCat("kiss-o'-death ", code, ": the server refuses us"));
    }
  }
  if (reply.leap == kLeapAlarm || reply.stratum == 0 || reply.stratum >= 16) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the server is not synchronised (leap ", reply.leap, ", stratum ",
        reply.stratum, reply.stratum == 0 ? ", code " + KissCode(reply) : "",
        ")"));
  }
  if (reply.receive == 0 || reply.transmit == 0) {
    return absl::DataLossError("zero receive or transmit timestamp");
  }
  const absl::Time pivot = std::max(t1, kPivotFloor);
  const absl::Time t2 = FromNtpTimestamp(reply.receive, pivot);
  const absl::Time t3 = FromNtpTimestamp(reply.transmit, pivot);
  if (t3 < t2) {
    return absl::DataLossError("the server sent before it received");
  }
  SntpSample sample;
  sample.offset = ((t2 - t1) + (t3 - t4)) / 2;
  sample.delay = (t4 - t1) - (t3 - t2);
  sample.stratum = reply.stratum;
  sample.root_distance = ShortToDuration(reply.root_delay) / 2 +
                         ShortToDuration(reply.root_dispersion);
  sample.server_time = t3;
  if (sample.delay < absl::ZeroDuration() || sample.delay > limits.max_delay) {
    return absl::DataLossError(absl::StrCat(
        "implausible round-trip delay ", absl::FormatDuration(sample.delay)));
  }
  if (sample.root_distance > limits.max_root_distance) {
    return absl::FailedPreconditionError(absl::StrCat(
        "the server's root distance ",
        absl::FormatDuration(sample.root_distance), " is too large"));
  }
  return sample;
}

}  // namespace

absl::StatusOr<ServerAddress> ParseServerAddress(absl::string_view server) {
  ServerAddress address;
  absl::string_view port;
  bool has_port = false;
  if (!server.empty() && server[0] == '[') {
    const size_t close = server.find(']');
    if (close == absl::string_view::npos) {
      return absl::InvalidArgumentError("unbalanced '[' in the server");
    }
    address.host = std::string(server.substr(1, close - 1));
    absl::string_view rest = server.substr(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') {
        return absl::InvalidArgumentError("junk after ']' in the server");
      }
      port = rest.substr(1);
      has_port = true;
    }
  } else if (std::count(server.begin(), server.end(), ':') == 1) {
    const size_t colon = server.find(':');
    address.host = std::string(server.substr(0, colon));
    port = server.substr(colon + 1);
    has_port = true;
  } else {
    address.host = std::string(server);  // a name, IPv4 or bare IPv6
  }
  if (address.host.empty()) {
    return absl::InvalidArgumentError("empty NTP server name");
  }
  if (has_port) {
    uint32_t value = 0;
    if (!absl::SimpleAtoi(port, &value) || value == 0 || value > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("bad NTP server port \"", port, "\""));
    }
    address.port = static_cast<uint16_t>(value);
  }
  return address;
}

absl::StatusOr<SntpSample> SntpClient::Query(absl::string_view server,
                                             absl::Duration timeout) {
  absl::StatusOr<ServerAddress> address = ParseServerAddress(server);
  if (!address.ok()) return address.status();
  addrinfo hints = {};
  hints.ai_socktype = SOCK_DGRAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = absl::StrCat(address->port);
  const int resolved =
      getaddrinfo(address->host.c_str(), port.c_str(), &hints, &found);
  if (resolved != 0 || found == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot resolve NTP server \"", address->host,
                     "\": ", gai_strerror(resolved)));
  }
  Socket socket(
      ::socket(found->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (socket.fd() < 0) {
    freeaddrinfo(found);
    return SocketError("socket", errno);
  }
  // A connected socket only receives from the server's address.
  const int connected = connect(socket.fd(), found->ai_addr, found->ai_addrlen);
  const int connect_error = errno;
  freeaddrinfo(found);
  if (connected != 0) return SocketError("connect", connect_error);

  // The transmit timestamp doubles as a nonce: its lowest 16 bits (15 µs)
  // are random, and the answer must echo it as its origin timestamp.
  static thread_local std::mt19937_64 random{std::random_device{}()};
  const absl::Time t1 = clock_.WallNow();
  const absl::Duration sent_at = clock_.MonotonicNow();
  NtpPacket request;
  request.mode = Mode::kClient;
  request.version = 4;
  request.transmit =
      (ToNtpTimestamp(t1) & ~uint64_t{0xFFFF}) | (random() & uint64_t{0xFFFF});
  const std::string bytes = EncodePacket(request);
  if (send(socket.fd(), bytes.data(), bytes.size(), 0) !=
      static_cast<ssize_t>(bytes.size())) {
    return SocketError("send", errno);
  }

  for (;;) {
    const absl::Duration left = timeout - (clock_.MonotonicNow() - sent_at);
    if (left <= absl::ZeroDuration()) break;
    pollfd waiting = {socket.fd(), POLLIN, 0};
    const int ready = poll(&waiting, 1,
                           static_cast<int>(std::max<int64_t>(
                               1, absl::ToInt64Milliseconds(left))));
    if (ready < 0 && errno != EINTR) return SocketError("poll", errno);
    if (ready <= 0) continue;
    char buffer[512];
    const ssize_t n = recv(socket.fd(), buffer, sizeof buffer, 0);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      // ECONNREFUSED: nothing listens there (ICMP port unreachable).
      return SocketError("recv", errno);
    }
    const absl::Time t4 = t1 + (clock_.MonotonicNow() - sent_at);
    absl::StatusOr<NtpPacket> reply =
        DecodePacket(absl::string_view(buffer, static_cast<size_t>(n)));
    if (!reply.ok()) return reply.status();
    if (reply->origin != request.transmit) continue;  // stale or spoofed
    return Evaluate(*reply, t1, t4, limits_);
  }
  return absl::DeadlineExceededError(
      absl::StrCat("no answer from NTP server ", server, " within ",
                   absl::FormatDuration(timeout)));
}

}  // namespace ews::ntp
