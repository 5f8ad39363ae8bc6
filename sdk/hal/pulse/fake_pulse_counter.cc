#include "sdk/hal/pulse/fake_pulse_counter.h"

#include <utility>

namespace ews::hal {

void FakePulseCounter::AddPulses(int channel, uint64_t pulses) {
  absl::MutexLock lock(&mutex_);
  if (!running_ || channel < 0 || channel >= static_cast<int>(counts_.size()) ||
      stuck_[channel]) {
    return;
  }
  counts_[channel] += pulses;
}

void FakePulseCounter::SetStuck(int channel, bool stuck) {
  absl::MutexLock lock(&mutex_);
  if (channel >= 0 && channel < static_cast<int>(stuck_.size())) {
    stuck_[channel] = stuck;
  }
}

void FakePulseCounter::InjectStartError(absl::Status status) {
  absl::MutexLock lock(&mutex_);
  start_error_ = std::move(status);
}

void FakePulseCounter::InjectReadError(absl::Status status) {
  absl::MutexLock lock(&mutex_);
  read_error_ = std::move(status);
}

int FakePulseCounter::start_calls() const {
  absl::MutexLock lock(&mutex_);
  return start_calls_;
}

int FakePulseCounter::stop_calls() const {
  absl::MutexLock lock(&mutex_);
  return stop_calls_;
}

std::vector<PulseChannelConfig> FakePulseCounter::channels() const {
  absl::MutexLock lock(&mutex_);
  return channels_;
}

absl::Status FakePulseCounter::DoStart(
    absl::Span<const PulseChannelConfig> channels) {
  absl::MutexLock lock(&mutex_);
  ++start_calls_;
  if (!start_error_.ok()) return std::exchange(start_error_, absl::OkStatus());
  channels_.assign(channels.begin(), channels.end());
  counts_.assign(channels.size(), 0);
  stuck_.assign(channels.size(), false);
  running_ = true;
  return absl::OkStatus();
}

absl::Status FakePulseCounter::DoStop() {
  absl::MutexLock lock(&mutex_);
  ++stop_calls_;
  running_ = false;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> FakePulseCounter::DoRawCount(int channel) const {
  absl::MutexLock lock(&mutex_);
  if (!read_error_.ok()) return std::exchange(read_error_, absl::OkStatus());
  return counts_.at(channel);
}

}  // namespace ews::hal
