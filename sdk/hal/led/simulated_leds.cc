#include "sdk/hal/led/simulated_leds.h"

namespace ews::hal {

std::array<bool, kLedCount> SimulatedLeds::Snapshot() const {
  absl::MutexLock lock(&mutex_);
  return state_;
}

std::vector<SimulatedLeds::Transition> SimulatedLeds::History() const {
  absl::MutexLock lock(&mutex_);
  return {history_.begin(), history_.end()};
}

uint64_t SimulatedLeds::TurnOns(Led led) const {
  absl::MutexLock lock(&mutex_);
  return turn_ons_[static_cast<int>(led)];
}

absl::Status SimulatedLeds::DoSet(Led led, bool on) {
  absl::MutexLock lock(&mutex_);
  const int i = static_cast<int>(led);
  if (state_[i] == on) return absl::OkStatus();
  state_[i] = on;
  if (on) ++turn_ons_[i];
  history_.push_back({clock_->WallNow(), led, on});
  while (history_.size() > history_limit_) history_.pop_front();
  return absl::OkStatus();
}

absl::StatusOr<bool> SimulatedLeds::DoGet(Led led) {
  absl::MutexLock lock(&mutex_);
  return state_[static_cast<int>(led)];
}

}  // namespace ews::hal
