#include "sdk/devices/ems_addressing.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::devices {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::Optional;

TEST(EmsAddressingTest, InterfaceIsTheTensModuleTheUnits) {
  // The data sheet's example: interface 1, device 5 -> Modbus address 15.
  EXPECT_EQ(EmsModbusAddress({1, 5}).value_or(0), 15);
  EXPECT_EQ(EmsModbusAddress({2, 1}).value_or(0), 21);
  EXPECT_EQ(EmsModbusAddress({24, 7}).value_or(0), 247);
  EXPECT_THAT(EmsLocationOf(15), Optional(EmsLocation{1, 5}));
  EXPECT_THAT(EmsLocationOf(239), Optional(EmsLocation{23, 9}));
}

TEST(EmsAddressingTest, RejectsWhatTheTrackWheelCannotSet) {
  EXPECT_THAT(EmsModbusAddress({1, 0}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EmsModbusAddress({1, 10}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EmsModbusAddress({0, 3}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(EmsModbusAddress({24, 8}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(EmsLocationOf(20), std::nullopt);
  EXPECT_EQ(EmsLocationOf(7), std::nullopt);
  EXPECT_EQ(EmsLocationOf(248), std::nullopt);
}

TEST(EmsAddressingTest, AnInterfaceCoversItsNineModuleNumbers) {
  auto two = EmsInterfaceAddresses(2);
  ASSERT_THAT(two, IsOk());
  EXPECT_THAT(*two, ElementsAre(21, 22, 23, 24, 25, 26, 27, 28, 29));
  auto last = EmsInterfaceAddresses(24);
  ASSERT_THAT(last, IsOk());
  EXPECT_THAT(*last, ElementsAre(241, 242, 243, 244, 245, 246, 247));
  EXPECT_THAT(EmsInterfaceAddresses(25),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ews::devices
