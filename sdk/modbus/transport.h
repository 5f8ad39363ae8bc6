// ews::modbus::Transport: one Modbus line as its owner (LineScheduler) drives
// it — one request, one answer, at a time. Not thread-safe: exactly one
// thread (the line's scheduler) calls Exchange().
//
// Implementations:
//   RtuTransport  (rtu_transport.h)  Modbus RTU over an ews::hal::SerialPort
//   TcpTransport  (tcp_transport.h)  Modbus TCP to one IP gateway
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sdk/modbus/pdu.h"

namespace ews::modbus {

class Transport {
 public:
  virtual ~Transport() = default;

  // Sends `request` (a validated PDU) to `unit` and returns the response PDU
  // as received, which may be an exception response (the caller checks it).
  // Unit 0 (broadcast): returns an empty PDU once the request is sent and
  // the line's turnaround delay has passed.
  // DeadlineExceeded: no answer within `response_timeout`.
  // DataLoss: a corrupt answer (CRC error, truncated frame, wrong unit).
  // Unavailable: the line cannot be used now (TCP: not connected, backing
  // off; serial: I/O error). Retry later.
  virtual absl::StatusOr<Pdu> Exchange(uint8_t unit, const Pdu& request,
                                       absl::Duration response_timeout) = 0;

  // For logs and the status page: "/dev/ttyS1 19200 8E1", "10.0.0.7:502".
  virtual std::string Describe() const = 0;
};

}  // namespace ews::modbus
