// Pulse-output meters (energy, water, gas) turned into counters: each
// channel of an ews::hal::PulseCounter has a quantity per pulse and a unit;
// its index is initial_index + pulses × quantity_per_pulse, and its rate is
// measured over a sliding window.
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/hal/pulse/pulse_counter.h"

namespace ews::acquisition {

enum class PulseUnit {
  kUnspecified = 0,
  kWattHour,      // "Wh"
  kKilowattHour,  // "kWh"
  kLitre,         // "L"
  kCubicMetre,    // "m³"
};

// "Wh", "kWh", "L", "m³"; "" for kUnspecified.
const char* PulseUnitSymbol(PulseUnit unit);
// Parses "Wh", "kWh", "L", "l", "m3", "m³". InvalidArgument otherwise.
absl::StatusOr<PulseUnit> ParsePulseUnit(absl::string_view text);

struct PulseMeterConfig {
  std::string name;               // unique, e.g. "water-main"
  int channel = 0;                // channel of the PulseCounter
  double quantity_per_pulse = 0;  // in `unit`, > 0: 10 (L), 0.01 (m³), 1 (Wh)
  PulseUnit unit = PulseUnit::kUnspecified;
  double initial_index = 0;  // the meter's index when counting started
  absl::Duration rate_window = absl::Minutes(5);
};

// InvalidArgument naming the field: empty name, negative channel,
// quantity_per_pulse <= 0 or not finite, unit unspecified, negative initial
// index, window <= 0.
absl::Status ValidatePulseMeterConfig(const PulseMeterConfig& config);

struct PulseSample {
  std::string name;
  absl::Time time;      // wall (RTC)
  uint64_t pulses = 0;  // exact: index = initial + pulses × quantity/pulse
  double index = 0;     // in `unit`
  std::string unit;
  double rate_per_hour = 0;  // `unit` per hour over the window
};

class PulseMeters {
 public:
  // `counter` and `clock` (not owned) must outlive this. The counter must be
  // started with a channel for each config. InvalidArgument: a bad config or
  // duplicate names.
  static absl::StatusOr<std::unique_ptr<PulseMeters>> Create(
      hal::PulseCounter* counter, std::vector<PulseMeterConfig> configs,
      Clock* clock);

  // Reads every channel now. The rate is over the readings kept since the
  // window's start: one per window/kHistorySlots at most (the newest always),
  // so calling it often (every live-values request) keeps memory bounded; the
  // rate is then over a span up to 1/kHistorySlots longer than the window.
  // Errors: the counter's (Count()).
  absl::StatusOr<std::vector<PulseSample>> Sample();

  static constexpr int kHistorySlots = 64;

  size_t size() const { return configs_.size(); }

 private:
  PulseMeters(hal::PulseCounter* counter, std::vector<PulseMeterConfig> configs,
              Clock* clock);

  hal::PulseCounter* const counter_;
  const std::vector<PulseMeterConfig> configs_;
  Clock* const clock_;
  absl::Mutex mutex_;
  // Per meter: (monotonic time, pulses) within the rate window.
  std::vector<std::deque<std::pair<absl::Duration, uint64_t>>> history_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::acquisition
