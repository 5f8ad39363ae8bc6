#include "sdk/hal/led/fake_leds.h"

#include <utility>

namespace ews::hal {

void FakeLeds::InjectError(Led led, absl::Status status) {
  absl::MutexLock lock(&mutex_);
  errors_[static_cast<int>(led)] = std::move(status);
}

bool FakeLeds::IsOn(Led led) const {
  absl::MutexLock lock(&mutex_);
  return state_[static_cast<int>(led)];
}

std::vector<FakeLeds::Call> FakeLeds::calls() const {
  absl::MutexLock lock(&mutex_);
  return calls_;
}

std::vector<absl::Duration> FakeLeds::TurnedOnAt(Led led) const {
  absl::MutexLock lock(&mutex_);
  std::vector<absl::Duration> times;
  bool on = false;
  for (const Call& call : calls_) {
    if (call.led != led) continue;
    if (call.on && !on) times.push_back(call.at);
    on = call.on;
  }
  return times;
}

absl::Status FakeLeds::DoSet(Led led, bool on) {
  absl::MutexLock lock(&mutex_);
  const int i = static_cast<int>(led);
  if (!errors_[i].ok()) return errors_[i];
  state_[i] = on;
  calls_.push_back({clock_->MonotonicNow(), led, on});
  return absl::OkStatus();
}

absl::StatusOr<bool> FakeLeds::DoGet(Led led) {
  absl::MutexLock lock(&mutex_);
  const int i = static_cast<int>(led);
  if (!errors_[i].ok()) return errors_[i];
  return state_[i];
}

}  // namespace ews::hal
