// NetActivityMonitor: drives the Link and Act indicators from the kernel's
// view of an Ethernet interface (sysfs /sys/class/net/<if>/carrier and
// statistics/{rx,tx}_packets). Poll() it with LedIndicators::Tick().
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "sdk/hal/led/led_indicators.h"

namespace ews::hal {

class NetActivityMonitor {
 public:
  struct Options {
    std::string root = "/sys/class/net";  // a fake tree in tests
    std::string interface = "eth0";
  };

  // `indicators` is not owned.
  NetActivityMonitor(LedIndicators* indicators, Options options)
      : indicators_(indicators), options_(std::move(options)) {}

  // Link = carrier is "1" (an interface that is down has no readable
  // carrier: link down). Act blinks when the packet counters moved since the
  // last poll. NotFound: no such interface (Link is switched off).
  absl::Status Poll();

 private:
  LedIndicators* const indicators_;
  const Options options_;
  bool have_packets_ = false;
  uint64_t last_packets_ = 0;
};

}  // namespace ews::hal
