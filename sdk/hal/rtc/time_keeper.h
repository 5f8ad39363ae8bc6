// TimeKeeper: the device's time policy on top of the RTC.
//
//   at start     system wall time := RTC time (if the RTC is valid)
//   NTP / user   system wall time := t, and the RTC := t
//
// If the RTC has no valid time (dead battery, never set), Start() returns
// FailedPrecondition and time_valid() stays false until SetTime(): the
// application must show "time invalid until set" and not timestamp data as
// if it were right.
#pragma once

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/hal/rtc/real_time_clock.h"

namespace ews::hal {

// Sets the process's (or system's) wall clock.
class WallClockSetter {
 public:
  virtual ~WallClockSetter() = default;
  absl::Status SetWallTime(absl::Time time) { return DoSetWallTime(time); }

 private:
  virtual absl::Status DoSetWallTime(absl::Time time) = 0;
};

class TimeKeeper {
 public:
  enum class Source { kRtc, kNtp, kUser };

  // Not owned; must outlive the TimeKeeper.
  TimeKeeper(RealTimeClock* rtc, WallClockSetter* wall)
      : rtc_(rtc), wall_(wall) {}

  // Takes the system time from the RTC. FailedPrecondition: the RTC has no
  // valid time (time_valid() is false; report it). Other codes: the RTC or
  // the wall clock failed.
  absl::Status Start();

  // NTP or a user set the time: the wall clock and the RTC follow.
  // InvalidArgument: outside the RTC's range (nothing changes). If the RTC
  // write fails the wall clock is still set and the error is returned.
  absl::Status SetTime(absl::Time time, Source source);

  bool time_valid() const;
  Source last_source() const;

 private:
  RealTimeClock* const rtc_;
  WallClockSetter* const wall_;
  mutable absl::Mutex mutex_;
  bool valid_ ABSL_GUARDED_BY(mutex_) = false;
  Source last_source_ ABSL_GUARDED_BY(mutex_) = Source::kRtc;
};

}  // namespace ews::hal
