#include "sdk/hal/pulse/simulated_pulse_counter.h"

#include "absl/strings/str_cat.h"

namespace ews::hal {
namespace {

absl::Status ValidateMeter(const SimulatedPulseCounter::Meter& meter) {
  if (meter.period <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("meter period must be > 0");
  }
  if (meter.pulse_width <= absl::ZeroDuration() ||
      (meter.period != absl::InfiniteDuration() &&
       meter.pulse_width >= meter.period)) {
    return absl::InvalidArgumentError(
        "meter pulse width must be > 0 and shorter than the period");
  }
  if (meter.bounces < 0 || meter.bounce_spacing <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("bad meter bounce");
  }
  const absl::Duration bounce_time = meter.bounce_spacing * 2 * meter.bounces;
  if (bounce_time >= meter.pulse_width ||
      (meter.period != absl::InfiniteDuration() &&
       bounce_time >= meter.period - meter.pulse_width)) {
    return absl::InvalidArgumentError(
        "meter bounce must end within the pulse and the pause");
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status SimulatedPulseCounter::SetMeter(int line, const Meter& meter) {
  if (absl::Status s = ValidateMeter(meter); !s.ok()) return s;
  if (line < 0) return absl::InvalidArgumentError("line must be >= 0");
  absl::MutexLock lock(&mutex_);
  meters_[line] = meter;
  if (running_) {
    const absl::Duration now = clock_->MonotonicNow();
    for (Channel& channel : channels_) {
      if (channel.config.line != line) continue;
      CatchUp(channel, now);
      channel.meter = meter;
      channel.edges.clear();
      channel.next_pulse = now + meter.period;
    }
  }
  return absl::OkStatus();
}

uint64_t SimulatedPulseCounter::rejected_edges(int channel) const {
  absl::MutexLock lock(&mutex_);
  if (channel < 0 || channel >= static_cast<int>(channels_.size())) return 0;
  return channels_[channel].debouncer.rejected();
}

absl::Status SimulatedPulseCounter::DoStart(
    absl::Span<const PulseChannelConfig> channels) {
  absl::MutexLock lock(&mutex_);
  const absl::Duration now = clock_->MonotonicNow();
  channels_.clear();
  for (const PulseChannelConfig& config : channels) {
    Meter meter;
    if (auto it = meters_.find(config.line); it != meters_.end()) {
      meter = it->second;
    }
    channels_.push_back(
        Channel{config, PulseDebouncer(config), meter, now + meter.period});
  }
  running_ = true;
  return absl::OkStatus();
}

absl::Status SimulatedPulseCounter::DoStop() {
  absl::MutexLock lock(&mutex_);
  stopped_at_ = clock_->MonotonicNow();
  for (Channel& channel : channels_) CatchUp(channel, stopped_at_);
  running_ = false;
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> SimulatedPulseCounter::DoRawCount(int index) const {
  absl::MutexLock lock(&mutex_);
  Channel& channel = channels_.at(index);
  if (running_) CatchUp(channel, clock_->MonotonicNow());
  return channel.count;
}

void SimulatedPulseCounter::CatchUp(Channel& channel,
                                    absl::Duration now) const {
  const Meter& meter = channel.meter;
  while (true) {
    // Generate the next pulse's edges once it has begun.
    if (channel.edges.empty() && meter.period != absl::InfiniteDuration() &&
        channel.next_pulse <= now) {
      const absl::Duration t = channel.next_pulse;
      channel.next_pulse += meter.period;
      if (!meter.stuck) {
        auto add_with_bounce = [&](absl::Duration at, bool rising) {
          channel.edges.push_back({at, rising});
          for (int b = 1; b <= meter.bounces; ++b) {
            const absl::Duration when = at + meter.bounce_spacing * (2 * b - 1);
            channel.edges.push_back({when, !rising});
            channel.edges.push_back({when + meter.bounce_spacing, rising});
          }
        };
        add_with_bounce(t, /*rising=*/false);
        add_with_bounce(t + meter.pulse_width, /*rising=*/true);
      }
    }
    if (channel.edges.empty() || channel.edges.front().at > now) return;
    const Edge edge = channel.edges.front();
    channel.edges.pop_front();
    if (channel.debouncer.OnEdge(edge.at, edge.rising)) ++channel.count;
  }
}

}  // namespace ews::hal
