// RtuCodec: libmodbus as the RTU frame codec (ADU = address + PDU + CRC-16).
//
// libmodbus 3.1.6 installs no backend header, so its transport cannot be
// replaced; and its own receive path frames answers by function code (it
// cannot frame 43/14 or any function it does not know, which a gateway must
// relay). So EWS moves the bytes itself (the HAL SerialPort: t3.5 framing,
// timeouts, counters, fakes) and uses a libmodbus RTU context, never
// connected to a device, whose fd is one end of a socketpair:
//   Encode: modbus_send_raw_request() builds the ADU and appends libmodbus's
//           CRC; we read the ADU back from the other end.
//   Check:  the received frame's body is re-encoded the same way and the CRC
//           libmodbus computes is compared with the received one.
// No modbus_t* leaves this file's implementation.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace ews::modbus::internal {

class RtuCodec {
 public:
  // Internal: libmodbus or socketpair() failed.
  static absl::StatusOr<std::unique_ptr<RtuCodec>> Create();
  ~RtuCodec();
  RtuCodec(const RtuCodec&) = delete;
  RtuCodec& operator=(const RtuCodec&) = delete;

  // address + pdu + CRC. InvalidArgument: pdu empty or too long.
  absl::StatusOr<std::vector<uint8_t>> Encode(uint8_t address,
                                              absl::Span<const uint8_t> pdu);

  // Checks a received frame (address + PDU + CRC): at least 4 bytes and a
  // correct CRC. DataLoss otherwise.
  absl::Status Check(absl::Span<const uint8_t> frame);

 private:
  struct Context;
  explicit RtuCodec(std::unique_ptr<Context> context);
  std::unique_ptr<Context> context_;
};

}  // namespace ews::modbus::internal
