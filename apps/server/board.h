// The board: the one place that chooses the hardware backends of the HAL from
// the flags and the configuration and opens them. The components take what it
// opens (the field bus a SerialPort, the front panel its Leds, the device's
// time a RealTimeClock, the pulse inputs a PulseCounter), so that each runs in
// a unit test on a fake (hal::FakeSerialPort, FakeLeds, FakeRtc,
// FakePulseCounter).
//
//   LinuxBoard board(options.board);
//   auto bus = FieldBus::Start(config, overrides, clock, registry, history,
//                              board);
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sdk/base/clock.h"
#include "sdk/config/config.pb.h"
#include "sdk/hal/led/leds.h"
#include "sdk/hal/led/simulated_leds.h"
#include "sdk/hal/pulse/pulse_counter.h"
#include "sdk/hal/rtc/real_time_clock.h"
#include "sdk/hal/serial/serial_port.h"

namespace ews::server {

struct RtcOptions {
  // The board's RTC. When it cannot be opened the device runs on the host's
  // system clock and reports the RTC as unavailable (the time is then not
  // trustworthy): never a silent stand-in.
  std::string device = "/dev/rtc0";
  // Demo and lab only: a simulated battery-backed RTC instead of `device`,
  // keeping its state in `simulated_state_path` (it runs on while the process
  // is stopped, as a real one would).
  bool simulate = false;
  std::string simulated_state_path;
  // Lab fault: the simulated RTC's battery is dead (its time is lost).
  bool simulated_battery_dead = false;
};

// What LinuxBoard opens, from the command line (apps/server/server_main.cc).
struct BoardOptions {
  // Where the device's time comes from.
  RtcOptions rtc;
  // The board's GPIO chip; pulse input N is its line N - 1.
  std::string pulse_gpiochip = "/dev/gpiochip0";
  // Demo and lab: meters simulated at a plausible rate per kind on the pulse
  // inputs instead of the GPIO chip (a first start also configures a few demo
  // pulse counters: water, gas, an energy sub-meter).
  bool simulate_pulse_inputs = false;
};

// The front panel's LEDs.
struct BoardLeds {
  std::unique_ptr<hal::Leds> leds;
  // `leds` when they are simulated (shown in the web UI), else null.
  hal::SimulatedLeds* simulated = nullptr;
};

// The device's RTC.
struct BoardRtc {
  std::unique_ptr<hal::RealTimeClock> rtc;  // null: no RTC (see problem)
  std::string kind;      // "board", "simulated", "unavailable"
  absl::Status problem;  // why there is no RTC
};

// The pulse inputs' counter.
struct BoardPulseCounter {
  // Not started yet; channel i counts the configuration's i-th pulse counter.
  // Null: no counter (see problem).
  std::unique_ptr<hal::PulseCounter> counter;
  std::string backend;   // "gpio", "simulated", ...
  absl::Status problem;  // why there is no counter
};

class Board {
 public:
  virtual ~Board() = default;

  // The RS485 line's port on `device` (the configuration's, or the run's
  // override) with `settings`. Errors: the port cannot be opened.
  virtual absl::StatusOr<std::unique_ptr<hal::SerialPort>> OpenSerialPort(
      const std::string& device, const hal::SerialSettings& settings) = 0;

  // The front panel's LEDs; never fails (simulated LEDs stand in).
  virtual BoardLeds OpenLeds(Clock& clock) = 0;

  // The RTC; never fails (a missing one is reported in BoardRtc::problem).
  // `system` supplies the host's time to a simulated RTC.
  virtual BoardRtc OpenRtc(Clock& system) = 0;

  // The counter of `config`'s pulse counters (at least one). A missing input
  // device is reported in BoardPulseCounter::problem. Errors: InvalidArgument
  // (a counter that cannot be set up).
  virtual absl::StatusOr<BoardPulseCounter> OpenPulseCounter(
      const config::v1::DeviceConfig& config, Clock& clock) = 0;
};

// The product's board (and the demo's and lab's, with their simulations):
// termios serial ports, sysfs LEDs or simulated ones, the Linux RTC or a
// simulated one, libgpiod pulse inputs or simulated meters.
class LinuxBoard final : public Board {
 public:
  explicit LinuxBoard(const BoardOptions& options) : options_(options) {}

  absl::StatusOr<std::unique_ptr<hal::SerialPort>> OpenSerialPort(
      const std::string& device, const hal::SerialSettings& settings) override;
  BoardLeds OpenLeds(Clock& clock) override;
  BoardRtc OpenRtc(Clock& system) override;
  absl::StatusOr<BoardPulseCounter> OpenPulseCounter(
      const config::v1::DeviceConfig& config, Clock& clock) override;

 private:
  const BoardOptions options_;
};

// The input channel of a configured pulse counter: input N is line N - 1,
// rising edges, debounced by its minimum pulse width (10 ms by default).
hal::PulseChannelConfig PulseChannelOf(const config::v1::PulseCounter& counter);

}  // namespace ews::server
