#include "sdk/devices/codec.h"

#include <cstdint>
#include <vector>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::devices {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;

// Registers as a Modbus stack delivers them from bytes in wire order.
std::vector<uint16_t> Words(const std::vector<uint8_t>& wire) {
  std::vector<uint16_t> words;
  for (size_t i = 0; i + 1 < wire.size(); i += 2) {
    words.push_back(static_cast<uint16_t>(wire[i] << 8 | wire[i + 1]));
  }
  return words;
}

struct Case {
  v1::DataType type;
  v1::WordOrder order;
  std::vector<uint8_t> wire;
  RawValue value;
};

// Every data type in every word order, from byte sequences worked out by hand.
const std::vector<Case>& Cases() {
  static const auto* cases = new std::vector<Case>{
      {v1::DATA_TYPE_U16,
       v1::WORD_ORDER_ABCD,
       {0x12, 0x34},
       RawValue::Unsigned(0x1234)},
      {v1::DATA_TYPE_U16,
       v1::WORD_ORDER_CDAB,
       {0x12, 0x34},
       RawValue::Unsigned(0x1234)},
      {v1::DATA_TYPE_U16,
       v1::WORD_ORDER_BADC,
       {0x34, 0x12},
       RawValue::Unsigned(0x1234)},
      {v1::DATA_TYPE_U16,
       v1::WORD_ORDER_DCBA,
       {0x34, 0x12},
       RawValue::Unsigned(0x1234)},
      {v1::DATA_TYPE_S16,
       v1::WORD_ORDER_ABCD,
       {0xFF, 0x9C},
       RawValue::Signed(-100)},
      {v1::DATA_TYPE_S16,
       v1::WORD_ORDER_CDAB,
       {0xFF, 0x9C},
       RawValue::Signed(-100)},
      {v1::DATA_TYPE_S16,
       v1::WORD_ORDER_BADC,
       {0x9C, 0xFF},
       RawValue::Signed(-100)},
      {v1::DATA_TYPE_S16,
       v1::WORD_ORDER_DCBA,
       {0x9C, 0xFF},
       RawValue::Signed(-100)},
      {v1::DATA_TYPE_S16,
       v1::WORD_ORDER_ABCD,
       {0x7F, 0xFF},
       RawValue::Signed(32767)},
      {v1::DATA_TYPE_S16,
       v1::WORD_ORDER_ABCD,
       {0x80, 0x00},
       RawValue::Signed(-32768)},
      {v1::DATA_TYPE_U32,
       v1::WORD_ORDER_ABCD,
       {0x12, 0x34, 0x56, 0x78},
       RawValue::Unsigned(0x12345678)},
      {v1::DATA_TYPE_U32,
       v1::WORD_ORDER_CDAB,
       {0x56, 0x78, 0x12, 0x34},
       RawValue::Unsigned(0x12345678)},
      {v1::DATA_TYPE_U32,
       v1::WORD_ORDER_BADC,
       {0x34, 0x12, 0x78, 0x56},
       RawValue::Unsigned(0x12345678)},
      {v1::DATA_TYPE_U32,
       v1::WORD_ORDER_DCBA,
       {0x78, 0x56, 0x34, 0x12},
       RawValue::Unsigned(0x12345678)},
      {v1::DATA_TYPE_U32,
       v1::WORD_ORDER_ABCD,
       {0xFF, 0xFF, 0xFF, 0xFF},
       RawValue::Unsigned(0xFFFFFFFF)},
      // 231.400 V in mV, as the EMDX3 sends V1-N.
      {v1::DATA_TYPE_U32,
       v1::WORD_ORDER_ABCD,
       {0x00, 0x03, 0x87, 0xE8},
       RawValue::Unsigned(231400)},
      {v1::DATA_TYPE_S32,
       v1::WORD_ORDER_ABCD,
       {0xFF, 0xFF, 0xFF, 0xFE},
       RawValue::Signed(-2)},
      {v1::DATA_TYPE_S32,
       v1::WORD_ORDER_CDAB,
       {0xFF, 0xFE, 0xFF, 0xFF},
       RawValue::Signed(-2)},
      {v1::DATA_TYPE_S32,
       v1::WORD_ORDER_BADC,
       {0xFF, 0xFF, 0xFE, 0xFF},
       RawValue::Signed(-2)},
      {v1::DATA_TYPE_S32,
       v1::WORD_ORDER_DCBA,
       {0xFE, 0xFF, 0xFF, 0xFF},
       RawValue::Signed(-2)},
      {v1::DATA_TYPE_S32,
       v1::WORD_ORDER_ABCD,
       {0x80, 0x00, 0x00, 0x00},
       RawValue::Signed(INT32_MIN)},
      {v1::DATA_TYPE_U64,
       v1::WORD_ORDER_ABCD,
       {1, 2, 3, 4, 5, 6, 7, 8},
       RawValue::Unsigned(0x0102030405060708)},
      {v1::DATA_TYPE_U64,
       v1::WORD_ORDER_CDAB,
       {7, 8, 5, 6, 3, 4, 1, 2},
       RawValue::Unsigned(0x0102030405060708)},
      {v1::DATA_TYPE_U64,
       v1::WORD_ORDER_BADC,
       {2, 1, 4, 3, 6, 5, 8, 7},
       RawValue::Unsigned(0x0102030405060708)},
      {v1::DATA_TYPE_U64,
       v1::WORD_ORDER_DCBA,
       {8, 7, 6, 5, 4, 3, 2, 1},
       RawValue::Unsigned(0x0102030405060708)},
      {v1::DATA_TYPE_U64,
       v1::WORD_ORDER_ABCD,
       {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF},
       RawValue::Unsigned(UINT64_MAX)},
      {v1::DATA_TYPE_FLOAT32,
       v1::WORD_ORDER_ABCD,
       {0x43, 0x67, 0x66, 0x66},
       RawValue::Float(231.4f)},
      {v1::DATA_TYPE_FLOAT32,
       v1::WORD_ORDER_CDAB,
       {0x66, 0x66, 0x43, 0x67},
       RawValue::Float(231.4f)},
      {v1::DATA_TYPE_FLOAT32,
       v1::WORD_ORDER_BADC,
       {0x67, 0x43, 0x66, 0x66},
       RawValue::Float(231.4f)},
      {v1::DATA_TYPE_FLOAT32,
       v1::WORD_ORDER_DCBA,
       {0x66, 0x66, 0x67, 0x43},
       RawValue::Float(231.4f)},
      {v1::DATA_TYPE_FLOAT32,
       v1::WORD_ORDER_ABCD,
       {0xBF, 0xC0, 0x00, 0x00},
       RawValue::Float(-1.5f)},
  };
  return *cases;
}

TEST(CodecTest, DecodesKnownByteSequencesForEveryTypeAndWordOrder) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(v1::DataType_Name(c.type) + " " + v1::WordOrder_Name(c.order));
    absl::StatusOr<RawValue> value =
        DecodeRegisters(Words(c.wire), c.type, c.order);
    ASSERT_THAT(value, IsOk());
    EXPECT_EQ(*value, c.value)
        << value->ToString() << " vs " << c.value.ToString();
  }
}

TEST(CodecTest, EncodesToKnownByteSequencesForEveryTypeAndWordOrder) {
  for (const Case& c : Cases()) {
    SCOPED_TRACE(v1::DataType_Name(c.type) + " " + v1::WordOrder_Name(c.order));
    std::vector<uint16_t> out(RegisterCount(c.type));
    ASSERT_THAT(EncodeRegisters(c.value, c.type, c.order, absl::MakeSpan(out)),
                IsOk());
    EXPECT_THAT(out, ElementsAreArray(Words(c.wire)));
  }
}

TEST(CodecTest, RejectsUnspecifiedTypeOrderAndShortInput) {
  const std::vector<uint16_t> one = {1};
  EXPECT_THAT(
      DecodeRegisters(one, v1::DATA_TYPE_UNSPECIFIED, v1::WORD_ORDER_ABCD),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      DecodeRegisters(one, v1::DATA_TYPE_U16, v1::WORD_ORDER_UNSPECIFIED),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      DecodeRegisters(one, v1::DATA_TYPE_U32, v1::WORD_ORDER_ABCD),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs 2")));
  std::vector<uint16_t> out(1);
  EXPECT_THAT(EncodeRegisters(RawValue::Unsigned(1), v1::DATA_TYPE_U32,
                              v1::WORD_ORDER_ABCD, absl::MakeSpan(out)),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(CodecTest, EncodeRejectsValuesThatDoNotFit) {
  std::vector<uint16_t> out(4);
  auto encode = [&](RawValue value, v1::DataType type) {
    return EncodeRegisters(value, type, v1::WORD_ORDER_ABCD,
                           absl::MakeSpan(out));
  };
  EXPECT_THAT(encode(RawValue::Unsigned(70000), v1::DATA_TYPE_U16),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(encode(RawValue::Signed(-1), v1::DATA_TYPE_U32),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(encode(RawValue::Signed(40000), v1::DATA_TYPE_S16),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(encode(RawValue::Unsigned(uint64_t{1} << 32), v1::DATA_TYPE_U32),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(encode(RawValue::Float(1.5f), v1::DATA_TYPE_U16),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(encode(RawValue::Unsigned(65535), v1::DATA_TYPE_U16), IsOk());
  EXPECT_THAT(encode(RawValue::Signed(-32768), v1::DATA_TYPE_S16), IsOk());
}

TEST(CodecTest, RawFromScaledRoundsToTheRegisterResolution) {
  absl::StatusOr<RawValue> raw =
      RawFromScaled(231.4, 0.001, 0, v1::DATA_TYPE_U32);
  ASSERT_THAT(raw, IsOk());
  EXPECT_EQ(*raw, RawValue::Unsigned(231400));
  raw = RawFromScaled(-0.87, 0.01, 0, v1::DATA_TYPE_S16);
  ASSERT_THAT(raw, IsOk());
  EXPECT_EQ(*raw, RawValue::Signed(-87));
  EXPECT_THAT(RawFromScaled(-1, 1, 0, v1::DATA_TYPE_U16),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(RawFromScaled(1e6, 1, 0, v1::DATA_TYPE_U16),
              StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(RawFromScaled(1, 0, 0, v1::DATA_TYPE_U16),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

v1::Profile MeterProfile() {
  v1::Profile profile;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        id: "m"
        word_order: WORD_ORDER_ABCD
        quantities {
          id: "p"
          address: 0x1014
          table: TABLE_HOLDING_REGISTERS
          type: DATA_TYPE_U32
          kind: KIND_INSTANTANEOUS
          scale_by {
            quantity: "ct"
            entries { below: 5000 scale: 0.01 }
            entries { scale: 1 }
          }
          sign_from { quantity: "p_sign" }
        }
        quantities {
          id: "p_sign"
          address: 0x1028
          table: TABLE_HOLDING_REGISTERS
          type: DATA_TYPE_U16
          kind: KIND_INSTANTANEOUS
        }
        quantities {
          id: "ct"
          address: 0x1200
          table: TABLE_HOLDING_REGISTERS
          type: DATA_TYPE_U16
          kind: KIND_SETTING
        }
        quantities {
          id: "t"
          address: 0x0010
          table: TABLE_INPUT_REGISTERS
          type: DATA_TYPE_FLOAT32
          word_order: WORD_ORDER_CDAB
          kind: KIND_INSTANTANEOUS
          offset: -273.15
        }
      )pb",
      &profile));
  return profile;
}

TEST(CodecTest, ScaleComesFromTheCtRatioAndSignFromTheSignRegister) {
  const v1::Profile profile = MeterProfile();
  RegisterImage image;
  const uint16_t power[] = {0x0001, 0x86A0};  // 100000
  image.Put(v1::TABLE_HOLDING_REGISTERS, 0x1014, power);
  const uint16_t sign[] = {1};
  image.Put(v1::TABLE_HOLDING_REGISTERS, 0x1028, sign);
  const uint16_t ct_small[] = {200};
  image.Put(v1::TABLE_HOLDING_REGISTERS, 0x1200, ct_small);

  absl::StatusOr<Reading> reading =
      DecodeQuantity(profile, profile.quantities(0), image);
  ASSERT_THAT(reading, IsOk());
  EXPECT_EQ(reading->raw, RawValue::Unsigned(100000));
  EXPECT_TRUE(reading->negative);
  EXPECT_DOUBLE_EQ(reading->scale, 0.01);
  EXPECT_DOUBLE_EQ(reading->value, -1000.0);

  const uint16_t ct_large[] = {5000};
  image.Put(v1::TABLE_HOLDING_REGISTERS, 0x1200, ct_large);
  const uint16_t plus[] = {0};
  image.Put(v1::TABLE_HOLDING_REGISTERS, 0x1028, plus);
  reading = DecodeQuantity(profile, profile.quantities(0), image);
  ASSERT_THAT(reading, IsOk());
  EXPECT_FALSE(reading->negative);
  EXPECT_DOUBLE_EQ(reading->value, 100000.0);
}

TEST(CodecTest, MissingRegistersAreNotFound) {
  const v1::Profile profile = MeterProfile();
  RegisterImage image;
  const uint16_t power[] = {0, 1};
  image.Put(v1::TABLE_HOLDING_REGISTERS, 0x1014, power);
  // The CT ratio (scale selector) was not read.
  EXPECT_THAT(DecodeQuantity(profile, profile.quantities(0), image),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr("4608")));
  // Same address in the other table does not count.
  EXPECT_THAT(DecodeQuantity(profile, profile.quantities(3), image),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(CodecTest, EncodeQuantityIsTheInverseOfDecode) {
  const v1::Profile profile = MeterProfile();
  RegisterImage image;
  const v1::Quantity& t = profile.quantities(3);
  ASSERT_THAT(EncodeQuantity(profile, t, RawValue::Float(300.0f), image),
              IsOk());
  EXPECT_THAT(image.Get(v1::TABLE_INPUT_REGISTERS, 0x10, 2),
              ::ews::testing::IsOk());
  EXPECT_THAT(*image.Get(v1::TABLE_INPUT_REGISTERS, 0x10, 2),
              ElementsAreArray({0x0000, 0x4396}));  // CDAB of 0x43960000
  absl::StatusOr<Reading> reading = DecodeQuantity(profile, t, image);
  ASSERT_THAT(reading, IsOk());
  EXPECT_NEAR(reading->value, 26.85, 1e-4);
}

}  // namespace
}  // namespace ews::devices
