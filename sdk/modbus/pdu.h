// Modbus PDUs (function code + data, without unit id, CRC or MBAP header):
// request builders, request validation and response parsers for the function
// codes EWS speaks: 1, 2, 3, 4, 5, 6, 15, 16, 23 and 43/14.
//
// The same code serves the client side (building requests, checking answers)
// and the gateway (rejecting malformed requests before they reach the line).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"

namespace ews::modbus {

// Function code + data. At most kMaxPduSize bytes.
using Pdu = std::vector<uint8_t>;

constexpr size_t kMaxPduSize = 253;
constexpr uint8_t kBroadcastUnit = 0;
constexpr uint8_t kGatewaySelfUnit = 255;

namespace fc {
constexpr uint8_t kReadCoils = 0x01;
constexpr uint8_t kReadDiscreteInputs = 0x02;
constexpr uint8_t kReadHoldingRegisters = 0x03;
constexpr uint8_t kReadInputRegisters = 0x04;
constexpr uint8_t kWriteSingleCoil = 0x05;
constexpr uint8_t kWriteSingleRegister = 0x06;
constexpr uint8_t kWriteMultipleCoils = 0x0F;
constexpr uint8_t kWriteMultipleRegisters = 0x10;
constexpr uint8_t kReadWriteMultipleRegisters = 0x17;
constexpr uint8_t kEncapsulatedInterface = 0x2B;
constexpr uint8_t kMeiReadDeviceIdentification = 0x0E;
}  // namespace fc

// Protocol limits (Modbus application protocol v1.1b3).
constexpr uint16_t kMaxReadBits = 2000;
constexpr uint16_t kMaxReadRegisters = 125;
constexpr uint16_t kMaxWriteBits = 1968;
constexpr uint16_t kMaxWriteRegisters = 123;
constexpr uint16_t kMaxReadWriteReadRegisters = 125;
constexpr uint16_t kMaxReadWriteWriteRegisters = 121;

// 43/14 read device id codes.
enum class DeviceIdCode : uint8_t {
  kBasic = 1,     // objects 0..2: vendor, product code, revision
  kRegular = 2,   // objects 0..6
  kExtended = 3,  // objects 0..255
  kSpecific = 4,  // one object
};

// Well-known object ids.
namespace object_id {
constexpr uint8_t kVendorName = 0x00;
constexpr uint8_t kProductCode = 0x01;
constexpr uint8_t kMajorMinorRevision = 0x02;
constexpr uint8_t kVendorUrl = 0x03;
constexpr uint8_t kProductName = 0x04;
constexpr uint8_t kModelName = 0x05;
constexpr uint8_t kUserApplicationName = 0x06;
}  // namespace object_id

struct DeviceIdentification {
  uint8_t conformity_level = 0;
  std::map<uint8_t, std::string> objects;
};

// Whether the function only reads (and may therefore be retried safely).
bool IsReadFunction(uint8_t function);
// Whether the function may be broadcast (unit 0): writes only.
bool IsBroadcastableFunction(uint8_t function);

// Request builders. They do not validate ranges; ValidateRequest() does.
Pdu ReadRequest(uint8_t function, uint16_t address, uint16_t count);
Pdu WriteSingleCoilRequest(uint16_t address, bool value);
Pdu WriteSingleRegisterRequest(uint16_t address, uint16_t value);
Pdu WriteMultipleCoilsRequest(uint16_t address,
                              const std::vector<bool>& values);
Pdu WriteMultipleRegistersRequest(uint16_t address,
                                  const std::vector<uint16_t>& values);
Pdu ReadWriteMultipleRegistersRequest(uint16_t read_address,
                                      uint16_t read_count,
                                      uint16_t write_address,
                                      const std::vector<uint16_t>& values);
Pdu ReadDeviceIdentificationRequest(DeviceIdCode code, uint8_t object_id);

// Checks a request PDU. For the function codes above: exact length, byte
// counts and quantities within the protocol limits, coil values 0x0000 or
// 0xFF00, address + quantity within 16 bits. Other function codes pass if the
// PDU is 1..kMaxPduSize bytes (a gateway relays them to the device).
// InvalidArgument (carrying exception 0x03, or 0x01 for a bad MEI type) when
// the request is malformed.
absl::Status ValidateRequest(absl::Span<const uint8_t> pdu);

// Checks `response` against `request`: an exception response becomes
// ExceptionStatus(code); a function code or length that does not fit the
// request is DataLoss. OK means the response is well-formed for the request.
absl::Status CheckResponse(uint8_t unit, absl::Span<const uint8_t> request,
                           absl::Span<const uint8_t> response);

// Parsers for checked responses (they re-check and return DataLoss).
absl::StatusOr<std::vector<bool>> ParseBits(absl::Span<const uint8_t> request,
                                            absl::Span<const uint8_t> response);
absl::StatusOr<std::vector<uint16_t>> ParseRegisters(
    absl::Span<const uint8_t> request, absl::Span<const uint8_t> response);
// One 43/14 response: objects, and whether more follow (next object id).
struct DeviceIdentificationPart {
  DeviceIdentification identification;
  bool more_follows = false;
  uint8_t next_object_id = 0;
};
absl::StatusOr<DeviceIdentificationPart> ParseDeviceIdentification(
    absl::Span<const uint8_t> response);

// The size of the normal response PDU to a valid `request`, when the
// request alone determines it (1, 2, 3, 4, 5, 6, 15, 16, 23); nullopt
// otherwise (43/14, unknown functions). An exception response is 2 bytes.
std::optional<size_t> ExpectedResponseSize(absl::Span<const uint8_t> request);

// The exception response PDU for `request_function`.
Pdu ExceptionResponse(uint8_t request_function, uint8_t code);

// "03 00 04 00 02": hex for logs.
std::string HexBytes(absl::Span<const uint8_t> bytes);

}  // namespace ews::modbus
