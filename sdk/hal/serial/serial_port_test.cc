#include "sdk/hal/serial/serial_port.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::hal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

TEST(SerialSettingsTest, DefaultIsTheReferenceProducts19200_8E1) {
  SerialSettings settings;
  EXPECT_EQ(settings.ToString(), "19200 8E1");
  EXPECT_THAT(ValidateSerialSettings(settings), IsOk());
}

TEST(SerialSettingsTest, CharacterTimeIsBitsOverBaud) {
  SerialSettings s{9600, 8, Parity::kEven, 1};
  EXPECT_EQ(s.BitsPerCharacter(), 11);
  EXPECT_EQ(s.CharacterTime(), absl::Seconds(11) / 9600);
  // The example: a 100-byte frame at 9600 8E1 is 100 * 11 / 9600 s.
  EXPECT_EQ(s.TransmitTime(100), absl::Seconds(1100) / 9600);
  EXPECT_EQ((SerialSettings{9600, 8, Parity::kNone, 1}).BitsPerCharacter(), 10);
  EXPECT_EQ((SerialSettings{9600, 8, Parity::kNone, 2}).BitsPerCharacter(), 11);
  EXPECT_EQ((SerialSettings{9600, 8, Parity::kOdd, 2}).BitsPerCharacter(), 12);
}

TEST(SerialSettingsTest, EveryReferenceSettingIsValid) {
  int count = 0;
  for (int baud : SupportedBaudRates()) {
    for (Parity parity : {Parity::kNone, Parity::kEven, Parity::kOdd}) {
      for (int stop : {1, 2}) {
        SerialSettings s{baud, 8, parity, stop};
        EXPECT_THAT(ValidateSerialSettings(s), IsOk()) << s.ToString();
        absl::StatusOr<SerialSettings> parsed =
            ParseSerialSettings(s.ToString());
        ASSERT_THAT(parsed, IsOk());
        EXPECT_EQ(*parsed, s);
        ++count;
      }
    }
  }
  EXPECT_EQ(count, 8 * 3 * 2);
}

TEST(SerialSettingsTest, RejectsWhatTheProductDoesNotSupport) {
  EXPECT_THAT(ValidateSerialSettings({14400, 8, Parity::kNone, 1}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateSerialSettings({9600, 7, Parity::kNone, 1}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ValidateSerialSettings({9600, 8, Parity::kNone, 3}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(SerialSettingsTest, Parses) {
  ASSERT_THAT(ParseSerialSettings("115200 8n2"), IsOk());
  EXPECT_EQ(*ParseSerialSettings("115200 8n2"),
            (SerialSettings{115200, 8, Parity::kNone, 2}));
  EXPECT_EQ(*ParseSerialSettings(" 9600-8-O-1 "),
            (SerialSettings{9600, 8, Parity::kOdd, 1}));
  EXPECT_THAT(ParseSerialSettings("9600"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseSerialSettings("9600 8X1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(ParseSerialSettings("9601 8E1"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ews::hal
