// A virtual RS485 line for tests: lab/bus with our RTU master on endpoint 0
// (TermiosSerialPort + RtuTransport + LineScheduler) and simulated devices
// (RtuSlave + RegisterBanks) on endpoint 1.
#pragma once

#include <map>
#include <memory>

#include "absl/status/statusor.h"
#include "lab/bus/virtual_bus.h"
#include "sdk/hal/serial/termios_serial_port.h"
#include "sdk/modbus/line_scheduler.h"
#include "sdk/modbus/register_bank.h"
#include "sdk/modbus/rtu_slave.h"
#include "sdk/modbus/rtu_transport.h"

namespace ews::modbus::testing {

struct BusLineOptions {
  hal::SerialSettings settings;
  absl::Duration reply_delay = absl::Milliseconds(5);
  LineOptions line;
};

class BusLine {
 public:
  static absl::StatusOr<std::unique_ptr<BusLine>> Start(
      const BusLineOptions& options = {});
  ~BusLine();

  // A device on the bus, answering for `unit` (open register map).
  RegisterBank& AddDevice(uint8_t unit);

  lab::VirtualBus& bus() { return *bus_; }
  hal::TermiosSerialPort& master_port() { return *master_port_; }
  LineScheduler& line() { return *line_; }
  RtuSlave& slave() { return *slave_; }

 private:
  BusLine() = default;
  std::unique_ptr<lab::VirtualBus> bus_;
  std::unique_ptr<hal::TermiosSerialPort> master_port_;
  std::unique_ptr<hal::TermiosSerialPort> slave_port_;
  std::unique_ptr<LineScheduler> line_;
  std::unique_ptr<RtuSlave> slave_;
  std::map<uint8_t, std::unique_ptr<RegisterBank>> banks_;
};

}  // namespace ews::modbus::testing
