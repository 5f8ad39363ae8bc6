#include "sdk/hal/pulse/pulse_counter.h"

#include <set>

#include "absl/strings/str_cat.h"

namespace ews::hal {

absl::Status ValidatePulseChannels(
    absl::Span<const PulseChannelConfig> channels) {
  std::set<int> lines;
  for (size_t i = 0; i < channels.size(); ++i) {
    const PulseChannelConfig& c = channels[i];
    if (c.line < 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("pulse channel ", i, ": line ", c.line, " < 0"));
    }
    if (c.debounce < absl::ZeroDuration() || c.debounce > absl::Seconds(1)) {
      return absl::InvalidArgumentError(
          absl::StrCat("pulse channel ", i, ": debounce ",
                       absl::FormatDuration(c.debounce), " not in 0..1s"));
    }
    if (c.edge != PulseEdge::kRising && c.edge != PulseEdge::kFalling &&
        c.edge != PulseEdge::kBoth) {
      return absl::InvalidArgumentError(
          absl::StrCat("pulse channel ", i, ": unknown edge"));
    }
    if (!lines.insert(c.line).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("pulse channel ", i, ": line ", c.line, " used twice"));
    }
  }
  return absl::OkStatus();
}

bool PulseDebouncer::OnEdge(absl::Duration at, bool rising) {
  if (has_last_ && at - last_accepted_ < debounce_) {
    ++rejected_;
    return false;
  }
  has_last_ = true;
  last_accepted_ = at;
  const bool counts =
      edge_ == PulseEdge::kBoth || (edge_ == PulseEdge::kRising) == rising;
  if (counts) ++accepted_;
  return counts;
}

absl::Status PulseCounter::Start(
    absl::Span<const PulseChannelConfig> channels) {
  if (absl::Status s = ValidatePulseChannels(channels); !s.ok()) return s;
  absl::MutexLock lock(&mutex_);
  if (started_) return absl::FailedPreconditionError("already started");
  if (absl::Status s = DoStart(channels); !s.ok()) return s;
  started_ = true;
  ever_started_ = true;
  offsets_.assign(channels.size(), 0);
  return absl::OkStatus();
}

absl::Status PulseCounter::Stop() {
  absl::MutexLock lock(&mutex_);
  if (!started_) return absl::OkStatus();
  started_ = false;
  return DoStop();
}

bool PulseCounter::started() const {
  absl::MutexLock lock(&mutex_);
  return started_;
}

int PulseCounter::channel_count() const {
  absl::MutexLock lock(&mutex_);
  return static_cast<int>(offsets_.size());
}

absl::Status PulseCounter::CheckChannel(int channel) const {
  if (!ever_started_) {
    return absl::FailedPreconditionError("pulse counter never started");
  }
  if (channel < 0 || channel >= static_cast<int>(offsets_.size())) {
    return absl::InvalidArgumentError(absl::StrCat(
        "no pulse channel ", channel, " (", offsets_.size(), " configured)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<uint64_t> PulseCounter::Count(int channel) const {
  absl::MutexLock lock(&mutex_);
  if (absl::Status s = CheckChannel(channel); !s.ok()) return s;
  absl::StatusOr<uint64_t> raw = DoRawCount(channel);
  if (!raw.ok()) return raw.status();
  return offsets_[channel] + *raw;
}

absl::StatusOr<std::vector<uint64_t>> PulseCounter::Counts() const {
  std::vector<uint64_t> counts;
  for (int i = 0; i < channel_count(); ++i) {
    absl::StatusOr<uint64_t> count = Count(i);
    if (!count.ok()) return count.status();
    counts.push_back(*count);
  }
  return counts;
}

absl::Status PulseCounter::SetCount(int channel, uint64_t value) {
  absl::MutexLock lock(&mutex_);
  if (absl::Status s = CheckChannel(channel); !s.ok()) return s;
  absl::StatusOr<uint64_t> raw = DoRawCount(channel);
  if (!raw.ok()) return raw.status();
  offsets_[channel] = value - *raw;  // modulo 2^64 by design
  return absl::OkStatus();
}

}  // namespace ews::hal
