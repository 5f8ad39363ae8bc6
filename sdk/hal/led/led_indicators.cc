#include "sdk/hal/led/led_indicators.h"

#include "sdk/base/log.h"

namespace ews::hal {
namespace {

constexpr Led kBlinking[] = {Led::kRx, Led::kTx, Led::kAct};

}  // namespace

LedIndicators::LedIndicators(Leds* leds, Clock* clock, Options options)
    : leds_(leds), clock_(clock), options_(options) {}

bool LedIndicators::Switch(Led led, bool on, absl::Status& first_error) {
  absl::Status status = leds_->Set(led, on);
  if (status.ok()) return true;
  if (errors_++ == 0) {
    EWS_LOG(WARNING) << "LED " << LedName(led) << ": " << status;
  }
  if (first_error.ok()) first_error = status;
  return false;
}

absl::Status LedIndicators::Start() {
  absl::MutexLock lock(&mutex_);
  absl::Status first_error;
  for (Led led : kAllLeds) Switch(led, led == Led::kPower, first_error);
  blinks_ = {};
  link_shown_ = false;
  running_ = true;
  return first_error;
}

absl::Status LedIndicators::Stop() {
  absl::MutexLock lock(&mutex_);
  absl::Status first_error;
  for (Led led : kAllLeds) Switch(led, false, first_error);
  running_ = false;
  return first_error;
}

void LedIndicators::Request(Led led) {
  absl::MutexLock lock(&mutex_);
  blinks_[static_cast<int>(led)].pending = true;
}

void LedIndicators::OnRx() { Request(Led::kRx); }
void LedIndicators::OnTx() { Request(Led::kTx); }
void LedIndicators::OnNetworkTraffic() { Request(Led::kAct); }

void LedIndicators::SetLinkUp(bool up) {
  absl::MutexLock lock(&mutex_);
  link_wanted_ = up;
}

absl::Status LedIndicators::Tick() {
  absl::MutexLock lock(&mutex_);
  if (!running_) return absl::OkStatus();
  const absl::Duration now = clock_->MonotonicNow();
  absl::Status first_error;
  for (Led led : kBlinking) {
    Blink& blink = blinks_[static_cast<int>(led)];
    if (blink.phase == Phase::kOn && now >= blink.until) {
      Switch(led, false, first_error);
      blink.phase = Phase::kOff;
      blink.until = now + options_.blink_off;
    }
    if (blink.phase == Phase::kOff && now >= blink.until) {
      blink.phase = Phase::kIdle;
    }
    if (blink.phase == Phase::kIdle && blink.pending) {
      blink.pending = false;
      Switch(led, true, first_error);
      blink.phase = Phase::kOn;
      blink.until = now + options_.blink_on;
    }
  }
  if (link_wanted_ != link_shown_) {
    if (Switch(Led::kLink, link_wanted_, first_error)) {
      link_shown_ = link_wanted_;
    }
  }
  return first_error;
}

uint64_t LedIndicators::errors() const {
  absl::MutexLock lock(&mutex_);
  return errors_;
}

}  // namespace ews::hal
