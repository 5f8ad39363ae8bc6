#include "sdk/modbus/tcp_transport.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/modbus/internal/rtu_codec.h"
#include "sdk/modbus/internal/socket_io.h"

namespace ews::modbus {

TcpTransport::TcpTransport(const TcpOptions& options)
    : options_(options),
      clock_(options.clock != nullptr ? options.clock : &SystemClock::Get()) {
  if (options.framing == TcpOptions::Framing::kRtuOverTcp) {
    absl::StatusOr<std::unique_ptr<internal::RtuCodec>> codec =
        internal::RtuCodec::Create();
    if (codec.ok()) codec_ = *std::move(codec);
  }
}

TcpTransport::~TcpTransport() { Disconnect(); }

std::string TcpTransport::Describe() const {
  return absl::StrCat(options_.host, ":", options_.port);
}

void TcpTransport::Disconnect() {
  if (fd_ >= 0) close(fd_);
  fd_ = -1;
}

absl::Status TcpTransport::Connect() {
  const absl::Duration now = clock_->MonotonicNow();
  if (now < next_connect_at_) {
    return absl::UnavailableError(
        absl::StrCat(Describe(), ": not connected, next attempt in ",
                     absl::FormatDuration(next_connect_at_ - now)));
  }
  auto fail = [&](absl::string_view what) {
    Disconnect();
    backoff_ = backoff_ == absl::ZeroDuration()
                   ? options_.initial_backoff
                   : std::min(backoff_ * 2, options_.max_backoff);
    next_connect_at_ = clock_->MonotonicNow() + backoff_;
    return absl::UnavailableError(
        absl::StrCat("cannot connect to ", Describe(), ": ", what,
                     " (retry in ", absl::FormatDuration(backoff_), ")"));
  };
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  const std::string port = absl::StrCat(options_.port);
  if (getaddrinfo(options_.host.c_str(), port.c_str(), &hints, &result) != 0 ||
      result == nullptr) {
    return fail("cannot resolve host");
  }
  fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) {
    freeaddrinfo(result);
    return fail(strerror(errno));
  }
  int rc = connect(fd_, result->ai_addr, result->ai_addrlen);
  freeaddrinfo(result);
  if (rc != 0 && errno != EINPROGRESS) return fail(strerror(errno));
  if (rc != 0) {
    pollfd p{fd_, POLLOUT, 0};
    int ms =
        static_cast<int>(absl::ToInt64Milliseconds(options_.connect_timeout));
    if (poll(&p, 1, ms) <= 0) return fail("connect timeout");
    int error = 0;
    socklen_t length = sizeof error;
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) return fail(strerror(error));
  }
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  ++connects_;
  backoff_ = absl::ZeroDuration();
  next_connect_at_ = absl::ZeroDuration();
  return absl::OkStatus();
}

absl::StatusOr<Pdu> TcpTransport::Exchange(uint8_t unit, const Pdu& request,
                                           absl::Duration response_timeout) {
  const absl::Duration now = clock_->MonotonicNow();
  bool reused = fd_ >= 0;
  if (reused && now - last_used_ > options_.idle_close) {
    Disconnect();
    reused = false;
  }
  if (fd_ < 0) EWS_RETURN_IF_ERROR(Connect());
  last_used_ = now;
  absl::StatusOr<Pdu> result = ExchangeOnce(unit, request, response_timeout);
  if (!result.ok() && absl::IsUnavailable(result.status()) && reused) {
    // The gateway may have dropped an idle connection: one fresh try.
    Disconnect();
    EWS_RETURN_IF_ERROR(Connect());
    result = ExchangeOnce(unit, request, response_timeout);
  }
  if (!result.ok() && !absl::IsDeadlineExceeded(result.status())) {
    Disconnect();
  }
  return result;
}

absl::StatusOr<Pdu> TcpTransport::ExchangeOnce(
    uint8_t unit, const Pdu& request, absl::Duration response_timeout) {
  if (options_.framing == TcpOptions::Framing::kRtuOverTcp) {
    return ExchangeRtu(unit, request, response_timeout);
  }
  const uint16_t tid = ++transaction_id_;
  std::vector<uint8_t> adu = {static_cast<uint8_t>(tid >> 8),
                              static_cast<uint8_t>(tid),
                              0,
                              0,
                              static_cast<uint8_t>((request.size() + 1) >> 8),
                              static_cast<uint8_t>(request.size() + 1),
                              unit};
  adu.insert(adu.end(), request.begin(), request.end());
  EWS_RETURN_IF_ERROR(
      internal::WriteFull(fd_, adu.data(), adu.size(), response_timeout));
  if (unit == kBroadcastUnit) return Pdu();
  const absl::Duration deadline = internal::RealNow() + response_timeout;
  while (true) {
    const absl::Duration remaining = deadline - internal::RealNow();
    uint8_t header[7];
    absl::Status status = internal::ReadFull(
        fd_, header, sizeof header, std::max(remaining, absl::ZeroDuration()));
    if (absl::IsDeadlineExceeded(status)) {
      return absl::DeadlineExceededError(
          absl::StrCat(Describe(), " unit ", unit, ": no answer within ",
                       absl::FormatDuration(response_timeout)));
    }
    EWS_RETURN_IF_ERROR(status);
    const uint16_t got_tid = header[0] << 8 | header[1];
    const uint16_t protocol = header[2] << 8 | header[3];
    const uint16_t length = header[4] << 8 | header[5];
    if (protocol != 0 || length < 2 || length > kMaxPduSize + 1) {
      return absl::UnavailableError(
          absl::StrCat(Describe(), ": malformed MBAP header"));
    }
    Pdu pdu(length - 1);
    EWS_RETURN_IF_ERROR(internal::ReadFull(fd_, pdu.data(), pdu.size(),
                                           absl::Milliseconds(500)));
    if (got_tid != tid) continue;  // a late answer to an earlier request
    if (header[6] != unit) {
      return absl::DataLossError(absl::StrCat(Describe(), ": answer for unit ",
                                              header[6], " to unit ", unit));
    }
    return pdu;
  }
}

absl::StatusOr<Pdu> TcpTransport::ExchangeRtu(uint8_t unit, const Pdu& request,
                                              absl::Duration response_timeout) {
  if (codec_ == nullptr) return absl::InternalError("no RTU codec");
  EWS_ASSIGN_OR_RETURN(std::vector<uint8_t> adu, codec_->Encode(unit, request));
  // Discard anything stale (a late answer to an earlier request).
  uint8_t frame[300];
  while (recv(fd_, frame, sizeof frame, MSG_DONTWAIT) > 0) {
  }
  EWS_RETURN_IF_ERROR(
      internal::WriteFull(fd_, adu.data(), adu.size(), response_timeout));
  if (unit == kBroadcastUnit) return Pdu();
  const std::optional<size_t> expected_pdu = ExpectedResponseSize(request);
  const size_t expected =
      expected_pdu.has_value() ? *expected_pdu + 3 : sizeof frame + 1;
  const absl::Duration deadline = internal::RealNow() + response_timeout;
  size_t total = 0;
  absl::Status crc = absl::DataLossError("empty frame");
  while (total < sizeof frame) {
    if (total >= 4) {
      crc = codec_->Check(absl::Span<const uint8_t>(frame, total));
      const bool exception = (frame[1] & 0x80) != 0;
      if (crc.ok() && (total == expected || (exception && total == 5))) break;
    }
    // Until the answer's CRC checks, wait for more up to the deadline (TCP
    // may split a frame, and Nagle + delayed ACKs can hold a piece 40 ms);
    // a good frame of unknown length ends after rtu_frame_gap.
    absl::Duration wait = deadline - internal::RealNow();
    if (crc.ok()) wait = std::min(wait, options_.rtu_frame_gap);
    absl::Status readable =
        internal::WaitReadable(fd_, std::max(wait, absl::ZeroDuration()));
    if (!readable.ok()) {
      if (total == 0) {
        return absl::DeadlineExceededError(
            absl::StrCat(Describe(), " unit ", unit, ": no answer within ",
                         absl::FormatDuration(response_timeout)));
      }
      break;  // the gap ends the frame
    }
    ssize_t n = recv(fd_, frame + total, sizeof frame - total, MSG_DONTWAIT);
    if (n == 0) return absl::UnavailableError("connection closed by peer");
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) continue;
      return absl::UnavailableError(absl::StrCat("recv: ", strerror(errno)));
    }
    total += n;
  }
  EWS_RETURN_IF_ERROR(crc);
  if (frame[0] != unit) {
    return absl::DataLossError(absl::StrCat(Describe(), ": answer from unit ",
                                            frame[0], " to unit ", unit));
  }
  return Pdu(frame + 1, frame + total - 2);
}

}  // namespace ews::modbus
