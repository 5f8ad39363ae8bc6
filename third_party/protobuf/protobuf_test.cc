// Proves the system-protoc macro and libprotobuf work: binary, text and JSON
// round trips.
#include <string>

#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "third_party/protobuf/roundtrip_test.pb.h"

namespace {

TEST(ProtobufTest, BinaryTextAndJsonRoundTrip) {
  ews::third_party::Reading reading;
  reading.set_quantity("V1-N");
  reading.set_value(231.4);
  reading.add_registers(0x1000);

  std::string wire;
  ASSERT_TRUE(reading.SerializeToString(&wire));
  ews::third_party::Reading parsed;
  ASSERT_TRUE(parsed.ParseFromString(wire));
  EXPECT_EQ(parsed.quantity(), "V1-N");
  EXPECT_DOUBLE_EQ(parsed.value(), 231.4);

  std::string text;
  ASSERT_TRUE(google::protobuf::TextFormat::PrintToString(reading, &text));
  ews::third_party::Reading from_text;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &from_text));
  EXPECT_EQ(from_text.registers(0), 0x1000u);

  std::string json;
  ASSERT_TRUE(google::protobuf::util::MessageToJsonString(reading, &json).ok());
  ews::third_party::Reading from_json;
  ASSERT_TRUE(
      google::protobuf::util::JsonStringToMessage(json, &from_json).ok());
  EXPECT_EQ(from_json.quantity(), "V1-N");
}

}  // namespace
