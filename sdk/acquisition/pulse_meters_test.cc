#include "sdk/acquisition/pulse_meters.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/pulse/fake_pulse_counter.h"

namespace ews::acquisition {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;

TEST(PulseMetersTest, IndexAndRateFromPulses) {
  SimulatedClock clock;
  hal::FakePulseCounter counter;
  std::vector<hal::PulseChannelConfig> channels(2);
  channels[1].line = 1;
  ASSERT_THAT(counter.Start(channels), IsOk());
  std::vector<PulseMeterConfig> configs(2);
  configs[0] = {"water", 0, 10, PulseUnit::kLitre, 1000, absl::Minutes(5)};
  configs[1] = {"energy", 1, 1, PulseUnit::kWattHour, 0, absl::Minutes(5)};
  auto meters = PulseMeters::Create(&counter, configs, &clock);
  ASSERT_THAT(meters, IsOk());
  ASSERT_THAT((*meters)->Sample(), IsOk());
  for (int minute = 0; minute < 10; ++minute) {
    clock.Advance(absl::Minutes(1));
    counter.AddPulses(0, 5);    // 50 L per minute = 3000 L/h
    counter.AddPulses(1, 100);  // 100 Wh per minute = 6000 Wh/h
  }
  auto samples = (*meters)->Sample();
  ASSERT_THAT(samples, IsOk());
  EXPECT_EQ((*samples)[0].pulses, 50u);
  EXPECT_DOUBLE_EQ((*samples)[0].index, 1500);
  EXPECT_EQ((*samples)[0].unit, "L");
  // The first sample was at 0; the window covers everything so far.
  EXPECT_NEAR((*samples)[0].rate_per_hour, 3000, 1e-6);
  EXPECT_NEAR((*samples)[1].rate_per_hour, 6000, 1e-6);
  EXPECT_EQ((*samples)[1].unit, "Wh");
  EXPECT_EQ((*samples)[0].time, clock.WallNow());
  // A slower rate shows after a window.
  for (int minute = 0; minute < 6; ++minute) {
    clock.Advance(absl::Minutes(1));
    counter.AddPulses(0, 1);  // 600 L/h
    ASSERT_THAT((*meters)->Sample(), IsOk());
  }
  samples = (*meters)->Sample();
  EXPECT_NEAR((*samples)[0].rate_per_hour, 600, 1e-6);
}

// Read many times a second (live-values requests), the rate stays that of
// the window: the readings kept are thinned, not the rate's span lost.
TEST(PulseMetersTest, FrequentReadsKeepTheRate) {
  SimulatedClock clock;
  hal::FakePulseCounter counter;
  std::vector<hal::PulseChannelConfig> channels(1);
  channels[0].line = 0;
  ASSERT_THAT(counter.Start(channels), IsOk());
  auto meters = PulseMeters::Create(
      &counter, {{"water", 0, 10, PulseUnit::kLitre, 0, absl::Minutes(5)}},
      &clock);
  ASSERT_THAT(meters, IsOk());
  // 10 minutes read every 50 ms: one pulse a second (36,000 L/h) for five
  // minutes, then one every two seconds (18,000 L/h).
  for (int step = 1; step <= 12000; ++step) {
    clock.Advance(absl::Milliseconds(50));
    if (step % (step <= 6000 ? 20 : 40) == 0) counter.AddPulses(0, 1);
    ASSERT_THAT((*meters)->Sample(), IsOk());
    if (step == 6000) {
      auto samples = (*meters)->Sample();
      EXPECT_NEAR((*samples)[0].rate_per_hour, 36000, 36000.0 / 64);
    }
  }
  auto samples = (*meters)->Sample();
  ASSERT_THAT(samples, IsOk());
  EXPECT_EQ((*samples)[0].pulses, 450u);
  // The window holds only the slower pulses by now.
  EXPECT_NEAR((*samples)[0].rate_per_hour, 18000, 18000.0 / 64 + 200);
}

TEST(PulseMetersTest, RejectsBadConfigs) {
  SimulatedClock clock;
  hal::FakePulseCounter counter;
  auto make = [&](PulseMeterConfig config) {
    return PulseMeters::Create(&counter, {config}, &clock).status();
  };
  EXPECT_THAT(make({"", 0, 1, PulseUnit::kLitre}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(make({"gas", 0, 0, PulseUnit::kCubicMetre}),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("'gas': quantity_per_pulse")));
  EXPECT_THAT(make({"gas", 0, 0.01, PulseUnit::kUnspecified}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("unit")));
  EXPECT_THAT(make({"gas", -1, 0.01, PulseUnit::kCubicMetre}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      PulseMeters::Create(&counter,
                          {{"a", 0, 1, PulseUnit::kWattHour},
                           {"a", 1, 1, PulseUnit::kWattHour}},
                          &clock)
          .status(),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not unique")));
  EXPECT_THAT(ParsePulseUnit("m3"), IsOk());
  EXPECT_EQ(*ParsePulseUnit("kWh"), PulseUnit::kKilowattHour);
  EXPECT_THAT(ParsePulseUnit("gallons"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace ews::acquisition
