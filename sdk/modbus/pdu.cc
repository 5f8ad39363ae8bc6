#include "sdk/modbus/pdu.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "sdk/modbus/exception.h"

namespace ews::modbus {
namespace {

uint16_t Get16(absl::Span<const uint8_t> pdu, size_t offset) {
  return static_cast<uint16_t>(pdu[offset] << 8 | pdu[offset + 1]);
}

void Put16(Pdu& pdu, uint16_t value) {
  pdu.push_back(static_cast<uint8_t>(value >> 8));
  pdu.push_back(static_cast<uint8_t>(value & 0xFF));
}

absl::Status Malformed(absl::string_view what, uint8_t code = 0x03) {
  return MalformedRequestStatus(code, what);
}

absl::Status BadResponse(absl::string_view what,
                         absl::Span<const uint8_t> response) {
  return absl::DataLossError(
      absl::StrCat("bad response (", what, "): ", HexBytes(response)));
}

bool RangeFits(uint16_t address, uint16_t count) {
  return static_cast<uint32_t>(address) + count <= 0x10000;
}

// Functions 1..4: address, quantity.
absl::Status ValidateReadRequest(absl::Span<const uint8_t> pdu) {
  if (pdu.size() != 5) return Malformed("read request must be 5 bytes");
  const uint16_t count = Get16(pdu, 3);
  const uint16_t max =
      pdu[0] <= fc::kReadDiscreteInputs ? kMaxReadBits : kMaxReadRegisters;
  if (count < 1 || count > max) return Malformed("quantity out of range");
  if (!RangeFits(Get16(pdu, 1), count)) {
    return Malformed("address range wraps", 0x02);
  }
  return absl::OkStatus();
}

// Functions 15 and 16: address, quantity, byte count, values.
absl::Status ValidateWriteMultipleRequest(absl::Span<const uint8_t> pdu) {
  if (pdu.size() < 6) return Malformed("truncated write multiple");
  const uint16_t count = Get16(pdu, 3);
  const bool coils = pdu[0] == fc::kWriteMultipleCoils;
  const uint16_t max = coils ? kMaxWriteBits : kMaxWriteRegisters;
  if (count < 1 || count > max) return Malformed("quantity out of range");
  const size_t bytes = coils ? (count + 7) / 8 : count * 2;
  if (pdu[5] != bytes || pdu.size() != 6 + bytes) {
    return Malformed("byte count does not match quantity");
  }
  if (!RangeFits(Get16(pdu, 1), count)) {
    return Malformed("address range wraps", 0x02);
  }
  return absl::OkStatus();
}

// Function 23: read address and quantity, write address, quantity, byte
// count and values.
absl::Status ValidateReadWriteMultipleRequest(absl::Span<const uint8_t> pdu) {
  if (pdu.size() < 10) return Malformed("truncated read/write multiple");
  const uint16_t read_count = Get16(pdu, 3);
  const uint16_t write_count = Get16(pdu, 7);
  if (read_count < 1 || read_count > kMaxReadWriteReadRegisters ||
      write_count < 1 || write_count > kMaxReadWriteWriteRegisters) {
    return Malformed("quantity out of range");
  }
  if (pdu[9] != write_count * 2 || pdu.size() != 10 + write_count * 2u) {
    return Malformed("byte count does not match quantity");
  }
  if (!RangeFits(Get16(pdu, 1), read_count) ||
      !RangeFits(Get16(pdu, 5), write_count)) {
    return Malformed("address range wraps", 0x02);
  }
  return absl::OkStatus();
}

// Function 43: only Read Device Identification (MEI type 14) is checked.
absl::Status ValidateMeiRequest(absl::Span<const uint8_t> pdu) {
  if (pdu.size() < 2) return Malformed("truncated MEI request");
  if (pdu[1] != fc::kMeiReadDeviceIdentification) {
    return absl::OkStatus();  // other MEI types: the device decides
  }
  if (pdu.size() != 4) return Malformed("43/14 request must be 4 bytes");
  if (pdu[2] < 1 || pdu[2] > 4) return Malformed("bad read device id code");
  return absl::OkStatus();
}

}  // namespace

bool IsReadFunction(uint8_t function) {
  return function == fc::kReadCoils || function == fc::kReadDiscreteInputs ||
         function == fc::kReadHoldingRegisters ||
         function == fc::kReadInputRegisters ||
         function == fc::kEncapsulatedInterface;
}

bool IsBroadcastableFunction(uint8_t function) {
  return function == fc::kWriteSingleCoil ||
         function == fc::kWriteSingleRegister ||
         function == fc::kWriteMultipleCoils ||
         function == fc::kWriteMultipleRegisters;
}

Pdu ReadRequest(uint8_t function, uint16_t address, uint16_t count) {
  Pdu pdu{function};
  Put16(pdu, address);
  Put16(pdu, count);
  return pdu;
}

Pdu WriteSingleCoilRequest(uint16_t address, bool value) {
  Pdu pdu{fc::kWriteSingleCoil};
  Put16(pdu, address);
  Put16(pdu, value ? 0xFF00 : 0x0000);
  return pdu;
}

Pdu WriteSingleRegisterRequest(uint16_t address, uint16_t value) {
  Pdu pdu{fc::kWriteSingleRegister};
  Put16(pdu, address);
  Put16(pdu, value);
  return pdu;
}

Pdu WriteMultipleCoilsRequest(uint16_t address,
                              const std::vector<bool>& values) {
  Pdu pdu{fc::kWriteMultipleCoils};
  Put16(pdu, address);
  Put16(pdu, static_cast<uint16_t>(values.size()));
  const size_t bytes = (values.size() + 7) / 8;
  pdu.push_back(static_cast<uint8_t>(bytes));
  for (size_t i = 0; i < bytes; ++i) {
    uint8_t byte = 0;
    for (size_t bit = 0; bit < 8 && i * 8 + bit < values.size(); ++bit) {
      if (values[i * 8 + bit]) byte |= 1 << bit;
    }
    pdu.push_back(byte);
  }
  return pdu;
}

Pdu WriteMultipleRegistersRequest(uint16_t address,
                                  const std::vector<uint16_t>& values) {
  Pdu pdu{fc::kWriteMultipleRegisters};
  Put16(pdu, address);
  Put16(pdu, static_cast<uint16_t>(values.size()));
  pdu.push_back(static_cast<uint8_t>(values.size() * 2));
  for (uint16_t value : values) Put16(pdu, value);
  return pdu;
}

Pdu ReadWriteMultipleRegistersRequest(uint16_t read_address,
                                      uint16_t read_count,
                                      uint16_t write_address,
                                      const std::vector<uint16_t>& values) {
  Pdu pdu{fc::kReadWriteMultipleRegisters};
  Put16(pdu, read_address);
  Put16(pdu, read_count);
  Put16(pdu, write_address);
  Put16(pdu, static_cast<uint16_t>(values.size()));
  pdu.push_back(static_cast<uint8_t>(values.size() * 2));
  for (uint16_t value : values) Put16(pdu, value);
  return pdu;
}

Pdu ReadDeviceIdentificationRequest(DeviceIdCode code, uint8_t object_id) {
  return Pdu{fc::kEncapsulatedInterface, fc::kMeiReadDeviceIdentification,
             static_cast<uint8_t>(code), object_id};
}

absl::Status ValidateRequest(absl::Span<const uint8_t> pdu) {
  if (pdu.empty() || pdu.size() > kMaxPduSize) {
    return Malformed("PDU size out of range");
  }
  const uint8_t function = pdu[0];
  if (function == 0 || function >= 0x80) {
    return Malformed("bad function code", 0x01);
  }
  switch (function) {
    case fc::kReadCoils:
    case fc::kReadDiscreteInputs:
    case fc::kReadHoldingRegisters:
    case fc::kReadInputRegisters:
      return ValidateReadRequest(pdu);
    case fc::kWriteSingleCoil: {
      if (pdu.size() != 5) return Malformed("write single must be 5 bytes");
      const uint16_t value = Get16(pdu, 3);
      if (value != 0x0000 && value != 0xFF00) {
        return Malformed("coil value must be 0x0000 or 0xFF00");
      }
      return absl::OkStatus();
    }
    case fc::kWriteSingleRegister:
      if (pdu.size() != 5) return Malformed("write single must be 5 bytes");
      return absl::OkStatus();
    case fc::kWriteMultipleCoils:
    case fc::kWriteMultipleRegisters:
      return ValidateWriteMultipleRequest(pdu);
    case fc::kReadWriteMultipleRegisters:
      return ValidateReadWriteMultipleRequest(pdu);
    case fc::kEncapsulatedInterface:
      return ValidateMeiRequest(pdu);
    default:
      return absl::OkStatus();
  }
}

absl::Status CheckResponse(uint8_t unit, absl::Span<const uint8_t> request,
                           absl::Span<const uint8_t> response) {
  if (request.empty()) return absl::InvalidArgumentError("empty request");
  if (response.empty()) return BadResponse("empty", response);
  const uint8_t function = request[0];
  if (response[0] == (function | 0x80)) {
    if (response.size() != 2) return BadResponse("exception length", response);
    return ExceptionStatus(response[1], unit, function);
  }
  if (response[0] != function) return BadResponse("function code", response);
  switch (function) {
    case fc::kReadCoils:
    case fc::kReadDiscreteInputs: {
      const size_t bytes = (Get16(request, 3) + 7) / 8;
      if (response.size() != 2 + bytes || response[1] != bytes) {
        return BadResponse("byte count", response);
      }
      return absl::OkStatus();
    }
    case fc::kReadHoldingRegisters:
    case fc::kReadInputRegisters:
    case fc::kReadWriteMultipleRegisters: {
      const size_t bytes = Get16(request, 3) * 2u;
      if (response.size() != 2 + bytes || response[1] != bytes) {
        return BadResponse("byte count", response);
      }
      return absl::OkStatus();
    }
    case fc::kWriteSingleCoil:
    case fc::kWriteSingleRegister:
      if (response.size() != 5 ||
          !std::equal(response.begin(), response.end(), request.begin())) {
        return BadResponse("echo mismatch", response);
      }
      return absl::OkStatus();
    case fc::kWriteMultipleCoils:
    case fc::kWriteMultipleRegisters:
      if (response.size() != 5 ||
          !std::equal(response.begin(), response.end(), request.begin())) {
        return BadResponse("address/quantity mismatch", response);
      }
      return absl::OkStatus();
    case fc::kEncapsulatedInterface:
      if (request.size() >= 2 &&
          request[1] == fc::kMeiReadDeviceIdentification) {
        return ParseDeviceIdentification(response).status();
      }
      return absl::OkStatus();
    default:
      return absl::OkStatus();
  }
}

absl::StatusOr<std::vector<bool>> ParseBits(
    absl::Span<const uint8_t> request, absl::Span<const uint8_t> response) {
  absl::Status status = CheckResponse(0, request, response);
  if (!status.ok()) return status;
  const uint16_t count = Get16(request, 3);
  std::vector<bool> bits(count);
  for (uint16_t i = 0; i < count; ++i) {
    bits[i] = (response[2 + i / 8] >> (i % 8)) & 1;
  }
  return bits;
}

absl::StatusOr<std::vector<uint16_t>> ParseRegisters(
    absl::Span<const uint8_t> request, absl::Span<const uint8_t> response) {
  absl::Status status = CheckResponse(0, request, response);
  if (!status.ok()) return status;
  const uint16_t count = Get16(request, 3);
  std::vector<uint16_t> registers(count);
  for (uint16_t i = 0; i < count; ++i)
    registers[i] = Get16(response, 2 + 2 * i);
  return registers;
}

absl::StatusOr<DeviceIdentificationPart> ParseDeviceIdentification(
    absl::Span<const uint8_t> response) {
  // fc, mei, code, conformity, more, next, count, {id, len, value}*
  if (response.size() < 7 || response[0] != fc::kEncapsulatedInterface ||
      response[1] != fc::kMeiReadDeviceIdentification) {
    return BadResponse("43/14 header", response);
  }
  DeviceIdentificationPart part;
  part.identification.conformity_level = response[3];
  part.more_follows = response[4] == 0xFF;
  part.next_object_id = response[5];
  const int count = response[6];
  size_t offset = 7;
  for (int i = 0; i < count; ++i) {
    if (offset + 2 > response.size())
      return BadResponse("43/14 object", response);
    const uint8_t id = response[offset];
    const uint8_t length = response[offset + 1];
    offset += 2;
    if (offset + length > response.size()) {
      return BadResponse("43/14 object length", response);
    }
    part.identification.objects[id] = std::string(
        response.begin() + offset, response.begin() + offset + length);
    offset += length;
  }
  if (offset != response.size()) return BadResponse("43/14 trailing", response);
  return part;
}

std::optional<size_t> ExpectedResponseSize(absl::Span<const uint8_t> request) {
  if (request.size() < 5) return std::nullopt;
  switch (request[0]) {
    case fc::kReadCoils:
    case fc::kReadDiscreteInputs:
      return 2 + (Get16(request, 3) + 7u) / 8;
    case fc::kReadHoldingRegisters:
    case fc::kReadInputRegisters:
    case fc::kReadWriteMultipleRegisters:
      return 2 + 2u * Get16(request, 3);
    case fc::kWriteSingleCoil:
    case fc::kWriteSingleRegister:
    case fc::kWriteMultipleCoils:
    case fc::kWriteMultipleRegisters:
      return 5;
    default:
      return std::nullopt;
  }
}

Pdu ExceptionResponse(uint8_t request_function, uint8_t code) {
  return Pdu{static_cast<uint8_t>(request_function | 0x80), code};
}

std::string HexBytes(absl::Span<const uint8_t> bytes) {
  return absl::StrJoin(bytes, " ", [](std::string* out, uint8_t byte) {
    absl::StrAppendFormat(out, "%02x", byte);
  });
}

}  // namespace ews::modbus
