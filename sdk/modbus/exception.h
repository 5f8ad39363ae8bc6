// Modbus exception responses as absl::Status.
//
// A device (or a gateway) that answers with an exception response (function
// code | 0x80, one exception code byte) produces an error Status carrying the
// code as a payload. ModbusExceptionCode() reads it back, so callers branch on
// the code without parsing messages:
//
//   auto regs = client.ReadHoldingRegisters(17, 0x1000, 2);
//   if (ModbusExceptionCode(regs.status()) == ExceptionCode::kIllegalAddress)
//
// Status codes (chosen by what the caller should do, see STYLE.md):
//   01 illegal function, 02 illegal data address, 03 illegal data value
//                                       -> InvalidArgument (fix the request)
//   04 server device failure, 07 negative acknowledge, others
//                                       -> FailedPrecondition
//   05 acknowledge, 06 server busy      -> Unavailable (retry later)
//   0A gateway path unavailable         -> Unavailable
//   0B gateway target failed to respond -> DeadlineExceeded
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace ews::modbus {

enum class ExceptionCode : uint8_t {
  kIllegalFunction = 0x01,
  kIllegalDataAddress = 0x02,
  kIllegalDataValue = 0x03,
  kServerDeviceFailure = 0x04,
  kAcknowledge = 0x05,
  kServerDeviceBusy = 0x06,
  kNegativeAcknowledge = 0x07,
  kMemoryParityError = 0x08,
  kGatewayPathUnavailable = 0x0A,
  kGatewayTargetFailedToRespond = 0x0B,
};

// "illegal data address" etc.; "exception 0xNN" for unknown codes.
std::string ExceptionCodeName(uint8_t code);

// An error Status for exception `code` received from `unit` in answer to
// `function`, with the code attached as a payload.
absl::Status ExceptionStatus(uint8_t code, uint8_t unit = 0,
                             uint8_t function = 0);

// InvalidArgument for a malformed request, carrying the exception `code` a
// server answers with (0x01 or 0x03).
absl::Status MalformedRequestStatus(uint8_t code, absl::string_view what);

// The exception code carried by `status`, or nullopt if it is not an
// exception response (OK, timeout, CRC error, ...).
std::optional<uint8_t> ModbusExceptionCode(const absl::Status& status);

// Unavailable, marked as "the unit is absent": the line answered at once
// because the unit missed its last requests (LineScheduler); `message` says
// since when and when it is probed next.
absl::Status UnitAbsentStatus(absl::string_view message);
// True for a UnitAbsentStatus().
bool IsUnitAbsent(const absl::Status& status);

// The exception code a gateway should answer for a Status that is not an
// exception: DeadlineExceeded / DataLoss / an absent unit -> 0x0B (target
// failed to respond), Unavailable (e.g. expired while queued on a busy line)
// / anything else -> 0x0A (path unavailable). For an exception Status, its
// own code.
uint8_t GatewayExceptionFor(const absl::Status& status);

}  // namespace ews::modbus
