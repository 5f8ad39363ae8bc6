#include "lab/devices/pulse_meter.h"

#include <cmath>

#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"

namespace ews::lab {
namespace {

TEST(SimulatedPulseMeterTest, PulsesFollowConsumptionAndNeverGoBack) {
  SimulatedClock clock;
  PulseMeterOptions options;
  options.quantity_per_pulse = 10;  // L
  options.mean_rate_per_hour = 600;
  SimulatedPulseMeter meter(options, &clock);
  EXPECT_EQ(meter.PulseCount(), 0u);
  uint64_t previous = 0;
  uint64_t taken = 0;
  for (int minute = 0; minute < 6 * 60; ++minute) {
    clock.Advance(absl::Minutes(1));
    const uint64_t count = meter.PulseCount();
    EXPECT_GE(count, previous);
    EXPECT_EQ(count, static_cast<uint64_t>(
                         std::floor(meter.Consumption() / 10 + 1e-9)));
    previous = count;
    taken += meter.TakeNewPulses();
  }
  EXPECT_EQ(taken, previous);
  // About 600 L/h for 6 h (the curve swings around the mean).
  EXPECT_NEAR(meter.Consumption(), 3600, 3600 * 0.3);
  EXPECT_GE(meter.RatePerHour(), 0);
}

}  // namespace
}  // namespace ews::lab
