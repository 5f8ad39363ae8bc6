#include "sdk/hal/pulse/simulated_pulse_counter.h"

#include <cstdlib>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/base/status_matchers.h"
#include "sdk/hal/pulse/pulse_count_store.h"

namespace ews::hal {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::ElementsAre;

using Meter = SimulatedPulseCounter::Meter;

TEST(SimulatedPulseCounterTest, CountsExactlyAtTheSimulatedRate) {
  SimulatedClock clock;
  SimulatedPulseCounter counter(&clock);
  ASSERT_THAT(counter.SetMeter(0, Meter::AtRate(10)), IsOk());   // 10/s
  ASSERT_THAT(counter.SetMeter(1, Meter::AtRate(0.5)), IsOk());  // 1 per 2 s
  ASSERT_THAT(counter.Start({{0}, {1, PulseEdge::kRising}, {2}}), IsOk());
  EXPECT_THAT(*counter.Counts(), ElementsAre(0, 0, 0));
  clock.Advance(absl::Milliseconds(99));
  EXPECT_EQ(*counter.Count(0), 0u);
  clock.Advance(absl::Milliseconds(1));  // first pulse at exactly 100 ms
  EXPECT_EQ(*counter.Count(0), 1u);
  clock.Advance(absl::Hours(1) - absl::Milliseconds(100));
  // 10/s for an hour; the rising edge of channel 1's last pulse (at 3600 s)
  // comes 30 ms later.
  EXPECT_THAT(*counter.Counts(), ElementsAre(36000, 1799, 0));
  clock.Advance(absl::Milliseconds(30));
  EXPECT_EQ(*counter.Count(1), 1800u);
}

TEST(SimulatedPulseCounterTest, DebounceRejectsContactBounce) {
  SimulatedClock clock;
  SimulatedPulseCounter counter(&clock);
  Meter bouncy = Meter::AtRate(5);
  bouncy.bounces = 3;  // 6 extra edges after each real edge, within 3 ms
  ASSERT_THAT(counter.SetMeter(0, bouncy), IsOk());
  ASSERT_THAT(counter.SetMeter(1, bouncy), IsOk());
  ASSERT_THAT(counter.Start({{0, PulseEdge::kFalling, absl::Milliseconds(10)},
                             {1, PulseEdge::kFalling, absl::ZeroDuration()}}),
              IsOk());
  // 50 pulses (the last at 10 s) and all their bounces.
  clock.Advance(absl::Seconds(10) + absl::Milliseconds(100));
  EXPECT_EQ(*counter.Count(0), 50u);
  EXPECT_EQ(counter.rejected_edges(0), 50u * 2 * 6);
  // Without debounce each pulse counts 7 falls: the real one and 3 bounce
  // falls after each of its two edges.
  EXPECT_EQ(*counter.Count(1), 50u * 7);
}

TEST(SimulatedPulseCounterTest, StuckInputAndRateChange) {
  SimulatedClock clock;
  SimulatedPulseCounter counter(&clock);
  ASSERT_THAT(counter.SetMeter(0, Meter::AtRate(1)), IsOk());
  ASSERT_THAT(counter.Start({{0}}), IsOk());
  clock.Advance(absl::Seconds(10));
  Meter stuck = Meter::AtRate(1);
  stuck.stuck = true;
  ASSERT_THAT(counter.SetMeter(0, stuck), IsOk());
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(*counter.Count(0), 10u);
  ASSERT_THAT(counter.SetMeter(0, Meter::AtRate(4)), IsOk());
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(*counter.Count(0), 50u);
  ASSERT_THAT(counter.Stop(), IsOk());
  clock.Advance(absl::Seconds(10));
  EXPECT_EQ(*counter.Count(0), 50u);  // stopped: frozen
  EXPECT_THAT(counter.SetMeter(0, Meter{absl::ZeroDuration()}),
              StatusIs(absl::StatusCode::kInvalidArgument));
  Meter wide = Meter::AtRate(10);
  wide.pulse_width = absl::Milliseconds(200);
  EXPECT_THAT(counter.SetMeter(0, wide),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

// One run of the "device": start, restore, count for `run`, then either an
// orderly shutdown or a power cut (no final save).
uint64_t RunDevice(SimulatedClock& clock, const std::string& path,
                   absl::Duration run, bool power_cut) {
  SimulatedPulseCounter counter(&clock);
  EXPECT_THAT(counter.SetMeter(0, Meter::AtRate(2)), IsOk());
  EXPECT_THAT(counter.Start({{0}}), IsOk());
  PulseCountPersistence persistence(&counter, &clock,
                                    {path, absl::Seconds(60)});
  EXPECT_THAT(persistence.Restore(), IsOk());
  // The application polls once a second.
  for (absl::Duration t; t < run; t += absl::Seconds(1)) {
    clock.Advance(absl::Seconds(1));
    EXPECT_THAT(persistence.Poll(), IsOk());
  }
  if (!power_cut) {
    EXPECT_THAT(persistence.Shutdown(), IsOk());
  }
  const uint64_t count = *counter.Count(0);
  EXPECT_THAT(counter.Stop(), IsOk());
  return count;
}

TEST(SimulatedPulseCounterTest, CountsSurviveAnOrderlyRestartExactly) {
  SimulatedClock clock;
  const std::string path =
      std::string(std::getenv("TEST_TMPDIR")) + "/orderly-counts";
  EXPECT_EQ(RunDevice(clock, path, absl::Seconds(150), false), 300u);
  clock.Advance(absl::Minutes(5));  // off: these pulses are never seen
  EXPECT_EQ(RunDevice(clock, path, absl::Seconds(100), false), 300u + 200u);
  EXPECT_THAT(*LoadPulseCounts(path), ElementsAre(500));
}

TEST(SimulatedPulseCounterTest, PowerCutLosesAtMostOnePeriodOfPulses) {
  SimulatedClock clock;
  const std::string path =
      std::string(std::getenv("TEST_TMPDIR")) + "/power-cut-counts";
  // 150 s at 2/s = 300 pulses; saved at 60 s and 120 s (240), then the power
  // goes: the 60 pulses since the last save are lost.
  EXPECT_EQ(RunDevice(clock, path, absl::Seconds(150), true), 300u);
  const uint64_t after = RunDevice(clock, path, absl::Seconds(10), false);
  const uint64_t lost = 300 + 20 - after;
  EXPECT_EQ(lost, 60u);
  // The documented bound: period x rate + 1.
  EXPECT_LE(lost, 60u * 2 + 1);
}

}  // namespace
}  // namespace ews::hal
