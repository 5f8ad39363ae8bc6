// FakePulseCounter: a testonly PulseCounter whose pulses the test adds by
// hand, with a stuck-input fault and injected errors, recording calls.
#pragma once

#include <cstdint>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "sdk/hal/pulse/pulse_counter.h"

namespace ews::hal {

class FakePulseCounter final : public PulseCounter {
 public:
  FakePulseCounter() = default;

  // Adds `pulses` to `channel` unless the input is stuck (no-op if the
  // channel does not exist or the counter is stopped).
  void AddPulses(int channel, uint64_t pulses);
  // A stuck input counts nothing until released.
  void SetStuck(int channel, bool stuck);
  // The next Start() / count read fails with `status`.
  void InjectStartError(absl::Status status);
  void InjectReadError(absl::Status status);

  int start_calls() const;
  int stop_calls() const;
  // The channels of the last successful Start().
  std::vector<PulseChannelConfig> channels() const;

 private:
  absl::Status DoStart(absl::Span<const PulseChannelConfig> channels) override;
  absl::Status DoStop() override;
  absl::StatusOr<uint64_t> DoRawCount(int channel) const override;

  mutable absl::Mutex mutex_;
  std::vector<PulseChannelConfig> channels_ ABSL_GUARDED_BY(mutex_);
  std::vector<uint64_t> counts_ ABSL_GUARDED_BY(mutex_);
  std::vector<bool> stuck_ ABSL_GUARDED_BY(mutex_);
  bool running_ ABSL_GUARDED_BY(mutex_) = false;
  int start_calls_ ABSL_GUARDED_BY(mutex_) = 0;
  int stop_calls_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::Status start_error_ ABSL_GUARDED_BY(mutex_);
  mutable absl::Status read_error_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::hal
