#include "lab/devices/meter_pulse_counter.h"

#include "absl/strings/str_cat.h"

namespace ews::lab {

absl::Status MeterPulseCounter::DoStart(
    absl::Span<const hal::PulseChannelConfig> channels) {
  absl::MutexLock lock(&mutex_);
  channels_.clear();
  for (const hal::PulseChannelConfig& channel : channels) {
    auto it = meters_.find(channel.line);
    if (it == meters_.end()) {
      channels_.clear();
      return absl::NotFoundError(
          absl::StrCat("no simulated meter on line ", channel.line));
    }
    channels_.push_back({it->second, it->second->PulseCount()});
  }
  return absl::OkStatus();
}

absl::Status MeterPulseCounter::DoStop() { return absl::OkStatus(); }

absl::StatusOr<uint64_t> MeterPulseCounter::DoRawCount(int channel) const {
  absl::MutexLock lock(&mutex_);
  const auto& [meter, start] = channels_[channel];
  return meter->PulseCount() - start;
}

}  // namespace ews::lab
