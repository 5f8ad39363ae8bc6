#include "sdk/hal/rtc/simulated_rtc.h"

#include <cmath>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sdk/base/log.h"
#include "sdk/hal/internal/atomic_file.h"

namespace ews::hal {
namespace {

constexpr absl::string_view kMagic = "ews-simulated-rtc 1";

}  // namespace

absl::StatusOr<std::unique_ptr<SimulatedRtc>> SimulatedRtc::PowerOn(
    Clock* world, const Options& options) {
  if (!(std::abs(options.drift_ppm) <= 1000)) {
    return absl::InvalidArgumentError("RTC drift must be within +-1000 ppm");
  }
  State state;
  absl::Status load_status = absl::OkStatus();
  if (!options.state_path.empty()) {
    absl::StatusOr<std::string> text =
        internal::ReadSmallFile(options.state_path);
    if (text.ok()) {
      // "valid battery_dead battery_low drift_ppm anchor_rtc_ns
      // anchor_world_ns"
      std::vector<absl::string_view> lines = absl::StrSplit(*text, '\n');
      std::vector<absl::string_view> f;
      if (lines.size() >= 2 && lines[0] == kMagic) {
        f = absl::StrSplit(lines[1], ' ');
      }
      int valid = 0, dead = 0, low = 0;
      int64_t rtc_ns = 0, world_ns = 0;
      if (f.size() == 6 && absl::SimpleAtoi(f[0], &valid) &&
          absl::SimpleAtoi(f[1], &dead) && absl::SimpleAtoi(f[2], &low) &&
          absl::SimpleAtod(f[3], &state.drift_ppm) &&
          absl::SimpleAtoi(f[4], &rtc_ns) &&
          absl::SimpleAtoi(f[5], &world_ns)) {
        state.valid = valid != 0;
        state.battery_dead = dead != 0;
        state.battery_low = low != 0;
        state.anchor_rtc = absl::FromUnixNanos(rtc_ns);
        state.anchor_world = absl::FromUnixNanos(world_ns);
      } else {
        state = State();
        load_status = absl::DataLossError(
            absl::StrCat("simulated RTC state ", options.state_path,
                         " is corrupt; the RTC starts without a valid time"));
      }
    } else if (!absl::IsNotFound(text.status())) {
      return text.status();
    }
  }
  std::unique_ptr<SimulatedRtc> rtc(new SimulatedRtc(world, options, state));
  {
    absl::MutexLock lock(&rtc->mutex_);
    State& s = rtc->state_;
    // The device was off: a dead battery means the time is gone.
    if (s.battery_dead && s.valid) {
      EWS_LOG(WARNING) << "simulated RTC: battery dead while off, time lost";
      s.valid = false;
    }
    // Re-anchor at power-on so a new drift applies from now.
    if (s.valid) s.anchor_rtc = rtc->NowLocked();
    s.anchor_world = world->WallNow();
    s.drift_ppm = options.drift_ppm;
    if (absl::Status save = rtc->SaveLocked(); !save.ok()) return save;
  }
  if (!load_status.ok()) EWS_LOG(ERROR) << load_status;
  return rtc;
}

absl::Time SimulatedRtc::NowLocked() const {
  const absl::Duration elapsed = world_->WallNow() - state_.anchor_world;
  return state_.anchor_rtc + elapsed * (1.0 + state_.drift_ppm * 1e-6);
}

absl::Status SimulatedRtc::SaveLocked() const {
  if (options_.state_path.empty()) return absl::OkStatus();
  return internal::WriteFileAtomically(
      options_.state_path,
      absl::StrCat(kMagic, "\n", state_.valid ? 1 : 0, " ",
                   state_.battery_dead ? 1 : 0, " ", state_.battery_low ? 1 : 0,
                   " ", state_.drift_ppm, " ",
                   absl::ToUnixNanos(state_.anchor_rtc), " ",
                   absl::ToUnixNanos(state_.anchor_world), "\n"));
}

absl::Status SimulatedRtc::SetBatteryDead(bool dead) {
  absl::MutexLock lock(&mutex_);
  state_.battery_dead = dead;
  return SaveLocked();
}

absl::Status SimulatedRtc::SetBatteryLow(bool low) {
  absl::MutexLock lock(&mutex_);
  state_.battery_low = low;
  return SaveLocked();
}

absl::StatusOr<absl::Time> SimulatedRtc::DoRead() {
  absl::MutexLock lock(&mutex_);
  if (!state_.valid) {
    return absl::FailedPreconditionError(
        "RTC time invalid (battery dead or never set): set the time");
  }
  return absl::FromUnixSeconds(absl::ToUnixSeconds(NowLocked()));
}

absl::Status SimulatedRtc::DoSet(absl::Time time) {
  absl::MutexLock lock(&mutex_);
  state_.valid = true;
  state_.anchor_rtc = time;
  state_.anchor_world = world_->WallNow();
  return SaveLocked();
}

absl::StatusOr<RtcBattery> SimulatedRtc::DoBattery() {
  absl::MutexLock lock(&mutex_);
  return state_.battery_dead || state_.battery_low ? RtcBattery::kLow
                                                   : RtcBattery::kOk;
}

}  // namespace ews::hal
