// ews::hal::RealTimeClock: the battery-backed hardware clock that keeps time
// while the box is off.
//
// Backends:
//   LinuxRtc         (linux_rtc.h)      /dev/rtcN ioctls
//   SimulatedRtc     (simulated_rtc.h)  keeps running while the "device" is
//                                       off, drift, dead-battery fault
//   FakeRtc          (fake_rtc.h)       testonly
//
// TimeKeeper (time_keeper.h) is the policy on top: system time from the RTC
// at start, the RTC updated when NTP or a user sets the time.
//
// RTCs hold whole seconds in UTC; the supported range is 2000-01-01T00:00:00Z
// up to (excluding) 2100-01-01T00:00:00Z.
#pragma once

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace ews::hal {

enum class RtcBattery {
  kOk,
  kLow,      // replace soon; the time is still good
  kUnknown,  // the hardware cannot tell
};

class RealTimeClock {
 public:
  virtual ~RealTimeClock() = default;
  RealTimeClock(const RealTimeClock&) = delete;
  RealTimeClock& operator=(const RealTimeClock&) = delete;

  // The RTC's time (whole seconds, UTC).
  // FailedPrecondition: the time is invalid (the battery died while the box
  // was off, or the RTC was never set) — it stays invalid until Set(); the
  // application must report it and not use the value.
  // DataLoss: the RTC returned an impossible date. Unavailable / Internal:
  // device I/O.
  absl::StatusOr<absl::Time> Read();

  // Sets the RTC to `time` (truncated to whole seconds); makes it valid.
  // InvalidArgument: outside the supported range. Unavailable / Internal.
  absl::Status Set(absl::Time time);

  // The backup battery, where the hardware reports it.
  absl::StatusOr<RtcBattery> Battery();

  static absl::Time MinTime();  // 2000-01-01T00:00:00Z
  static absl::Time MaxTime();  // 2100-01-01T00:00:00Z (excluded)

 protected:
  RealTimeClock() = default;

 private:
  virtual absl::StatusOr<absl::Time> DoRead() = 0;
  virtual absl::Status DoSet(absl::Time time) = 0;
  virtual absl::StatusOr<RtcBattery> DoBattery() = 0;
};

}  // namespace ews::hal
