// Simulated pulse meters -> hal::PulseCounter -> the SDK's PulseMeters: the
// acquired index is exactly the meter's pulses × quantity per pulse.
#include "lab/devices/meter_pulse_counter.h"

#include <cmath>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/acquisition/pulse_meters.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"

namespace ews::lab {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

TEST(MeterPulseCounterTest, AcquiredCountersEqualTheMeters) {
  SimulatedClock clock;
  SimulatedPulseMeter water({10, 900, 1}, &clock);   // 10 L / pulse
  SimulatedPulseMeter gas({0.01, 1.5, 2}, &clock);   // 0.01 m³ / pulse
  SimulatedPulseMeter energy({1, 4000, 3}, &clock);  // 1 Wh / pulse
  MeterPulseCounter counter({{4, &water}, {5, &gas}, {6, &energy}});
  std::vector<hal::PulseChannelConfig> channels(3);
  channels[0].line = 4;
  channels[1].line = 5;
  channels[2].line = 6;
  ASSERT_THAT(counter.Start(channels), IsOk());

  using acquisition::PulseUnit;
  auto meters = acquisition::PulseMeters::Create(
      &counter,
      {{"water", 0, 10, PulseUnit::kLitre, 0},
       {"gas", 1, 0.01, PulseUnit::kCubicMetre, 1234.5},
       {"energy", 2, 1, PulseUnit::kWattHour, 0}},
      &clock);
  ASSERT_THAT(meters, IsOk());
  for (int minute = 1; minute <= 6 * 60; ++minute) {
    clock.Advance(absl::Minutes(1));
    auto samples = (*meters)->Sample();
    ASSERT_THAT(samples, IsOk());
    EXPECT_EQ((*samples)[0].pulses, water.PulseCount());
    EXPECT_EQ((*samples)[1].pulses, gas.PulseCount());
    EXPECT_EQ((*samples)[2].pulses, energy.PulseCount());
    EXPECT_DOUBLE_EQ((*samples)[0].index, water.PulseCount() * 10.0);
    EXPECT_LE((*samples)[0].index, water.Consumption() + 1e-9);
    EXPECT_GT((*samples)[0].index, water.Consumption() - 10);
  }
  auto samples = (*meters)->Sample();
  EXPECT_EQ((*samples)[1].unit, "m³");
  EXPECT_NEAR((*samples)[1].index, 1234.5 + gas.Consumption(), 0.01);
  // Rate over the last five minutes, about the meters' mean rates.
  EXPECT_NEAR((*samples)[2].rate_per_hour, 4000, 4000 * 0.8);

  MeterPulseCounter empty({});
  EXPECT_THAT(empty.Start(channels), StatusIs(absl::StatusCode::kNotFound));
}

}  // namespace
}  // namespace ews::lab
