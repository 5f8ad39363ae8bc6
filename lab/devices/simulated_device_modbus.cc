// SimulatedDevice as a Modbus unit: the register image, which reads and
// writes are allowed, the commands, and the PDU handler.
#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lab/devices/simulated_device.h"

namespace ews::lab {
namespace {

using devices::RawValue;

bool HasQuantitiesIn(const v1::Profile& profile, v1::Table table) {
  for (const auto& q : profile.quantities()) {
    if (q.table() == table) return true;
  }
  return false;
}

void Put16(std::vector<uint8_t>& out, uint16_t value) {
  out.push_back(value >> 8);
  out.push_back(value & 0xFF);
}

modbus::Pdu Exception(uint8_t function, modbus::ExceptionCode code) {
  return modbus::ExceptionResponse(function, static_cast<uint8_t>(code));
}

}  // namespace

void SimulatedDevice::RefreshImageLocked() {
  UpdateLocked();
  if (profile_.identification().has_model_register()) {
    const auto& reg = profile_.identification().model_register();
    uint16_t words[4] = {};
    (void)devices::EncodeRegisters(RawValue::Unsigned(reg.values(0)),
                                   reg.type(), v1::WORD_ORDER_ABCD,
                                   absl::MakeSpan(words));
    image_.Put(reg.table(), reg.address(),
               absl::MakeConstSpan(words, devices::RegisterCount(reg.type())));
  }
  // Scale selectors first: the others' scales depend on them.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& q : profile_.quantities()) {
      const bool dependent = !q.scale_by().quantity().empty();
      if (dependent != (pass == 1)) continue;
      absl::StatusOr<RawValue> raw = ValueLocked(q);
      if (!raw.ok()) {
        raw = devices::IsSignedType(q.type())     ? RawValue::Signed(0)
              : q.type() == v1::DATA_TYPE_FLOAT32 ? RawValue::Float(0)
                                                  : RawValue::Unsigned(0);
      }
      if (!devices::EncodeQuantity(profile_, q, *raw, image_).ok()) {
        // Out of range for the register: serve the largest value.
        (void)devices::EncodeQuantity(
            profile_, q,
            devices::IsSignedType(q.type())
                ? RawValue::Signed(devices::RegisterCount(q.type()) == 1
                                       ? 32767
                                       : 2147483647)
                : RawValue::Unsigned(devices::RegisterCount(q.type()) == 1
                                         ? 0xFFFF
                                         : 0xFFFFFFFF),
            image_);
      }
    }
  }
}

bool SimulatedDevice::ReadableLocked(v1::Table table, uint32_t address,
                                     uint32_t count) const {
  // The first and last register must exist; holes inside a read are served
  // as 0 (as meters do inside a register group) up to 16 registers long.
  auto mapped = [&](uint32_t a) { return mapped_.count({table, a}) > 0; };
  if (!mapped(address) || !mapped(address + count - 1)) return false;
  uint32_t hole = 0;
  for (uint32_t a = address; a < address + count; ++a) {
    hole = mapped(a) ? 0 : hole + 1;
    if (hole > 16) return false;
  }
  return true;
}

std::optional<modbus::ExceptionCode> SimulatedDevice::WriteLocked(
    uint32_t address, absl::Span<const uint16_t> words) {
  UpdateLocked();
  // A command with a fixed value at this address?
  for (const auto& c : profile_.commands()) {
    if (c.address() != address) continue;
    if (c.value_case() == v1::Command::kFixedValue) {
      if (words.size() != 1 || words[0] != c.fixed_value()) continue;
      const std::string& id = c.id();
      if (id == "open") {
        if (breaker_ == BreakerState::kClosed) breaker_ = BreakerState::kOpen;
      } else if (id == "close") {
        if (breaker_ == BreakerState::kTripped) {
          return modbus::ExceptionCode::kServerDeviceFailure;  // reset first
        }
        breaker_ = BreakerState::kClosed;
      } else if (id == "reset_trip") {
        if (breaker_ == BreakerState::kTripped) {
          breaker_ = BreakerState::kOpen;
          trip_cause_ = 0;
        }
      } else if (id == "start") {
        ev_enabled_ = true;
      } else if (id == "stop") {
        ev_enabled_ = false;
      } else if (absl::StartsWith(id, "relay")) {
        const int n = (id[5] - '1') & 1;
        const int state = absl::EndsWith(id, "_on") ? 1 : 0;
        if (relay_[n] != state) ++relay_operations_[n];
        relay_[n] = state;
      }
      // Currents follow a breaker's state at once (a new interval starts).
      const bool conducting = ConductingLocked();
      if (!conducting) {
        for (int n = 0; n < 3; ++n) i_ma_[n] = 0;
        p_uw_ = q_uvar_ = s_uva_ = 0;
      }
      return std::nullopt;
    }
    if (c.has_argument()) {
      const double scale = c.argument().has_scale() ? c.argument().scale() : 1;
      const double value = words.empty() ? 0 : words[0] * scale;
      if (words.size() != 1 || value < c.argument().min() ||
          value > c.argument().max()) {
        return modbus::ExceptionCode::kIllegalDataValue;
      }
      break;  // a setting: written below
    }
  }
  // A writable quantity.
  for (const auto& q : profile_.quantities()) {
    if (q.address() != address || !q.writable() ||
        q.table() != v1::TABLE_HOLDING_REGISTERS) {
      continue;
    }
    if (static_cast<int>(words.size()) != devices::RegisterCount(q.type())) {
      return modbus::ExceptionCode::kIllegalDataValue;
    }
    const uint16_t value = words[0];
    if (q.id() == "current_limit") {
      ev_limit_da_ = value;
      ev_limit_written_at_ = step_;
    } else if (q.id() == "failsafe_current") {
      ev_failsafe_da_ = value;
    } else if (q.id() == "failsafe_timeout") {
      ev_failsafe_timeout_s_ = value;
      ev_limit_written_at_ = step_;
    } else if (q.id() == "charging_enabled") {
      if (value > 1) return modbus::ExceptionCode::kIllegalDataValue;
      ev_enabled_ = value == 1;
    }
    return std::nullopt;
  }
  return profile_.commands_size() > 0
             ? modbus::ExceptionCode::kIllegalDataValue
             : modbus::ExceptionCode::kIllegalDataAddress;
}

std::vector<uint8_t> SimulatedDevice::HandlePdu(absl::Span<const uint8_t> pdu) {
  absl::MutexLock lock(&mutex_);
  ++requests_;
  if (pdu.empty()) return {};
  const uint8_t function = pdu[0];
  auto u16 = [&](size_t at) -> uint32_t {
    return at + 1 < pdu.size() ? (pdu[at] << 8 | pdu[at + 1]) : 0;
  };
  switch (function) {
    case 3:
    case 4: {
      if (pdu.size() != 5) {
        return Exception(function, modbus::ExceptionCode::kIllegalDataValue);
      }
      const v1::Table table = function == 3 ? v1::TABLE_HOLDING_REGISTERS
                                            : v1::TABLE_INPUT_REGISTERS;
      if (function == 4 && !HasQuantitiesIn(profile_, table)) {
        return Exception(function, modbus::ExceptionCode::kIllegalFunction);
      }
      const uint32_t address = u16(1), count = u16(3);
      if (count < 1 || count > 125) {
        return Exception(function, modbus::ExceptionCode::kIllegalDataValue);
      }
      if (!ReadableLocked(table, address, count)) {
        return Exception(function, modbus::ExceptionCode::kIllegalDataAddress);
      }
      RefreshImageLocked();
      std::vector<uint16_t> words = image_.GetOrZero(table, address, count);
      std::vector<uint8_t> out = {function, static_cast<uint8_t>(count * 2)};
      for (uint16_t w : words) Put16(out, w);
      return out;
    }
    case 6: {
      if (pdu.size() != 5) {
        return Exception(function, modbus::ExceptionCode::kIllegalDataValue);
      }
      const uint16_t value = u16(3);
      std::optional<modbus::ExceptionCode> e =
          WriteLocked(u16(1), absl::MakeConstSpan(&value, 1));
      if (e) return Exception(function, *e);
      return std::vector<uint8_t>(pdu.begin(), pdu.end());
    }
    case 16: {
      const uint32_t count = u16(3);
      if (pdu.size() < 6 || count < 1 || count > 123 || pdu[5] != count * 2 ||
          pdu.size() != 6 + count * 2) {
        return Exception(function, modbus::ExceptionCode::kIllegalDataValue);
      }
      std::vector<uint16_t> words(count);
      for (uint32_t i = 0; i < count; ++i) words[i] = u16(6 + 2 * i);
      std::optional<modbus::ExceptionCode> e = WriteLocked(u16(1), words);
      if (e) return Exception(function, *e);
      return std::vector<uint8_t>(pdu.begin(), pdu.begin() + 5);
    }
    case 43: {
      if (pdu.size() != 4 || pdu[1] != 14 ||
          !profile_.identification().has_device_identification()) {
        return Exception(function, modbus::ExceptionCode::kIllegalFunction);
      }
      const auto& id = profile_.identification().device_identification();
      const std::string objects[3] = {id.vendor_name(),
                                      id.product_code_prefix(), "1.0"};
      std::vector<uint8_t> out = {43, 14, 1, 0x01, 0, 0, 3};
      for (int i = 0; i < 3; ++i) {
        out.push_back(static_cast<uint8_t>(i));
        out.push_back(static_cast<uint8_t>(objects[i].size()));
        out.insert(out.end(), objects[i].begin(), objects[i].end());
      }
      return out;
    }
    default:
      return Exception(function, modbus::ExceptionCode::kIllegalFunction);
  }
}

bool SimulatedDevice::Serves(absl::Span<const uint8_t> pdu) const {
  absl::MutexLock lock(&mutex_);
  if (pdu.size() < 5) return false;
  const uint32_t address = pdu[1] << 8 | pdu[2];
  switch (pdu[0]) {
    case 3:
    case 4: {
      const uint32_t count = pdu[3] << 8 | pdu[4];
      return count >= 1 && count <= 125 &&
             ReadableLocked(pdu[0] == 3 ? v1::TABLE_HOLDING_REGISTERS
                                        : v1::TABLE_INPUT_REGISTERS,
                            address, count);
    }
    case 6:
    case 16:
      for (const auto& c : profile_.commands()) {
        if (c.address() == address) return true;
      }
      for (const auto& q : profile_.quantities()) {
        if (q.address() == address && q.writable()) return true;
      }
      return false;
    default:
      return false;
  }
}

modbus::RtuReply SimulatedDevice::HandleRequest(const modbus::Pdu& request) {
  modbus::RtuReply reply;
  const Fault fault = TakeFault();
  if (fault.kind == FaultKind::kSilent) return reply;
  if (fault.kind == FaultKind::kException) {
    reply.pdu = Exception(request[0], fault.exception);
  } else {
    reply.pdu = HandlePdu(request);
  }
  reply.corrupt_crc = fault.kind == FaultKind::kBadCrc;
  reply.reply_delay = reply_delay();
  return reply;
}

void SimulatedDevice::HandleBroadcast(const modbus::Pdu& request) {
  (void)HandlePdu(request);
}

}  // namespace ews::lab
