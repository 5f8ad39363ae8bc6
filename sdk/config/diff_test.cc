#include "sdk/config/diff.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/config/test_util.h"

namespace ews::config {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

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
