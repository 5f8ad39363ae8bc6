#include "sdk/modbus/register_bank.h"

#include "sdk/modbus/exception.h"

namespace ews::modbus {
namespace {

uint16_t Get16(const Pdu& pdu, size_t offset) {
  return static_cast<uint16_t>(pdu[offset] << 8 | pdu[offset + 1]);
}
void Put16(Pdu& pdu, uint16_t value) {
  pdu.push_back(static_cast<uint8_t>(value >> 8));
  pdu.push_back(static_cast<uint8_t>(value & 0xFF));
}

// The value at `address`, or the type's zero where the map has none (an open
// bank answers every address).
template <typename Map>
typename Map::mapped_type ValueOrZero(const Map& map, uint16_t address) {
  auto it = map.find(address);
  return it == map.end() ? typename Map::mapped_type{} : it->second;
}

}  // namespace

void RegisterBank::SetHolding(uint16_t address,
                              const std::vector<uint16_t>& values) {
  absl::MutexLock lock(&mutex_);
  for (size_t i = 0; i < values.size(); ++i) holding_[address + i] = values[i];
}
void RegisterBank::SetInput(uint16_t address,
                            const std::vector<uint16_t>& values) {
  absl::MutexLock lock(&mutex_);
  for (size_t i = 0; i < values.size(); ++i) input_[address + i] = values[i];
}
void RegisterBank::SetCoils(uint16_t address, const std::vector<bool>& values) {
  absl::MutexLock lock(&mutex_);
  for (size_t i = 0; i < values.size(); ++i) coils_[address + i] = values[i];
}
void RegisterBank::SetDiscreteInputs(uint16_t address,
                                     const std::vector<bool>& values) {
  absl::MutexLock lock(&mutex_);
  for (size_t i = 0; i < values.size(); ++i) discrete_[address + i] = values[i];
}
void RegisterBank::SetIdentification(
    const DeviceIdentification& identification) {
  absl::MutexLock lock(&mutex_);
  identification_ = identification;
}

uint16_t RegisterBank::holding(uint16_t address) const {
  absl::MutexLock lock(&mutex_);
  auto it = holding_.find(address);
  return it == holding_.end() ? 0 : it->second;
}
bool RegisterBank::coil(uint16_t address) const {
  absl::MutexLock lock(&mutex_);
  auto it = coils_.find(address);
  return it != coils_.end() && it->second;
}

template <typename T>
bool RegisterBank::AllPresent(const std::map<uint16_t, T>& map,
                              uint16_t address, uint16_t count) const {
  if (open_) return true;
  for (uint32_t a = address; a < uint32_t{address} + count; ++a) {
    if (map.find(static_cast<uint16_t>(a)) == map.end()) return false;
  }
  return true;
}

Pdu RegisterBank::Handle(const Pdu& request) {
  absl::Status valid = ValidateRequest(request);
  const uint8_t function = request.empty() ? 0 : request[0];
  if (!valid.ok()) {
    return ExceptionResponse(function, ModbusExceptionCode(valid).value_or(3));
  }
  absl::MutexLock lock(&mutex_);
  switch (function) {
    case fc::kReadCoils:
    case fc::kReadDiscreteInputs:
      return ReadBitsLocked(request);
    case fc::kReadHoldingRegisters:
    case fc::kReadInputRegisters:
      return ReadRegistersLocked(request);
    case fc::kWriteSingleCoil:
    case fc::kWriteMultipleCoils:
      return WriteCoilsLocked(request);
    case fc::kWriteSingleRegister:
    case fc::kWriteMultipleRegisters:
      return WriteRegistersLocked(request);
    case fc::kReadWriteMultipleRegisters:
      return ReadWriteRegistersLocked(request);
    case fc::kEncapsulatedInterface:
      if (request[1] != fc::kMeiReadDeviceIdentification ||
          identification_.objects.empty()) {
        return ExceptionResponse(function, 0x01);
      }
      return DeviceIdentificationResponse(request, identification_);
    default:
      return ExceptionResponse(function, 0x01);
  }
}

Pdu RegisterBank::ReadBitsLocked(const Pdu& request) const {
  const uint8_t function = request[0];
  const auto& map = function == fc::kReadCoils ? coils_ : discrete_;
  const uint16_t address = Get16(request, 1), count = Get16(request, 3);
  if (!AllPresent(map, address, count)) {
    return ExceptionResponse(function, 0x02);
  }
  Pdu response{function, static_cast<uint8_t>((count + 7) / 8)};
  response.resize(2 + response[1], 0);
  for (uint16_t i = 0; i < count; ++i) {
    if (ValueOrZero(map, address + i)) response[2 + i / 8] |= 1 << (i % 8);
  }
  return response;
}

Pdu RegisterBank::ReadRegistersLocked(const Pdu& request) const {
  const uint8_t function = request[0];
  const auto& map = function == fc::kReadHoldingRegisters ? holding_ : input_;
  const uint16_t address = Get16(request, 1), count = Get16(request, 3);
  if (!AllPresent(map, address, count)) {
    return ExceptionResponse(function, 0x02);
  }
  Pdu response{function, static_cast<uint8_t>(count * 2)};
  for (uint16_t i = 0; i < count; ++i) {
    Put16(response, ValueOrZero(map, address + i));
  }
  return response;
}

Pdu RegisterBank::WriteCoilsLocked(const Pdu& request) {
  const uint8_t function = request[0];
  const uint16_t address = Get16(request, 1);
  if (function == fc::kWriteSingleCoil) {
    if (!AllPresent(coils_, address, 1)) {
      return ExceptionResponse(function, 0x02);
    }
    coils_[address] = Get16(request, 3) == 0xFF00;
    return request;
  }
  const uint16_t count = Get16(request, 3);
  if (!AllPresent(coils_, address, count)) {
    return ExceptionResponse(function, 0x02);
  }
  for (uint16_t i = 0; i < count; ++i) {
    coils_[address + i] = (request[6 + i / 8] >> (i % 8)) & 1;
  }
  return Pdu(request.begin(), request.begin() + 5);
}

Pdu RegisterBank::WriteRegistersLocked(const Pdu& request) {
  const uint8_t function = request[0];
  const uint16_t address = Get16(request, 1);
  if (function == fc::kWriteSingleRegister) {
    if (!AllPresent(holding_, address, 1)) {
      return ExceptionResponse(function, 0x02);
    }
    holding_[address] = Get16(request, 3);
    return request;
  }
  const uint16_t count = Get16(request, 3);
  if (!AllPresent(holding_, address, count)) {
    return ExceptionResponse(function, 0x02);
  }
  for (uint16_t i = 0; i < count; ++i) {
    holding_[address + i] = Get16(request, 6 + 2 * i);
  }
  return Pdu(request.begin(), request.begin() + 5);
}

Pdu RegisterBank::ReadWriteRegistersLocked(const Pdu& request) {
  const uint8_t function = request[0];
  const uint16_t read_address = Get16(request, 1);
  const uint16_t read_count = Get16(request, 3);
  const uint16_t write_address = Get16(request, 5);
  const uint16_t write_count = Get16(request, 7);
  if (!AllPresent(holding_, read_address, read_count) ||
      !AllPresent(holding_, write_address, write_count)) {
    return ExceptionResponse(function, 0x02);
  }
  for (uint16_t i = 0; i < write_count; ++i) {
    holding_[write_address + i] = Get16(request, 10 + 2 * i);
  }
  Pdu response{function, static_cast<uint8_t>(read_count * 2)};
  for (uint16_t i = 0; i < read_count; ++i) {
    Put16(response, ValueOrZero(holding_, read_address + i));
  }
  return response;
}

Pdu DeviceIdentificationResponse(const Pdu& request,
                                 const DeviceIdentification& identification) {
  const uint8_t code = request[2];
  const uint8_t first = request[3];
  uint8_t last = 0xFF;
  if (code == 1) last = 0x02;
  if (code == 2) last = 0x7F;
  const auto& objects = identification.objects;
  if (code == 4) {
    auto it = objects.find(first);
    if (it == objects.end()) return ExceptionResponse(request[0], 0x02);
  }
  Pdu response{fc::kEncapsulatedInterface,
               fc::kMeiReadDeviceIdentification,
               code,
               identification.conformity_level,
               0x00,
               0x00,
               0x00};
  int count = 0;
  for (auto it = objects.lower_bound(code == 4 ? first : first);
       it != objects.end() && it->first <= last; ++it) {
    const std::string& value = it->second;
    const size_t length = std::min<size_t>(value.size(), 240);
    if (response.size() + 2 + length > kMaxPduSize) {
      response[4] = 0xFF;  // more follows
      response[5] = it->first;
      break;
    }
    response.push_back(it->first);
    response.push_back(static_cast<uint8_t>(length));
    response.insert(response.end(), value.begin(), value.begin() + length);
    ++count;
    if (code == 4) break;
  }
  response[6] = static_cast<uint8_t>(count);
  return response;
}

}  // namespace ews::modbus
