// The five indicators of the front panel (Power, RX, TX, Link, Act), driven by
// the RS485 line's traffic and the Ethernet interface, on the LEDs the board
// opened (Board::OpenLeds(): sysfs LED class when it has them, otherwise
// simulated LEDs that the web UI shows).
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <thread>

#include "apps/server/board.h"
#include "sdk/base/clock.h"
#include "sdk/hal/led/led_indicators.h"
#include "sdk/hal/led/leds.h"
#include "sdk/hal/led/net_activity_monitor.h"
#include "sdk/hal/led/simulated_leds.h"
#include "sdk/hal/serial/serial_port.h"

namespace ews::server {

class FrontPanel {
 public:
  // `net_interface`: the Ethernet interface behind Link/Act ("eth0"; the demo
  // uses "lo"). `leds`: from Board::OpenLeds().
  FrontPanel(Clock& clock, const std::string& net_interface, BoardLeds leds);
  ~FrontPanel();

  // For SerialPort::SetTrafficListener: RX/TX blink with the line's bytes.
  hal::SerialPort::TrafficListener TrafficListener();

  // {"hardware":"sysfs"|"simulated","leds":[{"name":"power","on":true,"blinks":1},...]}
  // (`blinks` counts turn-ons, simulated LEDs only, so a page polling every
  // second still sees a 50 ms blink).
  std::string Json();

 private:
  void Run();

  std::unique_ptr<hal::Leds> leds_;
  hal::SimulatedLeds* const simulated_;  // leds_ when simulated, else null
  hal::LedIndicators indicators_;
  hal::NetActivityMonitor net_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ews::server
