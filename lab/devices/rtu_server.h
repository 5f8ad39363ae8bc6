// ews::lab::RtuServer: serves simulated devices as Modbus RTU slaves on one
// serial line (a virtual-bus endpoint, a pty, or a real port).
//
// Several devices may share the line, as on a real bus: the server answers
// for each of their addresses and ignores the rest. Devices may even share
// an address (EMS CX3 modules forming one logical device): a request goes to
// the first of them that has the registers it asks for. Frames are found by
// length (from the function code) and CRC, sliding over anything else the
// line carries (other slaves' replies, garbage), so scheduling jitter inside
// a frame does not split it. Each device's reply delay and faults (silence,
// bad CRC, exception) apply per request.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "lab/devices/simulated_device.h"
#include "sdk/base/clock.h"
#include "sdk/hal/serial/serial_port.h"

namespace ews::lab {

// Modbus RTU CRC-16 (polynomial 0xA001, initial 0xFFFF); the low byte goes
// first on the wire.
uint16_t ModbusCrc16(const uint8_t* data, size_t size);

struct RtuServerStats {
  uint64_t frames = 0;     // good frames seen (any address)
  uint64_t replies = 0;    // replies sent
  uint64_t discarded = 0;  // bytes that belonged to no frame
};

class RtuServer {
 public:
  // Serves `devices` (not owned; must outlive the server) on `port`.
  // `wire_clock` (not owned; nullptr: SystemClock) times reply delays and
  // silences; it must run in real time. InvalidArgument: no devices.
  static absl::StatusOr<std::unique_ptr<RtuServer>> Start(
      std::unique_ptr<hal::SerialPort> port,
      std::vector<SimulatedDevice*> devices, Clock* wire_clock = nullptr);

  // Opens `path` (TermiosSerialPort) with `line` and serves.
  static absl::StatusOr<std::unique_ptr<RtuServer>> StartOnPath(
      const std::string& path, const hal::SerialSettings& line,
      std::vector<SimulatedDevice*> devices, Clock* wire_clock = nullptr);

  ~RtuServer();
  RtuServer(const RtuServer&) = delete;
  RtuServer& operator=(const RtuServer&) = delete;

  RtuServerStats stats() const;

 private:
  RtuServer(std::unique_ptr<hal::SerialPort> port,
            std::vector<SimulatedDevice*> devices, Clock* wire_clock);
  void Run();
  // Handles complete frames at the front of buffer_; with `flush` (the line
  // went silent) an incomplete frame is given up byte by byte.
  void Process(bool flush);
  void HandleFrame(const std::vector<uint8_t>& frame);

  std::unique_ptr<hal::SerialPort> port_;
  std::vector<SimulatedDevice*> devices_;
  Clock* wire_clock_;
  std::atomic<bool> stop_{false};
  std::vector<uint8_t> buffer_;  // Run() thread only
  mutable absl::Mutex mutex_;
  RtuServerStats stats_ ABSL_GUARDED_BY(mutex_);
  std::thread thread_;
};

}  // namespace ews::lab
