// SimulatedPulseCounter: pulse-output meters simulated in software, for the
// lab and the demo (with the system clock) and for tests (with a
// SimulatedClock). Each line carries a meter that emits a pulse every
// `period` (first pulse one period after Start() or SetMeter()), each pulse a
// low phase of `pulse_width`, optionally with contact bounce; the edges go
// through the same debouncing as the Linux backend.
//
// Pulses are generated lazily from the clock when counts are read: no thread.
// A restart of the "device" is a new SimulatedPulseCounter on the same clock;
// pulses while no counter exists are lost, as on the real box.
#pragma once

#include <deque>
#include <map>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sdk/base/clock.h"
#include "sdk/hal/pulse/pulse_counter.h"

namespace ews::hal {

class SimulatedPulseCounter final : public PulseCounter {
 public:
  struct Meter {
    // Time between pulses; InfiniteDuration: no pulses.
    absl::Duration period = absl::InfiniteDuration();
    absl::Duration pulse_width = absl::Milliseconds(30);
    // Extra edge pairs after each real edge, `bounce_spacing` apart.
    int bounces = 0;
    absl::Duration bounce_spacing = absl::Microseconds(500);
    // A stuck input: no edges at all while set.
    bool stuck = false;

    static Meter AtRate(double pulses_per_second) {
      Meter meter;
      meter.period = absl::Seconds(1) / pulses_per_second;
      return meter;
    }
  };

  // `clock` is not owned.
  explicit SimulatedPulseCounter(Clock* clock) : clock_(clock) {}

  // Sets the meter on `line` (before or after Start()); while counting, the
  // old meter's pulses up to now are counted first. InvalidArgument: period
  // or width <= 0, width >= period, bounces < 0.
  absl::Status SetMeter(int line, const Meter& meter);

  // Edges seen and rejected by debouncing on `channel` (0 if none).
  uint64_t rejected_edges(int channel) const;

 private:
  struct Edge {
    absl::Duration at;
    bool rising;
  };
  struct Channel {
    PulseChannelConfig config;
    PulseDebouncer debouncer;
    Meter meter;
    absl::Duration next_pulse;  // monotonic time of the next falling edge
    std::deque<Edge> edges;     // generated, not yet due
    uint64_t count = 0;
  };

  absl::Status DoStart(absl::Span<const PulseChannelConfig> channels) override;
  absl::Status DoStop() override;
  absl::StatusOr<uint64_t> DoRawCount(int channel) const override;

  // Generates and consumes every edge up to `now`.
  void CatchUp(Channel& channel, absl::Duration now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  Clock* const clock_;
  mutable absl::Mutex mutex_;
  std::map<int, Meter> meters_ ABSL_GUARDED_BY(mutex_);  // by line
  mutable std::vector<Channel> channels_ ABSL_GUARDED_BY(mutex_);
  bool running_ ABSL_GUARDED_BY(mutex_) = false;
  absl::Duration stopped_at_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::hal
