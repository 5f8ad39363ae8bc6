#include "sdk/modbus/exception.h"

#include <string>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace ews::modbus {
namespace {

constexpr absl::string_view kPayloadUrl = "type.ews/modbus.exception";
constexpr absl::string_view kAbsentUrl = "type.ews/modbus.absent";

absl::StatusCode CodeFor(uint8_t exception) {
  switch (exception) {
    case 0x01:
    case 0x02:
    case 0x03:
      return absl::StatusCode::kInvalidArgument;
    case 0x05:
    case 0x06:
    case 0x0A:
      return absl::StatusCode::kUnavailable;
    case 0x0B:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return absl::StatusCode::kFailedPrecondition;
  }
}

}  // namespace

std::string ExceptionCodeName(uint8_t code) {
  switch (code) {
    case 0x01:
      return "illegal function";
    case 0x02:
      return "illegal data address";
    case 0x03:
      return "illegal data value";
    case 0x04:
      return "server device failure";
    case 0x05:
      return "acknowledge";
    case 0x06:
      return "server device busy";
    case 0x07:
      return "negative acknowledge";
    case 0x08:
      return "memory parity error";
    case 0x0A:
      return "gateway path unavailable";
    case 0x0B:
      return "gateway target device failed to respond";
    default:
      return absl::StrFormat("exception 0x%02X", code);
  }
}

absl::Status ExceptionStatus(uint8_t code, uint8_t unit, uint8_t function) {
  absl::Status status(
      CodeFor(code),
      absl::StrFormat("modbus exception 0x%02X (%s) from unit %d, function %d",
                      code, ExceptionCodeName(code), unit, function));
  status.SetPayload(kPayloadUrl, absl::Cord(std::string(1, char(code))));
  return status;
}

absl::Status MalformedRequestStatus(uint8_t code, absl::string_view what) {
  absl::Status status(absl::StatusCode::kInvalidArgument,
                      absl::StrCat("malformed request: ", what));
  status.SetPayload(kPayloadUrl, absl::Cord(std::string(1, char(code))));
  return status;
}

std::optional<uint8_t> ModbusExceptionCode(const absl::Status& status) {
  if (status.ok()) return std::nullopt;
  auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value() || payload->size() != 1) return std::nullopt;
  return static_cast<uint8_t>(std::string(*payload)[0]);
}

absl::Status UnitAbsentStatus(absl::string_view message) {
  absl::Status status(absl::StatusCode::kUnavailable, message);
  status.SetPayload(kAbsentUrl, absl::Cord());
  return status;
}

bool IsUnitAbsent(const absl::Status& status) {
  return absl::IsUnavailable(status) &&
         status.GetPayload(kAbsentUrl).has_value();
}

uint8_t GatewayExceptionFor(const absl::Status& status) {
  if (std::optional<uint8_t> code = ModbusExceptionCode(status)) return *code;
  if (IsUnitAbsent(status)) return 0x0B;
  switch (status.code()) {
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kDataLoss:
      return 0x0B;
    case absl::StatusCode::kInvalidArgument:
      return 0x03;
    default:
      return 0x0A;
  }
}

}  // namespace ews::modbus
