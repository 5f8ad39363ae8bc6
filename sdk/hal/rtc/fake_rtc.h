// FakeRtc: a testonly RealTimeClock that runs on an injected clock's
// monotonic time, records every Set() and injects faults (dead battery =
// invalid time until set, low battery, read/set errors).
#pragma once

#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sdk/base/clock.h"
#include "sdk/hal/rtc/real_time_clock.h"

namespace ews::hal {

class FakeRtc final : public RealTimeClock {
 public:
  // `clock` is not owned. The RTC starts valid at `initial` (or unset).
  FakeRtc(Clock* clock, absl::Time initial);
  explicit FakeRtc(Clock* clock);  // unset: Read() is FailedPrecondition

  // The time is lost, as after a power-off with a dead battery.
  void InjectDeadBattery();
  void SetBattery(RtcBattery battery);
  // The next Read() / Set() fails with `status`.
  void InjectReadError(absl::Status status);
  void InjectSetError(absl::Status status);

  // Every successful Set(), in order.
  std::vector<absl::Time> sets() const;

 private:
  absl::StatusOr<absl::Time> DoRead() override;
  absl::Status DoSet(absl::Time time) override;
  absl::StatusOr<RtcBattery> DoBattery() override;

  Clock* const clock_;
  mutable absl::Mutex mutex_;
  bool valid_ ABSL_GUARDED_BY(mutex_);
  absl::Time anchor_ ABSL_GUARDED_BY(mutex_);
  absl::Duration anchor_monotonic_ ABSL_GUARDED_BY(mutex_);
  RtcBattery battery_ ABSL_GUARDED_BY(mutex_) = RtcBattery::kOk;
  absl::Status read_error_ ABSL_GUARDED_BY(mutex_);
  absl::Status set_error_ ABSL_GUARDED_BY(mutex_);
  std::vector<absl::Time> sets_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::hal
