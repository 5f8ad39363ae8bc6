// SimulatedRtc: a battery-backed RTC for the lab, the demo and tests. Its
// state lives in a small file, so it keeps running while the "device" (the
// process) is off: a new SimulatedRtc powered on later reads the time that
// passed in the world, plus the crystal's drift.
//
//   world time   `world->WallNow()`: the physical time (a SimulatedClock in
//                tests, the host's clock in the lab)
//   RTC time     anchor + (world - world_at_anchor) * (1 + drift_ppm / 1e6)
//
// Faults: SetBatteryDead(true) — the RTC keeps time while the device is
// powered, but at the next PowerOn() the time is invalid (Read() returns
// FailedPrecondition) until Set(). SetBatteryLow(true) — Battery() reports
// kLow, time stays good.
#pragma once

#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sdk/base/clock.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/hal/rtc/real_time_clock.h"
#include "sdk/hal/rtc/time_keeper.h"

namespace ews::hal {

class SimulatedRtc final : public RealTimeClock {
 public:
  struct Options {
    // Where the RTC keeps its state while the device is off; empty: in
    // memory only (then every PowerOn() starts with an unset RTC).
    std::string state_path;
    // Crystal error: +20 gains 20 us per second (1.7 s a day).
    double drift_ppm = 0;
  };

  // The device powers up. `world` is not owned. A missing state file is a
  // new RTC (time invalid until set); so is a corrupt one (logged), like a
  // real RTC that lost its time. InvalidArgument: |drift_ppm| > 1000.
  // Internal / PermissionDenied: the state file cannot be read or written.
  static absl::StatusOr<std::unique_ptr<SimulatedRtc>> PowerOn(
      Clock* world, const Options& options);

  absl::Status SetBatteryDead(bool dead);
  absl::Status SetBatteryLow(bool low);

 private:
  struct State {
    bool valid = false;
    bool battery_dead = false;
    bool battery_low = false;
    double drift_ppm = 0;
    absl::Time anchor_rtc;
    absl::Time anchor_world;
  };

  SimulatedRtc(Clock* world, Options options, State state)
      : world_(world), options_(std::move(options)), state_(state) {}

  absl::StatusOr<absl::Time> DoRead() override;
  absl::Status DoSet(absl::Time time) override;
  absl::StatusOr<RtcBattery> DoBattery() override;

  absl::Time NowLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Status SaveLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  Clock* const world_;
  const Options options_;
  mutable absl::Mutex mutex_;
  State state_ ABSL_GUARDED_BY(mutex_);
};

// WallClockSetter for tests and the demo: sets a SimulatedClock's wall time.
class SimulatedWallClockSetter final : public WallClockSetter {
 public:
  explicit SimulatedWallClockSetter(SimulatedClock* clock) : clock_(clock) {}

 private:
  absl::Status DoSetWallTime(absl::Time time) override {
    clock_->SetWallTime(time);
    return absl::OkStatus();
  }
  SimulatedClock* const clock_;
};

}  // namespace ews::hal
