// FakeLeds: a testonly Leds that records every Set() (with the injected
// clock's monotonic time) and injects errors per LED (a broken sysfs file).
#pragma once

#include <array>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "sdk/base/clock.h"
#include "sdk/hal/led/leds.h"

namespace ews::hal {

class FakeLeds final : public Leds {
 public:
  struct Call {
    absl::Duration at;
    Led led;
    bool on;
  };

  explicit FakeLeds(Clock* clock) : clock_(clock) {}

  // Every Set() and Get() of `led` fails with `status` until cleared with
  // OkStatus().
  void InjectError(Led led, absl::Status status);

  bool IsOn(Led led) const;
  std::vector<Call> calls() const;
  // The times `led` was switched on (successful calls only).
  std::vector<absl::Duration> TurnedOnAt(Led led) const;

 private:
  absl::Status DoSet(Led led, bool on) override;
  absl::StatusOr<bool> DoGet(Led led) override;

  Clock* const clock_;
  mutable absl::Mutex mutex_;
  std::array<bool, kLedCount> state_ ABSL_GUARDED_BY(mutex_) = {};
  std::array<absl::Status, kLedCount> errors_ ABSL_GUARDED_BY(mutex_);
  std::vector<Call> calls_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::hal
