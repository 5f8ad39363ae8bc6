// The one source of time for EWS logic. Wall time (RTC/system: timestamps, day
// boundaries) and monotonic time (timeouts, rates) are kept apart because wall
// time jumps when NTP or a user sets the clock, and a timeout must not.
#pragma once

#include "absl/time/time.h"

namespace ews {

class Clock {
 public:
  virtual ~Clock() = default;

  // Calendar time; may jump forwards or backwards when the clock is set.
  virtual absl::Time WallNow() const = 0;

  // Time since an arbitrary fixed point; never goes backwards.
  virtual absl::Duration MonotonicNow() const = 0;

  // Blocks the calling thread for `duration` of this clock's time. A simulated
  // clock returns once another thread has advanced it far enough.
  virtual void SleepFor(absl::Duration duration) = 0;
};

// The process's real clocks (CLOCK_REALTIME and CLOCK_MONOTONIC).
class SystemClock final : public Clock {
 public:
  absl::Time WallNow() const override;
  absl::Duration MonotonicNow() const override;
  void SleepFor(absl::Duration duration) override;

  // A process-wide instance, for `main()` to inject.
  static SystemClock& Get();
};

}  // namespace ews
