#include "lab/devices/pulse_meter.h"

#include <algorithm>
#include <cmath>

namespace ews::lab {

namespace {
constexpr double kPi = 3.14159265358979323846;
}

SimulatedPulseMeter::SimulatedPulseMeter(const PulseMeterOptions& options,
                                         Clock* clock)
    : options_(options),
      clock_(clock),
      start_(clock->MonotonicNow()),
      micro_per_pulse_(std::max<uint64_t>(
          1, static_cast<uint64_t>(
                 std::llround(options.quantity_per_pulse * 1e6)))) {}

int64_t SimulatedPulseMeter::RateAt(int64_t step) const {
  // Mean rate with a slow swing (hours) and a fast one (minutes), never < 0.
  const double phase = options_.seed * 1.7;
  const double factor = 1 + 0.5 * std::sin(2 * kPi * step / 5400.0 + phase) +
                        0.2 * std::sin(2 * kPi * step / 240.0 + 2 * phase);
  const double per_second =
      options_.mean_rate_per_hour / 3600.0 * std::max(0.0, factor);
  return static_cast<int64_t>(std::llround(per_second * 1e6));
}

void SimulatedPulseMeter::UpdateLocked() {
  const int64_t target = absl::ToInt64Seconds(clock_->MonotonicNow() - start_);
  while (step_ < target) {
    consumed_micro_ += static_cast<uint64_t>(RateAt(step_));
    ++step_;
  }
}

uint64_t SimulatedPulseMeter::PulseCount() {
  absl::MutexLock lock(&mutex_);
  UpdateLocked();
  return consumed_micro_ / micro_per_pulse_;
}

double SimulatedPulseMeter::Consumption() {
  absl::MutexLock lock(&mutex_);
  UpdateLocked();
  return consumed_micro_ / 1e6;
}

uint64_t SimulatedPulseMeter::TakeNewPulses() {
  absl::MutexLock lock(&mutex_);
  UpdateLocked();
  const uint64_t total = consumed_micro_ / micro_per_pulse_;
  const uint64_t fresh = total - taken_;
  taken_ = total;
  return fresh;
}

double SimulatedPulseMeter::RatePerHour() {
  absl::MutexLock lock(&mutex_);
  UpdateLocked();
  return RateAt(step_) / 1e6 * 3600.0;
}

}  // namespace ews::lab
