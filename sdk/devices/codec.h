// Table-driven decoding and encoding of Modbus register values.
//
// Registers are 16-bit words as a Modbus stack delivers them (the first byte
// on the wire is the word's high byte). A value of n registers is rearranged
// by its WordOrder into big-endian bytes and then interpreted as its DataType.
// Encoding is the exact inverse (what the lab's device simulators use).
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/types/span.h"
#include "sdk/devices/profile.pb.h"

namespace ews::devices {

namespace v1 = ::ews::devices::v1;

// Registers a value of `type` occupies: 1, 2 or 4; 0 for UNSPECIFIED.
int RegisterCount(v1::DataType type);
bool IsIntegerType(v1::DataType type);
bool IsSignedType(v1::DataType type);

// A register value as read, before scaling. Integers stay exact (a counter is
// never squeezed through a float), float32 stays a float.
struct RawValue {
  enum class Kind { kUnsigned, kSigned, kFloat };
  Kind kind = Kind::kUnsigned;
  uint64_t u = 0;
  int64_t s = 0;
  float f = 0;

  static RawValue Unsigned(uint64_t value);
  static RawValue Signed(int64_t value);
  static RawValue Float(float value);
  double ToDouble() const;
  std::string ToString() const;
  friend bool operator==(const RawValue& a, const RawValue& b);
  friend bool operator!=(const RawValue& a, const RawValue& b) {
    return !(a == b);
  }
};

// Decodes words[0 .. RegisterCount(type)). InvalidArgument: unspecified type
// or word order, or too few words.
absl::StatusOr<RawValue> DecodeRegisters(absl::Span<const uint16_t> words,
                                         v1::DataType type,
                                         v1::WordOrder order);

// Encodes `value` into out[0 .. RegisterCount(type)). InvalidArgument:
// unspecified type/order, `out` too short. OutOfRange: the value does not fit
// the type (e.g. a negative value for U32, 70000 for U16).
absl::Status EncodeRegisters(const RawValue& value, v1::DataType type,
                             v1::WordOrder order, absl::Span<uint16_t> out);

// Rounds a scaled value back to the raw value of `type` (the nearest integer,
// or the float): raw = (value - offset) / scale. OutOfRange if it does not fit.
absl::StatusOr<RawValue> RawFromScaled(double value, double scale,
                                       double offset, v1::DataType type);

// A sparse image of a device's registers, filled by reads (poller) or by a
// model (simulator).
class RegisterImage {
 public:
  void Put(v1::Table table, uint32_t address, absl::Span<const uint16_t> words);
  // NotFound naming the first missing register.
  absl::StatusOr<std::vector<uint16_t>> Get(v1::Table table, uint32_t address,
                                            int count) const;
  // Missing registers read as 0.
  std::vector<uint16_t> GetOrZero(v1::Table table, uint32_t address,
                                  int count) const;
  bool empty() const { return words_.empty(); }
  void Clear() { words_.clear(); }

 private:
  std::map<std::pair<int, uint32_t>, uint16_t> words_;
};

// One decoded quantity.
struct Reading {
  std::string quantity_id;
  RawValue raw;           // as read from the quantity's own registers
  bool negative = false;  // sign from a sign register (sign_from)
  double scale = 1;       // effective scale (after scale_by)
  double value = 0;       // (raw * scale + offset), negated if `negative`
};

const v1::Quantity* FindQuantity(const v1::Profile& profile,
                                 absl::string_view id);

// The word order that applies to `quantity` (its own, else the profile's).
v1::WordOrder EffectiveWordOrder(const v1::Profile& profile,
                                 const v1::Quantity& quantity);

// The scale of `quantity`: its scale_by table resolved against the image, or
// its fixed scale (1 if unset). NotFound if the selector is not in the image.
absl::StatusOr<double> EffectiveScale(const v1::Profile& profile,
                                      const v1::Quantity& quantity,
                                      const RegisterImage& image);

// Decodes one quantity from the image. NotFound: a register (or its scale or
// sign register) is missing; InvalidArgument: a malformed quantity.
absl::StatusOr<Reading> DecodeQuantity(const v1::Profile& profile,
                                       const v1::Quantity& quantity,
                                       const RegisterImage& image);

// Writes `raw` as the quantity's registers into the image (simulators).
absl::Status EncodeQuantity(const v1::Profile& profile,
                            const v1::Quantity& quantity, const RawValue& raw,
                            RegisterImage& image);

}  // namespace ews::devices
