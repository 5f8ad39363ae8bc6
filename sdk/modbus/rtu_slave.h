// RtuSlave: Modbus RTU server side on an ews::hal::SerialPort, answering for
// one or more units from RegisterBanks — the simulated devices of tests, the
// gateway benchmark and the lab. Frames are read by t3.5 silence and checked
// (CRC) by libmodbus like the master's; frames for other units are ignored.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/hal/serial/serial_port.h"
#include "sdk/modbus/register_bank.h"

namespace ews::modbus {

namespace internal {
class RtuCodec;
}

struct RtuSlaveOptions {
  // Time between the end of a request (its last character received) and the
  // start of the answer: a real meter's processing time. At least t3.5.
  absl::Duration reply_delay = absl::Milliseconds(5);
  // SCHED_FIFO priority of the device's thread (best effort; 0: normal). A
  // simulated device stands for separate hardware: a busy host must not make
  // it slow.
  int realtime_priority = 0;
};

class RtuSlave {
 public:
  // `port` is not owned; banks are added with AddUnit. Starts a thread.
  static absl::StatusOr<std::unique_ptr<RtuSlave>> Start(
      hal::SerialPort* port, const RtuSlaveOptions& options = {});
  ~RtuSlave();

  // Serves `unit` from `bank` (not owned).
  void AddUnit(uint8_t unit, RegisterBank* bank);
  void RemoveUnit(uint8_t unit);

  uint64_t requests() const { return requests_; }
  uint64_t bad_frames() const { return bad_frames_; }

 private:
  RtuSlave(hal::SerialPort* port, const RtuSlaveOptions& options,
           std::unique_ptr<internal::RtuCodec> codec);
  void Run();

  hal::SerialPort* const port_;
  const RtuSlaveOptions options_;
  std::unique_ptr<internal::RtuCodec> codec_;
  absl::Mutex mutex_;
  std::map<uint8_t, RegisterBank*> units_ ABSL_GUARDED_BY(mutex_);
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> bad_frames_{0};
  std::thread thread_;
};

}  // namespace ews::modbus
