#include "apps/server/board.h"

#include <unistd.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/hal/led/sysfs_leds.h"
#include "sdk/hal/pulse/gpiod_pulse_counter.h"
#include "sdk/hal/pulse/simulated_pulse_counter.h"
#include "sdk/hal/rtc/linux_rtc.h"
#include "sdk/hal/rtc/simulated_rtc.h"
#include "sdk/hal/serial/termios_serial_port.h"

namespace ews::server {
namespace {

using config::v1::PulseCounter;

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

// A plausible meter for the demo: a sub-meter's 1 Wh pulse every second
// (3.6 kW), a water meter's pulse every 10 s, a gas meter's every 15 s.
hal::SimulatedPulseCounter::Meter SimulatedMeterFor(
    const PulseCounter& counter) {
  absl::Duration period;
  switch (counter.kind()) {
    case config::v1::PULSE_KIND_ENERGY:
      period = absl::Seconds(1);
      break;
    case config::v1::PULSE_KIND_WATER:
      period = absl::Seconds(10);
      break;
    case config::v1::PULSE_KIND_GAS:
      period = absl::Seconds(15);
      break;
    default:
      period = absl::Seconds(30);
  }
  hal::SimulatedPulseCounter::Meter meter;
  // Pulses long enough to pass the configured debounce, and pauses too.
  meter.pulse_width =
      std::max(absl::Milliseconds(30), PulseChannelOf(counter).debounce * 2);
  meter.period = std::max(period, meter.pulse_width * 4);
  return meter;
}

}  // namespace

hal::PulseChannelConfig PulseChannelOf(const PulseCounter& counter) {
  hal::PulseChannelConfig channel;
  channel.line = static_cast<int>(counter.input()) - 1;
  channel.edge = hal::PulseEdge::kRising;
  channel.debounce = absl::Milliseconds(
      counter.min_pulse_width_ms() == 0 ? 10 : counter.min_pulse_width_ms());
  return channel;
}

absl::StatusOr<std::unique_ptr<hal::SerialPort>> LinuxBoard::OpenSerialPort(
    const std::string& device, const hal::SerialSettings& settings) {
  EWS_ASSIGN_OR_RETURN(std::unique_ptr<hal::TermiosSerialPort> port,
                       hal::TermiosSerialPort::Open(device, settings));
  return std::unique_ptr<hal::SerialPort>(std::move(port));
}

BoardLeds LinuxBoard::OpenLeds(Clock& clock) {
  absl::StatusOr<std::unique_ptr<hal::SysfsLeds>> board =
      hal::SysfsLeds::Open(hal::SysfsLeds::Options());
  if (board.ok()) {
    EWS_LOG(INFO) << "front panel LEDs on /sys/class/leds";
    return {*std::move(board), nullptr};
  }
  EWS_LOG(INFO) << "no LED hardware (" << board.status().message()
                << "): simulated front panel, shown in the web UI";
  auto leds =
      std::make_unique<hal::SimulatedLeds>(&clock, /*history_limit=*/64);
  hal::SimulatedLeds* simulated = leds.get();
  return {std::move(leds), simulated};
}

BoardRtc LinuxBoard::OpenRtc(Clock& system) {
  BoardRtc result;
  if (options_.rtc.simulate) {
    absl::StatusOr<std::unique_ptr<hal::SimulatedRtc>> simulated =
        PowerOnSimulatedRtc(system, options_.rtc);
    if (!simulated.ok()) {
      result.kind = "unavailable";
      result.problem = simulated.status();
      EWS_LOG(ERROR) << "no simulated RTC: " << result.problem;
      return result;
    }
    result.rtc = *std::move(simulated);
    result.kind = "simulated";
    return result;
  }
  absl::StatusOr<std::unique_ptr<hal::LinuxRtc>> board =
      hal::LinuxRtc::Open(options_.rtc.device);
  if (!board.ok()) {
    // The box runs on the host's clock; health says it is not trustworthy.
    result.kind = "unavailable";
    result.problem = board.status();
    EWS_LOG(ERROR) << "RTC unavailable, running on the system clock (time "
                      "not trustworthy): "
                   << result.problem;
    return result;
  }
  result.rtc = *std::move(board);
  result.kind = "board";
  return result;
}

absl::StatusOr<BoardPulseCounter> LinuxBoard::OpenPulseCounter(
    const config::v1::DeviceConfig& config, Clock& clock) {
  BoardPulseCounter result;
  if (options_.simulate_pulse_inputs) {
    auto simulated = std::make_unique<hal::SimulatedPulseCounter>(&clock);
    for (const PulseCounter& counter : config.pulse_counters()) {
      EWS_RETURN_IF_ERROR(simulated->SetMeter(PulseChannelOf(counter).line,
                                              SimulatedMeterFor(counter)));
    }
    result.counter = std::move(simulated);
    result.backend = "simulated";
    return result;
  }
  result.backend = "gpio";
  if (access(options_.pulse_gpiochip.c_str(), F_OK) != 0) {
    // No fallback to simulated meters here: invented consumption must never
    // reach a real site's history.
    result.problem = absl::UnavailableError(absl::StrCat(
        "no GPIO chip at ", options_.pulse_gpiochip,
        " (--pulse_gpiochip names the board's, --simulate_pulse_inputs "
        "simulates the meters)"));
    return result;
  }
  hal::GpiodPulseCounter::Options gpio;
  gpio.chip_path = options_.pulse_gpiochip;
  result.counter = std::make_unique<hal::GpiodPulseCounter>(gpio);
  return result;
}

}  // namespace ews::server
