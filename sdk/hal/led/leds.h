// ews::hal::Leds: the five indicators of the reference product.
//
//   Power  steady on while the device runs
//   Rx     blinks on RS485 receive traffic
//   Tx     blinks on RS485 transmit traffic
//   Link   on while Ethernet is up
//   Act    blinks on Ethernet traffic
//
// Leds switches single LEDs; LedIndicators (led_indicators.h) is the
// behaviour above (steady, blink on traffic).
//
// Backends:
//   SysfsLeds      (sysfs_leds.h)      Linux LED class, /sys/class/leds
//   SimulatedLeds  (simulated_leds.h)  state for the web UI and tests
//   FakeLeds       (fake_leds.h)       testonly: records, injects errors
#pragma once

#include <array>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace ews::hal {

enum class Led { kPower = 0, kRx, kTx, kLink, kAct };
constexpr int kLedCount = 5;
constexpr std::array<Led, kLedCount> kAllLeds = {
    Led::kPower, Led::kRx, Led::kTx, Led::kLink, Led::kAct};

// "power", "rx", "tx", "link", "act".
absl::string_view LedName(Led led);

class Leds {
 public:
  virtual ~Leds() = default;
  Leds(const Leds&) = delete;
  Leds& operator=(const Leds&) = delete;

  // Switches `led`. InvalidArgument: not one of the five. Unavailable /
  // Internal / PermissionDenied: the backend could not.
  absl::Status Set(Led led, bool on);

  // What the LED shows now (as last read from the hardware where possible).
  absl::StatusOr<bool> Get(Led led);

 protected:
  Leds() = default;

 private:
  virtual absl::Status DoSet(Led led, bool on) = 0;
  virtual absl::StatusOr<bool> DoGet(Led led) = 0;
};

}  // namespace ews::hal
