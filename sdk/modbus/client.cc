#include "sdk/modbus/client.h"

#include <string>
#include <utility>

#include "sdk/base/status_macros.h"

namespace ews::modbus {

const char* PriorityName(Priority priority) {
  switch (priority) {
    case Priority::kInteractive:
      return "interactive";
    case Priority::kGateway:
      return "gateway";
    case Priority::kBackground:
      return "background";
  }
  return "?";
}

absl::StatusOr<Pdu> Client::Transact(uint8_t unit, const Pdu& request,
                                     const CallOptions& options) {
  EWS_RETURN_IF_ERROR(ValidateRequest(request));
  if (unit == kBroadcastUnit && !IsBroadcastableFunction(request[0])) {
    return absl::InvalidArgumentError(
        "only functions 5, 6, 15 and 16 may be broadcast (unit 0)");
  }
  EWS_ASSIGN_OR_RETURN(Pdu response, DoTransact(unit, request, options));
  if (unit == kBroadcastUnit) return Pdu();
  EWS_RETURN_IF_ERROR(CheckResponse(unit, request, response));
  return response;
}

absl::StatusOr<std::vector<bool>> Client::ReadCoils(
    uint8_t unit, uint16_t address, uint16_t count,
    const CallOptions& options) {
  const Pdu request = ReadRequest(fc::kReadCoils, address, count);
  EWS_ASSIGN_OR_RETURN(Pdu response, Transact(unit, request, options));
  return ParseBits(request, response);
}

absl::StatusOr<std::vector<bool>> Client::ReadDiscreteInputs(
    uint8_t unit, uint16_t address, uint16_t count,
    const CallOptions& options) {
  const Pdu request = ReadRequest(fc::kReadDiscreteInputs, address, count);
  EWS_ASSIGN_OR_RETURN(Pdu response, Transact(unit, request, options));
  return ParseBits(request, response);
}

absl::StatusOr<std::vector<uint16_t>> Client::ReadHoldingRegisters(
    uint8_t unit, uint16_t address, uint16_t count,
    const CallOptions& options) {
  const Pdu request = ReadRequest(fc::kReadHoldingRegisters, address, count);
  EWS_ASSIGN_OR_RETURN(Pdu response, Transact(unit, request, options));
  return ParseRegisters(request, response);
}

absl::StatusOr<std::vector<uint16_t>> Client::ReadInputRegisters(
    uint8_t unit, uint16_t address, uint16_t count,
    const CallOptions& options) {
  const Pdu request = ReadRequest(fc::kReadInputRegisters, address, count);
  EWS_ASSIGN_OR_RETURN(Pdu response, Transact(unit, request, options));
  return ParseRegisters(request, response);
}

absl::Status Client::WriteSingleCoil(uint8_t unit, uint16_t address, bool value,
                                     const CallOptions& options) {
  return Transact(unit, WriteSingleCoilRequest(address, value), options)
      .status();
}

absl::Status Client::WriteSingleRegister(uint8_t unit, uint16_t address,
                                         uint16_t value,
                                         const CallOptions& options) {
  return Transact(unit, WriteSingleRegisterRequest(address, value), options)
      .status();
}

absl::Status Client::WriteMultipleCoils(uint8_t unit, uint16_t address,
                                        const std::vector<bool>& values,
                                        const CallOptions& options) {
  if (values.empty() || values.size() > kMaxWriteBits) {
    return absl::InvalidArgumentError("coil count out of range");
  }
  return Transact(unit, WriteMultipleCoilsRequest(address, values), options)
      .status();
}

absl::Status Client::WriteMultipleRegisters(uint8_t unit, uint16_t address,
                                            const std::vector<uint16_t>& values,
                                            const CallOptions& options) {
  if (values.empty() || values.size() > kMaxWriteRegisters) {
    return absl::InvalidArgumentError("register count out of range");
  }
  return Transact(unit, WriteMultipleRegistersRequest(address, values), options)
      .status();
}

absl::StatusOr<std::vector<uint16_t>> Client::ReadWriteMultipleRegisters(
    uint8_t unit, uint16_t read_address, uint16_t read_count,
    uint16_t write_address, const std::vector<uint16_t>& values,
    const CallOptions& options) {
  if (values.empty() || values.size() > kMaxReadWriteWriteRegisters) {
    return absl::InvalidArgumentError("register count out of range");
  }
  const Pdu request = ReadWriteMultipleRegistersRequest(
      read_address, read_count, write_address, values);
  EWS_ASSIGN_OR_RETURN(Pdu response, Transact(unit, request, options));
  return ParseRegisters(request, response);
}

absl::StatusOr<DeviceIdentification> Client::ReadDeviceIdentification(
    uint8_t unit, DeviceIdCode code, uint8_t object,
    const CallOptions& options) {
  DeviceIdentification result;
  uint8_t next = code == DeviceIdCode::kSpecific ? object : 0;
  // A device splits its objects over several answers; 256 objects at most.
  for (int round = 0; round < 256; ++round) {
    const Pdu request = ReadDeviceIdentificationRequest(code, next);
    EWS_ASSIGN_OR_RETURN(Pdu response, Transact(unit, request, options));
    EWS_ASSIGN_OR_RETURN(DeviceIdentificationPart part,
                         ParseDeviceIdentification(response));
    result.conformity_level = part.identification.conformity_level;
    for (auto& [id, value] : part.identification.objects) {
      result.objects[id] = std::move(value);
    }
    if (!part.more_follows || code == DeviceIdCode::kSpecific) return result;
    if (part.next_object_id <= next) {
      return absl::DataLossError("43/14: next object id does not advance");
    }
    next = part.next_object_id;
  }
  return absl::DataLossError("43/14: too many rounds");
}

}  // namespace ews::modbus
