// The device's time: taken from the battery-backed RTC at start
// (hal::TimeKeeper), kept by the system's clocks afterwards. Setting the time
// (NTP, a user) moves this process's wall clock and the RTC, never the host's
// system clock, so the demo and the tests run it safely.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "apps/server/board.h"
#include "sdk/base/clock.h"
#include "sdk/hal/rtc/real_time_clock.h"
#include "sdk/hal/rtc/time_keeper.h"

namespace ews::server {

class DeviceClock final : public Clock, public hal::WallClockSetter {
 public:
  // `system` (not owned) supplies monotonic time and the host's wall time.
  explicit DeviceClock(Clock& system) : system_(system) {}

  absl::Time WallNow() const override;
  absl::Duration MonotonicNow() const override {
    return system_.MonotonicNow();
  }
  void SleepFor(absl::Duration duration) override {
    system_.SleepFor(duration);
  }

 private:
  absl::Status DoSetWallTime(absl::Time time) override;

  Clock& system_;
  std::atomic<int64_t> offset_ns_{0};
};

// Owns the RTC and the TimeKeeper that sets `clock` from it.
class DeviceTime {
 public:
  // Takes the time from `rtc` (Board::OpenRtc()). Never fails: a missing or
  // invalid RTC is logged and reported by time_valid() ("time invalid until
  // set") and problem().
  DeviceTime(DeviceClock& clock, BoardRtc rtc);

  // Whether the time comes from an RTC that kept it (the board's, or the
  // simulated one the demo asked for). False without an RTC: the host's clock
  // is then used but nothing vouches for it. This is what health calls
  // "time_trustworthy".
  bool time_valid() const {
    return keeper_ != nullptr && keeper_->time_valid();
  }
  // Why the time is not valid (OK when it is): the RTC that cannot be opened,
  // or its lost time.
  const absl::Status& problem() const { return problem_; }
  // Sets the time (NTP, a user); null when there is no RTC at all.
  hal::TimeKeeper* keeper() const { return keeper_.get(); }
  // "board", "simulated" or "unavailable".
  const std::string& rtc_kind() const { return rtc_kind_; }

 private:
  std::unique_ptr<hal::RealTimeClock> rtc_;
  std::unique_ptr<hal::TimeKeeper> keeper_;
  std::string rtc_kind_;
  absl::Status problem_;
};

}  // namespace ews::server
