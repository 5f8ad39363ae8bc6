#include "sdk/config/diff.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/config/redact.h"
#include "sdk/config/test_util.h"

namespace ews::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

using ::testing::Contains;
using ::testing::Field;
using ::testing::Not;

::testing::Matcher<FieldChange> Change(const std::string& field,
                                       const std::string& from,
                                       const std::string& to) {
  return ::testing::AllOf(Field(&FieldChange::field, field),
                          Field(&FieldChange::from, from),
                          Field(&FieldChange::to, to));
}

TEST(ChangedFieldsTest, NamesEachFieldWithItsOldAndNewValue) {
  v1::DeviceConfig after = testing::RichConfig();
  after.mutable_rs485()->set_baud_rate(9600);
  after.mutable_modbus_devices(1)->set_address(7);
  const uint32_t old_address =
      testing::RichConfig().modbus_devices(1).address();
  const std::vector<FieldChange> changes =
      ChangedFields(testing::RichConfig(), after);
  EXPECT_THAT(
      changes,
      ElementsAre(
          Change("rs485.baud_rate",
                 std::to_string(testing::RichConfig().rs485().baud_rate()),
                 "9600"),
          Change("modbus_devices[1].address", std::to_string(old_address),
                 "7")));
}

TEST(ChangedFieldsTest, AddedAndRemovedElementsArePrintedWhole) {
  v1::DeviceConfig after = testing::RichConfig();
  after.mutable_pulse_counters()->RemoveLast();
  const std::vector<FieldChange> changes =
      ChangedFields(testing::RichConfig(), after);
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_THAT(changes[0].field, ::testing::StartsWith("pulse_counters["));
  EXPECT_THAT(changes[0].from, ::testing::HasSubstr("id:"));
  EXPECT_EQ(changes[0].to, "");
}

TEST(ChangedFieldsTest, SecretsAreRedacted) {
  v1::DeviceConfig after = testing::RichConfig();
  after.mutable_users(0)->mutable_pin()->set_hash(std::string(32, 'x'));
  const std::vector<FieldChange> changes =
      ChangedFields(testing::RichConfig(), after);
  EXPECT_THAT(changes,
              ElementsAre(Change("users[0].pin.hash", kRedacted, kRedacted)));
}

TEST(ChangedSectionsTest, EqualConfigsHaveNoChanges) {
  EXPECT_THAT(ChangedSections(testing::RichConfig(), testing::RichConfig()),
              IsEmpty());
}

TEST(ChangedSectionsTest, NamesEachChangedTopLevelField) {
  v1::DeviceConfig after = testing::RichConfig();
  after.mutable_rs485()->set_baud_rate(9600);
  after.mutable_modbus_devices(1)->set_address(7);
  after.mutable_pulse_counters()->RemoveLast();
  after.mutable_users(0)->mutable_pin()->set_iterations(20000);
  EXPECT_THAT(
      ChangedSections(testing::RichConfig(), after),
      ElementsAre("rs485", "modbus_devices", "pulse_counters", "users"));
}

TEST(ChangedSectionsTest, AddedAndRemovedSections) {
  v1::DeviceConfig before = testing::FactoryConfig();
  v1::DeviceConfig after = testing::RichConfig();
  EXPECT_THAT(ChangedSections(before, after),
              ElementsAre("ip_gateways", "modbus_devices", "pulse_counters",
                          "consumption_tree", "tariffs", "reports"));
  EXPECT_THAT(ChangedSections(after, before),
              ElementsAre("ip_gateways", "modbus_devices", "pulse_counters",
                          "consumption_tree", "tariffs", "reports"));
}

TEST(ChangedSectionsTest, OneofSwitch) {
  v1::DeviceConfig after = testing::RichConfig();
  after.mutable_network()->mutable_dhcp();
  EXPECT_THAT(ChangedSections(testing::RichConfig(), after),
              ElementsAre("network"));
}

}  // namespace
}  // namespace ews::config
