#include "sdk/hal/rtc/fake_rtc.h"

#include <utility>

namespace ews::hal {

FakeRtc::FakeRtc(Clock* clock, absl::Time initial)
    : clock_(clock),
      valid_(true),
      anchor_(initial),
      anchor_monotonic_(clock->MonotonicNow()) {}

FakeRtc::FakeRtc(Clock* clock)
    : clock_(clock),
      valid_(false),
      anchor_(absl::UnixEpoch()),
      anchor_monotonic_(clock->MonotonicNow()) {}

void FakeRtc::InjectDeadBattery() {
  absl::MutexLock lock(&mutex_);
  valid_ = false;
  battery_ = RtcBattery::kLow;
}

void FakeRtc::SetBattery(RtcBattery battery) {
  absl::MutexLock lock(&mutex_);
  battery_ = battery;
}

void FakeRtc::InjectReadError(absl::Status status) {
  absl::MutexLock lock(&mutex_);
  read_error_ = std::move(status);
}

void FakeRtc::InjectSetError(absl::Status status) {
  absl::MutexLock lock(&mutex_);
  set_error_ = std::move(status);
}

std::vector<absl::Time> FakeRtc::sets() const {
  absl::MutexLock lock(&mutex_);
  return sets_;
}

absl::StatusOr<absl::Time> FakeRtc::DoRead() {
  absl::MutexLock lock(&mutex_);
  if (!read_error_.ok()) return std::exchange(read_error_, absl::OkStatus());
  if (!valid_) {
    return absl::FailedPreconditionError(
        "RTC time invalid (battery dead or never set): set the time");
  }
  const absl::Time now = anchor_ + (clock_->MonotonicNow() - anchor_monotonic_);
  return absl::FromUnixSeconds(absl::ToUnixSeconds(now));
}

absl::Status FakeRtc::DoSet(absl::Time time) {
  absl::MutexLock lock(&mutex_);
  if (!set_error_.ok()) return std::exchange(set_error_, absl::OkStatus());
  valid_ = true;
  anchor_ = time;
  anchor_monotonic_ = clock_->MonotonicNow();
  sets_.push_back(time);
  return absl::OkStatus();
}

absl::StatusOr<RtcBattery> FakeRtc::DoBattery() {
  absl::MutexLock lock(&mutex_);
  return battery_;
}

}  // namespace ews::hal
