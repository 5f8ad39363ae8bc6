// SysfsLeds: the Linux backend of ews::hal::Leds on the LED class
// (/sys/class/leds/<name>/{brightness,max_brightness,trigger}).
//
// Open() checks every LED directory, reads max_brightness, and sets the
// trigger to "none" so the kernel does not drive the LED behind our back.
// On = max_brightness, off = 0. The root is configurable so tests run on a
// fake tree of files.
#pragma once

#include <array>
#include <memory>
#include <string>

#include "sdk/hal/led/leds.h"

namespace ews::hal {

class SysfsLeds final : public Leds {
 public:
  struct Options {
    std::string root = "/sys/class/leds";
    // Directory name of each LED under root, in kAllLeds order; the board's
    // device tree decides them.
    std::array<std::string, kLedCount> names = {
        "ews:green:power", "ews:yellow:rx", "ews:yellow:tx", "ews:green:link",
        "ews:yellow:act"};
  };

  // NotFound: a LED directory or its brightness file is missing.
  // PermissionDenied: not writable. DataLoss: unreadable max_brightness.
  static absl::StatusOr<std::unique_ptr<SysfsLeds>> Open(
      const Options& options);

 private:
  explicit SysfsLeds(const Options& options) : options_(options) {}
  absl::Status DoSet(Led led, bool on) override;
  absl::StatusOr<bool> DoGet(Led led) override;
  std::string Path(Led led, absl::string_view file) const;

  const Options options_;
  std::array<int, kLedCount> max_brightness_ = {};
};

}  // namespace ews::hal
