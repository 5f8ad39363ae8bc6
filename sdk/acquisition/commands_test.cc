#include "sdk/acquisition/commands.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/devices/profile_registry.h"
#include "sdk/modbus/fake_client.h"

namespace ews::acquisition {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

class CommandsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto registry = devices::ProfileRegistry::BuiltIn();
    ASSERT_THAT(registry, IsOk());
    registry_ = std::move(*registry);
    client_.AddUnit(2, /*open=*/true);
    client_.AddUnit(5, /*open=*/true);
  }
  devices::ProfileRegistry registry_;
  SimulatedClock clock_;
  modbus::FakeClient client_{&clock_};
};

TEST_F(CommandsTest, BreakerOpenAndCloseWriteTheirCodes) {
  const auto& breaker = *registry_.Find("mccb_measurement_unit");
  ASSERT_THAT(ExecuteCommand(client_, breaker, 2, "open"), IsOk());
  EXPECT_EQ(client_.unit(2)->holding(0x1180), 1);
  ASSERT_THAT(ExecuteCommand(client_, breaker, 2, "close"), IsOk());
  EXPECT_EQ(client_.unit(2)->holding(0x1180), 2);
  auto calls = client_.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].request[0], 6);
  EXPECT_EQ(calls[0].priority, modbus::Priority::kInteractive);
}

TEST_F(CommandsTest, EvChargerLimitIsScaledAndChecked) {
  const auto& charger = *registry_.Find("ev_charger_generic");
  ASSERT_THAT(ExecuteCommand(client_, charger, 5, "set_current_limit", 10.5),
              IsOk());
  EXPECT_EQ(client_.unit(5)->holding(0x0200), 105);
  ASSERT_THAT(ExecuteCommand(client_, charger, 5, "set_failsafe_timeout", 60),
              IsOk());
  EXPECT_EQ(client_.unit(5)->holding(0x0202), 60);
  EXPECT_EQ(client_.calls().back().request[0], 16);
  const size_t calls = client_.call_count();
  EXPECT_THAT(ExecuteCommand(client_, charger, 5, "set_current_limit", 40),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("40 A is outside 0..32")));
  EXPECT_THAT(
      ExecuteCommand(client_, charger, 5, "set_current_limit"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("needs a value")));
  EXPECT_THAT(ExecuteCommand(client_, charger, 5, "start", 1),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("takes no value")));
  EXPECT_THAT(ExecuteCommand(client_, charger, 5, "launch"),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(ExecuteCommand(client_, charger, 0, "start"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(client_.call_count(), calls);  // nothing went out
}

TEST_F(CommandsTest, DeviceRefusalIsReported) {
  const auto& breaker = *registry_.Find("mccb_measurement_unit");
  client_.InjectException(2, 0x04);
  EXPECT_THAT(ExecuteCommand(client_, breaker, 2, "close"),
              StatusIs(absl::StatusCode::kFailedPrecondition));
}

}  // namespace
}  // namespace ews::acquisition
