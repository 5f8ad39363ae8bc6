#include "sdk/base/clock.h"

#include <time.h>

#include "absl/time/clock.h"

namespace ews {

absl::Time SystemClock::WallNow() const { return absl::Now(); }

absl::Duration SystemClock::MonotonicNow() const {
  timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return absl::DurationFromTimespec(now);
}

void SystemClock::SleepFor(absl::Duration duration) {
  absl::SleepFor(duration);
}

SystemClock& SystemClock::Get() {
  static SystemClock* clock = new SystemClock;
  return *clock;
}

}  // namespace ews
