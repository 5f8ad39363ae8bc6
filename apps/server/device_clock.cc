#include "apps/server/device_clock.h"

#include <utility>

#include "sdk/base/log.h"

namespace ews::server {

absl::Time DeviceClock::WallNow() const {
  return system_.WallNow() + absl::Nanoseconds(offset_ns_.load());
}

absl::Status DeviceClock::DoSetWallTime(absl::Time time) {
  offset_ns_ = absl::ToInt64Nanoseconds(time - system_.WallNow());
  return absl::OkStatus();
}

DeviceTime::DeviceTime(DeviceClock& clock, BoardRtc rtc)
    : rtc_(std::move(rtc.rtc)),
      rtc_kind_(std::move(rtc.kind)),
      problem_(std::move(rtc.problem)) {
  if (rtc_ == nullptr) return;  // logged by the board
  keeper_ = std::make_unique<hal::TimeKeeper>(rtc_.get(), &clock);
  problem_ = keeper_->Start();
  if (problem_.ok()) {
    EWS_LOG(INFO) << "time from the " << rtc_kind_
                  << " RTC: " << absl::FormatTime(clock.WallNow());
  } else {
    EWS_LOG(ERROR) << "time invalid until set (" << rtc_kind_
                   << " RTC): " << problem_;
  }
}

}  // namespace ews::server
