#include "apps/server/device_clock.h"

#include <unistd.h>

#include "sdk/base/log.h"
#include "sdk/hal/rtc/linux_rtc.h"
#include "sdk/hal/rtc/simulated_rtc.h"

namespace ews::server {

absl::Time DeviceClock::WallNow() const {
  return system_.WallNow() + absl::Nanoseconds(offset_ns_.load());
}

absl::Status DeviceClock::DoSetWallTime(absl::Time time) {
  offset_ns_ = absl::ToInt64Nanoseconds(time - system_.WallNow());
  return absl::OkStatus();
}

namespace {

// A simulated RTC that has never run is "set at the factory" from the host's
// clock; after that it keeps its own time, drift and battery across restarts.
absl::StatusOr<std::unique_ptr<hal::SimulatedRtc>> PowerOnSimulatedRtc(
    Clock& system, const RtcOptions& options) {
  const hal::SimulatedRtc::Options rtc_options{options.simulated_state_path,
                                               /*drift_ppm=*/0};
  const bool first_power_on =
      options.simulated_state_path.empty() ||
      access(options.simulated_state_path.c_str(), F_OK) != 0;
  absl::StatusOr<std::unique_ptr<hal::SimulatedRtc>> simulated =
      hal::SimulatedRtc::PowerOn(&system, rtc_options);
  if (simulated.ok() && first_power_on) {
    (void)(*simulated)->Set(system.WallNow());
  }
  if (simulated.ok() && options.simulated_battery_dead) {
    // The fault as it happens in the field: the battery died while the box
    // was off.
    (void)(*simulated)->SetBatteryDead(true);
    simulated->reset();
    simulated = hal::SimulatedRtc::PowerOn(&system, rtc_options);
  }
  return simulated;
}

}  // namespace

DeviceTime::DeviceTime(DeviceClock& clock, Clock& system,
                       const RtcOptions& options) {
  if (options.simulate) {
    absl::StatusOr<std::unique_ptr<hal::SimulatedRtc>> simulated =
        PowerOnSimulatedRtc(system, options);
    if (!simulated.ok()) {
      rtc_kind_ = "unavailable";
      problem_ = simulated.status();
      EWS_LOG(ERROR) << "no simulated RTC: " << problem_;
      return;
    }
    rtc_ = *std::move(simulated);
    rtc_kind_ = "simulated";
  } else {
    absl::StatusOr<std::unique_ptr<hal::LinuxRtc>> board =
        hal::LinuxRtc::Open(options.device);
    if (!board.ok()) {
      // The box runs on the host's clock; health says it is not trustworthy.
      rtc_kind_ = "unavailable";
      problem_ = board.status();
      EWS_LOG(ERROR) << "RTC unavailable, running on the system clock (time "
                        "not trustworthy): "
                     << problem_;
      return;
    }
    rtc_ = *std::move(board);
    rtc_kind_ = "board";
  }
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
