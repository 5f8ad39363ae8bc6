#include "sdk/devices/codec.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "absl/strings/str_cat.h"
#include "sdk/base/status_macros.h"

namespace ews::devices {
namespace {

// Maps words (wire order) to big-endian value bytes, or back: both
// directions are the same permutation's inverse, so keep the index mapping.
// Returns for each value byte index (0 = most significant) the wire byte
// index.
std::vector<int> ValueToWire(int words, v1::WordOrder order) {
  const int n = words * 2;
  std::vector<int> map(n);
  for (int i = 0; i < n; ++i) {
    int word = i / 2;
    int byte = i % 2;
    switch (order) {
      case v1::WORD_ORDER_ABCD:
        break;
      case v1::WORD_ORDER_CDAB:
        word = words - 1 - word;
        break;
      case v1::WORD_ORDER_BADC:
        byte = 1 - byte;
        break;
      case v1::WORD_ORDER_DCBA:
        word = words - 1 - word;
        byte = 1 - byte;
        break;
      default:
        break;
    }
    map[i] = word * 2 + byte;
  }
  return map;
}

absl::Status CheckTypeAndOrder(v1::DataType type, v1::WordOrder order) {
  if (RegisterCount(type) == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported data type ", v1::DataType_Name(type)));
  }
  if (order < v1::WORD_ORDER_ABCD || order > v1::WORD_ORDER_DCBA) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported word order ", static_cast<int>(order)));
  }
  return absl::OkStatus();
}

}  // namespace

int RegisterCount(v1::DataType type) {
  switch (type) {
    case v1::DATA_TYPE_U16:
    case v1::DATA_TYPE_S16:
      return 1;
    case v1::DATA_TYPE_U32:
    case v1::DATA_TYPE_S32:
    case v1::DATA_TYPE_FLOAT32:
      return 2;
    case v1::DATA_TYPE_U64:
      return 4;
    default:
      return 0;
  }
}

bool IsIntegerType(v1::DataType type) {
  return RegisterCount(type) != 0 && type != v1::DATA_TYPE_FLOAT32;
}

bool IsSignedType(v1::DataType type) {
  return type == v1::DATA_TYPE_S16 || type == v1::DATA_TYPE_S32;
}

RawValue RawValue::Unsigned(uint64_t value) {
  RawValue raw;
  raw.kind = Kind::kUnsigned;
  raw.u = value;
  return raw;
}

RawValue RawValue::Signed(int64_t value) {
  RawValue raw;
  raw.kind = Kind::kSigned;
  raw.s = value;
  return raw;
}

RawValue RawValue::Float(float value) {
  RawValue raw;
  raw.kind = Kind::kFloat;
  raw.f = value;
  return raw;
}

double RawValue::ToDouble() const {
  switch (kind) {
    case Kind::kUnsigned:
      return static_cast<double>(u);
    case Kind::kSigned:
      return static_cast<double>(s);
    case Kind::kFloat:
      return f;
  }
  return 0;
}

std::string RawValue::ToString() const {
  switch (kind) {
    case Kind::kUnsigned:
      return absl::StrCat(u);
    case Kind::kSigned:
      return absl::StrCat(s);
    case Kind::kFloat:
      return absl::StrCat(f);
  }
  return "";
}

bool operator==(const RawValue& a, const RawValue& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case RawValue::Kind::kUnsigned:
      return a.u == b.u;
    case RawValue::Kind::kSigned:
      return a.s == b.s;
    case RawValue::Kind::kFloat:
      return std::memcmp(&a.f, &b.f, sizeof a.f) == 0;
  }
  return false;
}

absl::StatusOr<RawValue> DecodeRegisters(absl::Span<const uint16_t> words,
                                         v1::DataType type,
                                         v1::WordOrder order) {
  EWS_RETURN_IF_ERROR(CheckTypeAndOrder(type, order));
  const int count = RegisterCount(type);
  if (static_cast<int>(words.size()) < count) {
    return absl::InvalidArgumentError(
        absl::StrCat(v1::DataType_Name(type), " needs ", count,
                     " registers, got ", words.size()));
  }
  std::vector<int> map = ValueToWire(count, order);
  uint64_t bits = 0;
  for (int i = 0; i < count * 2; ++i) {
    const int wire = map[i];
    const uint16_t word = words[wire / 2];
    const uint8_t byte = wire % 2 == 0 ? word >> 8 : word & 0xFF;
    bits = (bits << 8) | byte;
  }
  switch (type) {
    case v1::DATA_TYPE_U16:
    case v1::DATA_TYPE_U32:
    case v1::DATA_TYPE_U64:
      return RawValue::Unsigned(bits);
    case v1::DATA_TYPE_S16:
      return RawValue::Signed(static_cast<int16_t>(bits));
    case v1::DATA_TYPE_S32:
      return RawValue::Signed(static_cast<int32_t>(bits));
    case v1::DATA_TYPE_FLOAT32: {
      const uint32_t bits32 = static_cast<uint32_t>(bits);
      float f;
      std::memcpy(&f, &bits32, sizeof f);
      return RawValue::Float(f);
    }
    default:
      break;
  }
  return absl::InvalidArgumentError("unsupported data type");
}

absl::Status EncodeRegisters(const RawValue& value, v1::DataType type,
                             v1::WordOrder order, absl::Span<uint16_t> out) {
  EWS_RETURN_IF_ERROR(CheckTypeAndOrder(type, order));
  const int count = RegisterCount(type);
  if (static_cast<int>(out.size()) < count) {
    return absl::InvalidArgumentError(
        absl::StrCat(v1::DataType_Name(type), " needs ", count,
                     " registers, got room for ", out.size()));
  }
  auto out_of_range = [&] {
    return absl::OutOfRangeError(absl::StrCat(
        value.ToString(), " does not fit ", v1::DataType_Name(type)));
  };
  uint64_t bits = 0;
  if (type == v1::DATA_TYPE_FLOAT32) {
    const float f = static_cast<float>(value.ToDouble());
    if (value.kind != RawValue::Kind::kFloat &&
        static_cast<double>(f) != value.ToDouble()) {
      return out_of_range();
    }
    uint32_t bits32;
    std::memcpy(&bits32, &f, sizeof bits32);
    bits = bits32;
  } else {
    if (value.kind == RawValue::Kind::kFloat) {
      return absl::InvalidArgumentError(absl::StrCat(
          "a float value for integer type ", v1::DataType_Name(type)));
    }
    const bool is_signed = IsSignedType(type);
    const int width = count * 16;
    if (value.kind == RawValue::Kind::kUnsigned) {
      const uint64_t max =
          is_signed ? (uint64_t{1} << (width - 1)) - 1
                    : (width == 64 ? ~uint64_t{0} : (uint64_t{1} << width) - 1);
      if (value.u > max) return out_of_range();
      bits = value.u;
    } else {
      if (is_signed) {
        const int64_t max = (int64_t{1} << (width - 1)) - 1;
        const int64_t min = -max - 1;
        if (value.s < min || value.s > max) return out_of_range();
        bits = static_cast<uint64_t>(value.s) & ((uint64_t{1} << width) - 1);
      } else {
        if (value.s < 0) return out_of_range();
        if (width < 64 &&
            static_cast<uint64_t>(value.s) >= (uint64_t{1} << width)) {
          return out_of_range();
        }
        bits = static_cast<uint64_t>(value.s);
      }
    }
  }
  std::vector<int> map = ValueToWire(count, order);
  for (int i = 0; i < count; ++i) out[i] = 0;
  for (int i = 0; i < count * 2; ++i) {
    const uint8_t byte = (bits >> (8 * (count * 2 - 1 - i))) & 0xFF;
    const int wire = map[i];
    if (wire % 2 == 0) {
      out[wire / 2] |= static_cast<uint16_t>(byte) << 8;
    } else {
      out[wire / 2] |= byte;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<RawValue> RawFromScaled(double value, double scale,
                                       double offset, v1::DataType type) {
  if (scale == 0 || !std::isfinite(scale)) {
    return absl::InvalidArgumentError("scale must be finite and non-zero");
  }
  const double raw = (value - offset) / scale;
  if (type == v1::DATA_TYPE_FLOAT32) {
    return RawValue::Float(static_cast<float>(raw));
  }
  if (!IsIntegerType(type)) {
    return absl::InvalidArgumentError("unsupported data type");
  }
  const double rounded = std::round(raw);
  if (!std::isfinite(rounded)) return absl::OutOfRangeError("not finite");
  RawValue result;
  if (IsSignedType(type)) {
    if (rounded < -9.2e18 || rounded > 9.2e18) {
      return absl::OutOfRangeError(absl::StrCat(raw, " out of range"));
    }
    result = RawValue::Signed(static_cast<int64_t>(rounded));
  } else {
    if (rounded < 0 || rounded > 1.8e19) {
      return absl::OutOfRangeError(
          absl::StrCat(raw, " does not fit ", v1::DataType_Name(type)));
    }
    result = RawValue::Unsigned(static_cast<uint64_t>(rounded));
  }
  // Check the width.
  uint16_t scratch[4];
  EWS_RETURN_IF_ERROR(EncodeRegisters(result, type, v1::WORD_ORDER_ABCD,
                                      absl::MakeSpan(scratch)));
  return result;
}

void RegisterImage::Put(v1::Table table, uint32_t address,
                        absl::Span<const uint16_t> words) {
  for (size_t i = 0; i < words.size(); ++i) {
    words_[{static_cast<int>(table), address + static_cast<uint32_t>(i)}] =
        words[i];
  }
}

absl::StatusOr<std::vector<uint16_t>> RegisterImage::Get(v1::Table table,
                                                         uint32_t address,
                                                         int count) const {
  std::vector<uint16_t> result(count);
  for (int i = 0; i < count; ++i) {
    auto it = words_.find({static_cast<int>(table), address + i});
    if (it == words_.end()) {
      return absl::NotFoundError(absl::StrCat(
          "register ", address + i, " (", v1::Table_Name(table), ") not read"));
    }
    result[i] = it->second;
  }
  return result;
}

std::vector<uint16_t> RegisterImage::GetOrZero(v1::Table table,
                                               uint32_t address,
                                               int count) const {
  std::vector<uint16_t> result(count);
  for (int i = 0; i < count; ++i) {
    auto it = words_.find({static_cast<int>(table), address + i});
    if (it != words_.end()) result[i] = it->second;
  }
  return result;
}

const v1::Quantity* FindQuantity(const v1::Profile& profile,
                                 absl::string_view id) {
  for (const v1::Quantity& quantity : profile.quantities()) {
    if (quantity.id() == id) return &quantity;
  }
  return nullptr;
}

v1::WordOrder EffectiveWordOrder(const v1::Profile& profile,
                                 const v1::Quantity& quantity) {
  return quantity.word_order() != v1::WORD_ORDER_UNSPECIFIED
             ? quantity.word_order()
             : profile.word_order();
}

namespace {

absl::StatusOr<RawValue> ReadRaw(const v1::Profile& profile,
                                 const v1::Quantity& quantity,
                                 const RegisterImage& image) {
  EWS_ASSIGN_OR_RETURN(std::vector<uint16_t> words,
                       image.Get(quantity.table(), quantity.address(),
                                 RegisterCount(quantity.type())));
  return DecodeRegisters(words, quantity.type(),
                         EffectiveWordOrder(profile, quantity));
}

absl::StatusOr<const v1::Quantity*> Referenced(const v1::Profile& profile,
                                               const v1::Quantity& quantity,
                                               absl::string_view id) {
  const v1::Quantity* other = FindQuantity(profile, id);
  if (other == nullptr) {
    return absl::InvalidArgumentError(
        absl::StrCat("quantity '", quantity.id(),
                     "' refers to unknown quantity '", id, "'"));
  }
  return other;
}

}  // namespace

absl::StatusOr<double> EffectiveScale(const v1::Profile& profile,
                                      const v1::Quantity& quantity,
                                      const RegisterImage& image) {
  if (quantity.scale_by().quantity().empty()) {
    return quantity.has_scale() ? quantity.scale() : 1.0;
  }
  EWS_ASSIGN_OR_RETURN(
      const v1::Quantity* selector,
      Referenced(profile, quantity, quantity.scale_by().quantity()));
  EWS_ASSIGN_OR_RETURN(RawValue raw, ReadRaw(profile, *selector, image));
  const double selector_value = raw.ToDouble();
  for (const auto& entry : quantity.scale_by().entries()) {
    if (!entry.has_below() ||
        selector_value < static_cast<double>(entry.below())) {
      return entry.scale();
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("quantity '", quantity.id(),
                   "': no scale for selector value ", raw.ToString()));
}

absl::StatusOr<Reading> DecodeQuantity(const v1::Profile& profile,
                                       const v1::Quantity& quantity,
                                       const RegisterImage& image) {
  Reading reading;
  reading.quantity_id = quantity.id();
  EWS_ASSIGN_OR_RETURN(reading.raw, ReadRaw(profile, quantity, image));
  EWS_ASSIGN_OR_RETURN(reading.scale, EffectiveScale(profile, quantity, image));
  if (!quantity.sign_from().quantity().empty()) {
    EWS_ASSIGN_OR_RETURN(
        const v1::Quantity* sign,
        Referenced(profile, quantity, quantity.sign_from().quantity()));
    EWS_ASSIGN_OR_RETURN(RawValue sign_raw, ReadRaw(profile, *sign, image));
    const uint64_t negative = quantity.sign_from().has_negative_value()
                                  ? quantity.sign_from().negative_value()
                                  : 1;
    reading.negative = sign_raw.ToDouble() == static_cast<double>(negative);
  }
  reading.value = reading.raw.ToDouble() * reading.scale + quantity.offset();
  if (reading.negative) reading.value = -reading.value;
  return reading;
}

absl::Status EncodeQuantity(const v1::Profile& profile,
                            const v1::Quantity& quantity, const RawValue& raw,
                            RegisterImage& image) {
  uint16_t words[4];
  const int count = RegisterCount(quantity.type());
  EWS_RETURN_IF_ERROR(EncodeRegisters(raw, quantity.type(),
                                      EffectiveWordOrder(profile, quantity),
                                      absl::MakeSpan(words)));
  image.Put(quantity.table(), quantity.address(),
            absl::MakeConstSpan(words, count));
  return absl::OkStatus();
}

}  // namespace ews::devices
