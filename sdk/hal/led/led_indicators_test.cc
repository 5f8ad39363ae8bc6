#include "sdk/hal/led/led_indicators.h"

#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/led/fake_leds.h"
#include "sdk/hal/led/simulated_leds.h"
#include "sdk/hal/serial/fake_serial_port.h"

namespace ews::hal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;

absl::Duration Ms(int ms) { return absl::Milliseconds(ms); }

class LedIndicatorsTest : public ::testing::Test {
 protected:
  // Ticks every 10 ms for `duration`.
  void Run(absl::Duration duration) {
    for (absl::Duration t; t < duration; t += Ms(10)) {
      clock_.Advance(Ms(10));
      EXPECT_THAT(indicators_.Tick(), IsOk());
    }
  }

  SimulatedClock clock_;
  FakeLeds leds_{&clock_};
  LedIndicators indicators_{&leds_, &clock_};
};

TEST_F(LedIndicatorsTest, PowerIsSteadyAndTheRestStartsOff) {
  ASSERT_THAT(indicators_.Start(), IsOk());
  EXPECT_TRUE(leds_.IsOn(Led::kPower));
  for (Led led : {Led::kRx, Led::kTx, Led::kLink, Led::kAct}) {
    EXPECT_FALSE(leds_.IsOn(led)) << LedName(led);
  }
  Run(Ms(1000));
  EXPECT_TRUE(leds_.IsOn(Led::kPower));
  ASSERT_THAT(indicators_.Stop(), IsOk());
  EXPECT_FALSE(leds_.IsOn(Led::kPower));
}

TEST_F(LedIndicatorsTest, OneFrameIsOneFlash) {
  ASSERT_THAT(indicators_.Start(), IsOk());
  indicators_.OnTx();
  Run(Ms(10));
  EXPECT_TRUE(leds_.IsOn(Led::kTx));
  EXPECT_FALSE(leds_.IsOn(Led::kRx));
  Run(Ms(40));
  EXPECT_TRUE(leds_.IsOn(Led::kTx));
  Run(Ms(10));
  EXPECT_FALSE(leds_.IsOn(Led::kTx));  // 50 ms lit
  Run(Ms(500));
  EXPECT_THAT(leds_.TurnedOnAt(Led::kTx), ElementsAre(Ms(10)));
}

TEST_F(LedIndicatorsTest, ContinuousTrafficBlinksAtOnPlusOffPeriod) {
  ASSERT_THAT(indicators_.Start(), IsOk());
  for (int i = 0; i < 50; ++i) {  // traffic every 10 ms for 500 ms
    indicators_.OnRx();
    indicators_.OnNetworkTraffic();
    Run(Ms(10));
  }
  EXPECT_THAT(leds_.TurnedOnAt(Led::kRx),
              ElementsAre(Ms(10), Ms(110), Ms(210), Ms(310), Ms(410)));
  EXPECT_EQ(leds_.TurnedOnAt(Led::kAct).size(), 5u);
}

TEST_F(LedIndicatorsTest, LinkFollowsTheEthernetState) {
  ASSERT_THAT(indicators_.Start(), IsOk());
  indicators_.SetLinkUp(true);
  Run(Ms(10));
  EXPECT_TRUE(leds_.IsOn(Led::kLink));
  indicators_.SetLinkUp(false);
  Run(Ms(10));
  EXPECT_FALSE(leds_.IsOn(Led::kLink));
}

TEST_F(LedIndicatorsTest, ABrokenLedDoesNotStopTheOthers) {
  ASSERT_THAT(indicators_.Start(), IsOk());
  leds_.InjectError(Led::kRx, absl::PermissionDeniedError("brightness"));
  indicators_.OnRx();
  indicators_.OnTx();
  clock_.Advance(Ms(10));
  EXPECT_THAT(indicators_.Tick(),
              StatusIs(absl::StatusCode::kPermissionDenied));
  EXPECT_TRUE(leds_.IsOn(Led::kTx));
  EXPECT_EQ(indicators_.errors(), 1u);
}

TEST(LedIndicatorsSerialTest, SerialTrafficBlinksRxAndTxOnSimulatedLeds) {
  SimulatedClock clock;
  SimulatedLeds leds(&clock);
  LedIndicators indicators(&leds, &clock);
  ASSERT_THAT(indicators.Start(), IsOk());
  FakeSerialPort port(&clock, SerialSettings{});
  port.SetTrafficListener([&](TrafficDirection direction, size_t) {
    direction == TrafficDirection::kReceive ? indicators.OnRx()
                                            : indicators.OnTx();
  });
  const std::vector<uint8_t> request = {1, 3, 0, 0, 0, 1, 0x84, 0x0A};
  port.ExpectWrite(request, {1, 3, 2, 0, 7, 0xF9, 0x86});
  ASSERT_THAT(port.Write(request), IsOk());
  std::vector<uint8_t> buffer(16);
  ASSERT_THAT(port.ReadFor(absl::MakeSpan(buffer), Ms(300)), IsOk());
  ASSERT_THAT(indicators.Tick(), IsOk());
  EXPECT_THAT(leds.Snapshot(), ElementsAre(true, true, true, false, false));
  clock.Advance(Ms(60));
  ASSERT_THAT(indicators.Tick(), IsOk());
  EXPECT_THAT(leds.Snapshot(), ElementsAre(true, false, false, false, false));
  EXPECT_EQ(leds.TurnOns(Led::kRx), 1u);
  EXPECT_EQ(leds.TurnOns(Led::kTx), 1u);
  EXPECT_EQ(leds.History().size(), 5u);  // power on, rx/tx on, rx/tx off
}

TEST(SimulatedLedsTest, RejectsUnknownLedsAndBoundsHistory) {
  SimulatedClock clock;
  SimulatedLeds leds(&clock, /*history_limit=*/3);
  EXPECT_THAT(leds.Set(static_cast<Led>(7), true),
              StatusIs(absl::StatusCode::kInvalidArgument));
  for (int i = 0; i < 10; ++i)
    ASSERT_THAT(leds.Set(Led::kAct, i % 2 == 0), IsOk());
  EXPECT_EQ(leds.History().size(), 3u);
  EXPECT_EQ(leds.TurnOns(Led::kAct), 5u);
  EXPECT_FALSE(*leds.Get(Led::kAct));
}

}  // namespace
}  // namespace ews::hal
