// NetActivityMonitor on a fake /sys/class/net tree in TEST_TMPDIR.
#include "sdk/hal/led/net_activity_monitor.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/led/fake_leds.h"

namespace ews::hal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

class NetActivityMonitorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = std::string(std::getenv("TEST_TMPDIR")) + "/net";
    mkdir(root_.c_str(), 0755);
    mkdir((root_ + "/eth0").c_str(), 0755);
    mkdir((root_ + "/eth0/statistics").c_str(), 0755);
    Write("carrier", "1");
    Write("statistics/rx_packets", "100");
    Write("statistics/tx_packets", "50");
    ASSERT_THAT(indicators_.Start(), IsOk());
  }
  void Write(const std::string& file, const std::string& value) {
    std::ofstream(root_ + "/eth0/" + file) << value << "\n";
  }

  std::string root_;
  SimulatedClock clock_;
  FakeLeds leds_{&clock_};
  LedIndicators indicators_{&leds_, &clock_};
};

TEST_F(NetActivityMonitorTest, LinkFollowsCarrierAndActFollowsPackets) {
  NetActivityMonitor monitor(&indicators_, {root_, "eth0"});
  ASSERT_THAT(monitor.Poll(), IsOk());
  clock_.Advance(absl::Milliseconds(10));
  ASSERT_THAT(indicators_.Tick(), IsOk());
  EXPECT_TRUE(leds_.IsOn(Led::kLink));
  EXPECT_FALSE(leds_.IsOn(Led::kAct));  // first poll: no baseline yet

  Write("statistics/rx_packets", "101");
  ASSERT_THAT(monitor.Poll(), IsOk());
  clock_.Advance(absl::Milliseconds(10));
  ASSERT_THAT(indicators_.Tick(), IsOk());
  EXPECT_TRUE(leds_.IsOn(Led::kAct));

  Write("carrier", "0");
  ASSERT_THAT(monitor.Poll(), IsOk());
  clock_.Advance(absl::Milliseconds(10));
  ASSERT_THAT(indicators_.Tick(), IsOk());
  EXPECT_FALSE(leds_.IsOn(Led::kLink));

  Write("carrier", "1");
  ASSERT_THAT(monitor.Poll(), IsOk());
  clock_.Advance(absl::Milliseconds(10));
  ASSERT_THAT(indicators_.Tick(), IsOk());
  EXPECT_TRUE(leds_.IsOn(Led::kLink));

  // An interface that is down has no readable carrier: link off.
  unlink((root_ + "/eth0/carrier").c_str());
  ASSERT_THAT(monitor.Poll(), IsOk());
  clock_.Advance(absl::Milliseconds(10));
  ASSERT_THAT(indicators_.Tick(), IsOk());
  EXPECT_FALSE(leds_.IsOn(Led::kLink));
}

TEST_F(NetActivityMonitorTest, MissingInterfaceIsNotFoundAndLinkOff) {
  NetActivityMonitor monitor(&indicators_, {root_, "eth9"});
  EXPECT_THAT(monitor.Poll(), StatusIs(absl::StatusCode::kNotFound));
  clock_.Advance(absl::Milliseconds(10));
  ASSERT_THAT(indicators_.Tick(), IsOk());
  EXPECT_FALSE(leds_.IsOn(Led::kLink));
}

}  // namespace
}  // namespace ews::hal
