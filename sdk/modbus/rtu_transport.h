// RtuTransport: a Modbus RTU master over an ews::hal::SerialPort.
//
// One exchange: wait until the line has been silent for t3.5 (3.5 characters
// of the port's settings, at least 1.75 ms), discard stale input, write the
// ADU (built, CRC included, by libmodbus: internal/rtu_codec.h), then read
// the answer as one frame delimited by t3.5 silence, waiting at most the
// request's transmit time + the response timeout for its first byte. The
// frame's CRC is checked by libmodbus and its address must be the unit's.
//
// RX/TX LEDs: the port's TrafficListener (SerialPort::SetTrafficListener)
// sees every byte this transport moves.
#pragma once

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/hal/serial/serial_port.h"
#include "sdk/modbus/transport.h"

namespace ews::modbus {

namespace internal {
class RtuCodec;
}

struct RtuOptions {
  // After a broadcast (unit 0) the master waits this long before the next
  // request (the spec's "turnaround delay", 100..200 ms typically).
  absl::Duration turnaround_delay = absl::Milliseconds(100);
  // Silence kept after an answer before the next request (some meters ask
  // for more than t3.5, e.g. 20 ms). Zero: t3.5 only. Never less than t3.5.
  absl::Duration inter_frame_delay = absl::ZeroDuration();
  // Monotonic time for the inter-frame silence; nullptr: the system clock.
  // Must be the clock the port's timeouts run on.
  Clock* clock = nullptr;
};

class RtuTransport final : public Transport {
 public:
  // `port` is not owned and must outlive the transport.
  // Internal: libmodbus could not be set up.
  static absl::StatusOr<std::unique_ptr<RtuTransport>> Create(
      hal::SerialPort* port, const RtuOptions& options = {});
  ~RtuTransport() override;

  // Transport. Also Unavailable/Internal for serial I/O errors.
  absl::StatusOr<Pdu> Exchange(uint8_t unit, const Pdu& request,
                               absl::Duration response_timeout) override;
  std::string Describe() const override;

  // 3.5 character times of the port's current settings, at least 1.75 ms.
  absl::Duration InterFrameSilence() const;

 private:
  RtuTransport(hal::SerialPort* port, const RtuOptions& options,
               std::unique_ptr<internal::RtuCodec> codec);
  void WaitForSilence();

  hal::SerialPort* const port_;
  const RtuOptions options_;
  Clock* const clock_;
  std::unique_ptr<internal::RtuCodec> codec_;
  // Monotonic time from which the next frame may start.
  absl::Duration line_free_at_ = absl::ZeroDuration();
};

}  // namespace ews::modbus
