#include "lab/bus/bus_control.h"

#include <memory>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"

namespace ews::lab {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

class BusControlTest : public ::testing::Test {
 protected:
  void SetUp() override {
    BusOptions options;
    options.endpoints = 3;
    auto bus = VirtualBus::Start(options);
    ASSERT_THAT(bus, IsOk());
    bus_ = std::move(*bus);
  }
  absl::StatusOr<std::string> Run(absl::string_view line) {
    return ExecuteBusCommand(*bus_, line);
  }
  std::unique_ptr<VirtualBus> bus_;
};

TEST_F(BusControlTest, ListsEndpoints) {
  auto out = Run("endpoints");
  ASSERT_THAT(out, IsOk());
  EXPECT_THAT(*out, HasSubstr("0 " + bus_->endpoint_path(0) + "\n"));
  EXPECT_THAT(*out, HasSubstr("2 " + bus_->endpoint_path(2) + "\n"));
}

TEST_F(BusControlTest, ChangesLineSettings) {
  EXPECT_THAT(Run("line 9600 8N2"), IsOk());
  EXPECT_EQ(bus_->line_settings().ToString(), "9600 8N2");
  EXPECT_THAT(Run("line 9601 8N2"),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(bus_->line_settings().ToString(), "9600 8N2");
}

TEST_F(BusControlTest, AcceptsEveryFaultCommand) {
  for (absl::string_view command :
       {"drop 3", "drop 1 from 2", "corrupt 2 from 0 mask 80", "corrupt 1",
        "drop_rate 0.1", "corrupt_rate 0", "latency 12.5", "latency 3 from 1",
        "cut 1", "restore 1", "clear_faults", "capture", "clear_capture",
        "stats", "help", "   "}) {
    EXPECT_THAT(Run(command), IsOk()) << command;
  }
  EXPECT_THAT(*Run("stats"), HasSubstr("characters 0 collisions 0"));
}

TEST_F(BusControlTest, RejectsBadCommandsWithoutChangingTheBus) {
  for (absl::string_view command :
       {"fly", "drop", "drop x", "drop 1 from 7", "drop 1 form 1",
        "corrupt 1 mask 0", "corrupt 1 mask 100", "drop_rate 2", "latency -1",
        "cut 3", "cut", "line 9600", "clear_faults now"}) {
    EXPECT_THAT(Run(command), StatusIs(absl::StatusCode::kInvalidArgument))
        << command;
  }
}

}  // namespace
}  // namespace ews::lab
