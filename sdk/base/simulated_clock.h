// A clock that moves only when told to, for deterministic tests of timeouts,
// schedules and day boundaries. Thread-safe: SleepFor() in one thread wakes
// when another thread Advance()s.
#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"

namespace ews {

class SimulatedClock final : public Clock {
 public:
  explicit SimulatedClock(absl::Time wall_start = absl::FromUnixSeconds(
                              1767225600));  // 2026-01-01T00:00:00Z

  absl::Time WallNow() const override;
  absl::Duration MonotonicNow() const override;
  void SleepFor(absl::Duration duration) override;

  // Moves both wall and monotonic time forwards by `duration` (must be >= 0).
  void Advance(absl::Duration duration);

  // Sets the wall clock only (as NTP or a user would); monotonic time is
  // unaffected.
  void SetWallTime(absl::Time wall);

 private:
  mutable absl::Mutex mutex_;
  absl::Time wall_ ABSL_GUARDED_BY(mutex_);
  absl::Duration monotonic_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews
