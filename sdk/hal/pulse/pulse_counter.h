// ews::hal::PulseCounter: counts pulses from pulse-output meters (S0 outputs
// of energy, water and gas meters) on digital inputs, one channel per input.
//
// Backends:
//   GpiodPulseCounter      (gpiod_pulse_counter.h)      Linux GPIO chardev
//   SimulatedPulseCounter  (simulated_pulse_counter.h)  meters at set rates
//   FakePulseCounter       (fake_pulse_counter.h)       testonly
//
// Counts are 64-bit and start at 0 (or at a value restored with SetCount(),
// see PulseCountPersistence in pulse_count_store.h for surviving a restart).
//
// Threading: Start/Stop from the owner; Count/Counts/SetCount from any thread.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace ews::hal {

// Which transitions count. S0 outputs are open collectors pulled up: a pulse
// pulls the input low, so the default counts falling edges.
enum class PulseEdge { kRising, kFalling, kBoth };

struct PulseChannelConfig {
  // GPIO line offset on the chip (GpiodPulseCounter); an index elsewhere.
  int line = 0;
  PulseEdge edge = PulseEdge::kFalling;
  // An edge counts only if at least this long passed since the previous
  // accepted edge of the line (either direction). Must be shorter than the
  // meter's pulse width and pause (S0: >= 30 ms each). 0 disables.
  absl::Duration debounce = absl::Milliseconds(10);
};

// OK or InvalidArgument: line < 0, debounce < 0 or > 1 s, two channels on one
// line.
absl::Status ValidatePulseChannels(
    absl::Span<const PulseChannelConfig> channels);

// Debounce and edge selection for one line, fed with edge events. Shared by
// the backends that see raw edges; pure logic.
class PulseDebouncer {
 public:
  explicit PulseDebouncer(const PulseChannelConfig& config)
      : edge_(config.edge), debounce_(config.debounce) {}
  // `at` on any monotonic time base. Returns true if the edge counts.
  bool OnEdge(absl::Duration at, bool rising);
  uint64_t accepted() const { return accepted_; }
  uint64_t rejected() const { return rejected_; }

 private:
  const PulseEdge edge_;
  const absl::Duration debounce_;
  bool has_last_ = false;
  absl::Duration last_accepted_;
  uint64_t accepted_ = 0;
  uint64_t rejected_ = 0;
};

class PulseCounter {
 public:
  virtual ~PulseCounter() = default;
  PulseCounter(const PulseCounter&) = delete;
  PulseCounter& operator=(const PulseCounter&) = delete;

  // Starts counting on `channels` (channel i = channels[i]); counts start at
  // 0. InvalidArgument: see ValidatePulseChannels. FailedPrecondition:
  // already started. NotFound / PermissionDenied / Unavailable: the backend
  // cannot reach the inputs.
  absl::Status Start(absl::Span<const PulseChannelConfig> channels);

  // Stops counting; counts stay readable. Idempotent.
  absl::Status Stop();

  bool started() const;
  int channel_count() const;

  // Pulses counted on `channel` (plus any value set with SetCount()).
  // InvalidArgument: no such channel. FailedPrecondition: never started.
  // Unavailable / Internal: the backend failed to read.
  absl::StatusOr<uint64_t> Count(int channel) const;
  absl::StatusOr<std::vector<uint64_t>> Counts() const;

  // Makes Count(channel) return `value` now (restoring persisted counts, or
  // setting a meter's index); later pulses add to it.
  absl::Status SetCount(int channel, uint64_t value);

 protected:
  PulseCounter() = default;

 private:
  virtual absl::Status DoStart(
      absl::Span<const PulseChannelConfig> channels) = 0;
  virtual absl::Status DoStop() = 0;
  // Pulses counted by the backend on `channel` since DoStart().
  virtual absl::StatusOr<uint64_t> DoRawCount(int channel) const = 0;

  absl::Status CheckChannel(int channel) const
      ABSL_SHARED_LOCKS_REQUIRED(mutex_);

  mutable absl::Mutex mutex_;
  bool started_ ABSL_GUARDED_BY(mutex_) = false;
  bool ever_started_ ABSL_GUARDED_BY(mutex_) = false;
  // Count(channel) = offset + raw (mod 2^64).
  std::vector<uint64_t> offsets_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::hal
