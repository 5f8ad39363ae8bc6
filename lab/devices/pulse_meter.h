// ews::lab::SimulatedPulseMeter: a pulse-output meter (energy, water, gas).
// Consumption follows a deterministic load curve around a mean rate and is
// integrated exactly in one-second steps of the injected clock (in
// micro-units); the meter emits one pulse per `quantity_per_pulse`, so
// PulseCount() × quantity_per_pulse never exceeds the consumption and never
// goes backwards.
#pragma once

#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"

namespace ews::lab {

struct PulseMeterOptions {
  double quantity_per_pulse = 10;   // e.g. 10 L, 1 Wh, 0.01 m³ per pulse
  double mean_rate_per_hour = 600;  // units per hour (L/h, Wh/h = W, ...)
  uint32_t seed = 1;
};

class SimulatedPulseMeter {
 public:
  // `clock` (not owned) must outlive the meter. Options must be positive.
  SimulatedPulseMeter(const PulseMeterOptions& options, Clock* clock);

  const PulseMeterOptions& options() const { return options_; }

  // Pulses emitted since the meter was created, up to the clock's time.
  uint64_t PulseCount();
  // Exact consumption (units) up to the clock's time.
  double Consumption();
  // Pulses emitted since the previous call (to drive a simulated input).
  uint64_t TakeNewPulses();
  // The current rate (units per hour).
  double RatePerHour();

 private:
  void UpdateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  int64_t RateAt(int64_t step) const;  // micro-units per second

  const PulseMeterOptions options_;
  Clock* const clock_;
  const absl::Duration start_;
  const uint64_t micro_per_pulse_;

  absl::Mutex mutex_;
  int64_t step_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t consumed_micro_ ABSL_GUARDED_BY(mutex_) = 0;
  uint64_t taken_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace ews::lab
