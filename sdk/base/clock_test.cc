#include "sdk/base/clock.h"

#include <atomic>
#include <thread>

#include "gtest/gtest.h"
#include "sdk/base/simulated_clock.h"

namespace ews {
namespace {

TEST(SystemClockTest, MonotonicNeverGoesBack) {
  SystemClock& clock = SystemClock::Get();
  absl::Duration first = clock.MonotonicNow();
  clock.SleepFor(absl::Milliseconds(2));
  EXPECT_GE(clock.MonotonicNow() - first, absl::Milliseconds(2));
  EXPECT_GT(clock.WallNow(), absl::FromUnixSeconds(1700000000));
}

TEST(SimulatedClockTest, MovesOnlyWhenAdvanced) {
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  EXPECT_EQ(clock.WallNow(), absl::FromUnixSeconds(1000));
  EXPECT_EQ(clock.MonotonicNow(), absl::ZeroDuration());
  clock.Advance(absl::Seconds(90));
  EXPECT_EQ(clock.WallNow(), absl::FromUnixSeconds(1090));
  EXPECT_EQ(clock.MonotonicNow(), absl::Seconds(90));
  clock.Advance(absl::Seconds(-5));  // ignored: time does not run backwards
  EXPECT_EQ(clock.MonotonicNow(), absl::Seconds(90));
}

TEST(SimulatedClockTest, SettingWallTimeLeavesMonotonicAlone) {
  SimulatedClock clock(absl::FromUnixSeconds(1000));
  clock.Advance(absl::Seconds(10));
  clock.SetWallTime(absl::FromUnixSeconds(500));
  EXPECT_EQ(clock.WallNow(), absl::FromUnixSeconds(500));
  EXPECT_EQ(clock.MonotonicNow(), absl::Seconds(10));
}

TEST(SimulatedClockTest, SleepForWakesWhenAnotherThreadAdvances) {
  SimulatedClock clock;
  std::atomic<bool> woke{false};
  absl::Duration slept_from;
  std::thread sleeper([&] {
    slept_from = clock.MonotonicNow();
    clock.SleepFor(absl::Seconds(300));
    woke = true;
  });
  // The sleeper may start before or after any given Advance(): advance until it
  // wakes.
  while (!woke) {
    clock.Advance(absl::Seconds(1));
    std::this_thread::yield();
  }
  sleeper.join();
  EXPECT_GE(clock.MonotonicNow() - slept_from, absl::Seconds(300));
}

}  // namespace
}  // namespace ews
