// SimulatedLeds: LEDs that exist only in memory, for the demo (the web UI
// shows them) and for tests. Keeps each LED's state and a bounded history
// of transitions with timestamps from an injected clock.
#pragma once

#include <array>
#include <deque>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sdk/base/clock.h"
#include "sdk/hal/led/leds.h"

namespace ews::hal {

class SimulatedLeds final : public Leds {
 public:
  struct Transition {
    absl::Time at;  // wall time, for display
    Led led;
    bool on;
  };

  // `clock` is not owned. Keeps the last `history_limit` transitions.
  explicit SimulatedLeds(Clock* clock, size_t history_limit = 1000)
      : clock_(clock), history_limit_(history_limit) {}

  // All five at once, in kAllLeds order (for the web UI).
  std::array<bool, kLedCount> Snapshot() const;
  // Transitions (changes only), oldest first.
  std::vector<Transition> History() const;
  // How often `led` went from off to on.
  uint64_t TurnOns(Led led) const;

 private:
  absl::Status DoSet(Led led, bool on) override;
  absl::StatusOr<bool> DoGet(Led led) override;

  Clock* const clock_;
  const size_t history_limit_;
  mutable absl::Mutex mutex_;
  std::array<bool, kLedCount> state_ ABSL_GUARDED_BY(mutex_) = {};
  std::array<uint64_t, kLedCount> turn_ons_ ABSL_GUARDED_BY(mutex_) = {};
  std::deque<Transition> history_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::hal
