// ews::lab::MeterPulseCounter: an ews::hal::PulseCounter whose channels are
// SimulatedPulseMeters, so the SDK's pulse acquisition (and the app) can be
// driven by simulated water, gas and energy meters on the same clock as the
// Modbus simulators. Channel i counts the meter given for channels[i].line.
#pragma once

#include <map>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "lab/devices/pulse_meter.h"
#include "sdk/hal/pulse/pulse_counter.h"

namespace ews::lab {

class MeterPulseCounter final : public hal::PulseCounter {
 public:
  // `meters` by line; not owned, must outlive the counter.
  explicit MeterPulseCounter(std::map<int, SimulatedPulseMeter*> meters)
      : meters_(std::move(meters)) {}

 private:
  // NotFound: a channel's line has no meter.
  absl::Status DoStart(
      absl::Span<const hal::PulseChannelConfig> channels) override;
  absl::Status DoStop() override;
  absl::StatusOr<uint64_t> DoRawCount(int channel) const override;

  const std::map<int, SimulatedPulseMeter*> meters_;
  mutable absl::Mutex mutex_;
  // Per channel: the meter and its count when counting started.
  std::vector<std::pair<SimulatedPulseMeter*, uint64_t>> channels_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::lab
