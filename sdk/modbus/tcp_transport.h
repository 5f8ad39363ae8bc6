// TcpTransport: Modbus TCP to one IP gateway (or a Modbus TCP device), for
// the concentrator topologies. One connection per gateway, reused for every
// request; a broken connection is re-opened on the next request, and failed
// connects back off exponentially (so a dead gateway costs nothing but an
// immediate Unavailable until the next attempt is due).
//
// MBAP framing is ours (7-byte header, transaction ids; there is no CRC on
// TCP): libmodbus 3.1.6 frames TCP answers by function code and cannot relay
// 43/14 or unknown functions. Answers with a stale transaction id (late
// answers to a request that timed out) are skipped.
//
// Framing::kRtuOverTcp speaks to serial device servers that carry RTU frames
// unchanged over TCP: frames are built and CRC-checked by libmodbus
// (internal/rtu_codec.h); stale bytes are discarded before each request;
// an answer ends at the length the request implies with a good CRC, or
// (length unknown) rtu_frame_gap after it last had a good CRC; a frame
// whose CRC fails is waited on up to the response timeout.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/modbus/transport.h"

namespace ews::modbus {

namespace internal {
class RtuCodec;
}

struct TcpOptions {
  enum class Framing {
    kMbap,       // Modbus TCP: MBAP header, transaction ids
    kRtuOverTcp  // raw RTU frames (address + PDU + CRC) in the TCP stream
  };
  std::string host;  // IPv4 address or name
  uint16_t port = 502;
  Framing framing = Framing::kMbap;
  // RTU over TCP: an answer whose length the request does not imply (43/14,
  // unknown functions) ends after this long without more bytes.
  absl::Duration rtu_frame_gap = absl::Milliseconds(20);
  absl::Duration connect_timeout = absl::Seconds(1);
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(10);
  // Close the connection after this long unused (gateways drop idle
  // clients; reconnecting before a request is cheaper than a failed send).
  absl::Duration idle_close = absl::Seconds(30);
  // Monotonic time for back-off and idle; nullptr: the system clock.
  Clock* clock = nullptr;
};

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(const TcpOptions& options);
  ~TcpTransport() override;

  // Transport. Unavailable: cannot connect (or backing off after a failed
  // connect), or the connection broke.
  absl::StatusOr<Pdu> Exchange(uint8_t unit, const Pdu& request,
                               absl::Duration response_timeout) override;
  std::string Describe() const override;

  bool connected() const { return fd_ >= 0; }
  // Connections opened so far (reconnects included).
  int connects() const { return connects_; }

 private:
  absl::Status Connect();
  void Disconnect();
  absl::StatusOr<Pdu> ExchangeOnce(uint8_t unit, const Pdu& request,
                                   absl::Duration response_timeout);
  absl::StatusOr<Pdu> ExchangeRtu(uint8_t unit, const Pdu& request,
                                  absl::Duration response_timeout);

  const TcpOptions options_;
  std::unique_ptr<internal::RtuCodec> codec_;  // kRtuOverTcp only
  Clock* const clock_;
  int fd_ = -1;
  int connects_ = 0;
  uint16_t transaction_id_ = 0;
  absl::Duration backoff_ = absl::ZeroDuration();
  absl::Duration next_connect_at_ = absl::ZeroDuration();
  absl::Duration last_used_ = absl::ZeroDuration();
};

}  // namespace ews::modbus
