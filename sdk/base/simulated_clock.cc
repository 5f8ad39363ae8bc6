#include "sdk/base/simulated_clock.h"

namespace ews {

SimulatedClock::SimulatedClock(absl::Time wall_start)
    : wall_(wall_start), monotonic_(absl::ZeroDuration()) {}

absl::Time SimulatedClock::WallNow() const {
  absl::MutexLock lock(&mutex_);
  return wall_;
}

absl::Duration SimulatedClock::MonotonicNow() const {
  absl::MutexLock lock(&mutex_);
  return monotonic_;
}

void SimulatedClock::SleepFor(absl::Duration duration) {
  absl::MutexLock lock(&mutex_);
  const absl::Duration wake_at = monotonic_ + duration;
  auto reached = [this, wake_at]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) {
    return monotonic_ >= wake_at;
  };
  mutex_.Await(absl::Condition(&reached));
}

void SimulatedClock::Advance(absl::Duration duration) {
  if (duration < absl::ZeroDuration()) return;
  absl::MutexLock lock(&mutex_);
  wall_ += duration;
  monotonic_ += duration;
}

void SimulatedClock::SetWallTime(absl::Time wall) {
  absl::MutexLock lock(&mutex_);
  wall_ = wall;
}

}  // namespace ews
