// RtuSlave: Modbus RTU server side on an ews::hal::SerialPort, answering for
// one or more units — the simulated devices of tests, the gateway benchmark
// and the lab's device simulators. Frames are checked (CRC) and answers built
// by libmodbus like the master's.
//
// Framing: a request ends at the length its function code implies with a
// good CRC (so scheduling jitter inside a frame does not split it); a frame
// whose length the function code does not tell (43 other than 14, unknown
// functions) ends at t3.5 of silence with a good CRC. On a busy line (other
// slaves' answers, garbage, a request right after a foreign frame) the slave
// slides over bytes that start no good frame until one does; what the line
// still holds after `give up` silence is discarded.
//
// Units: a RegisterBank (AddUnit) or any RtuUnitHandler (AddHandler): a
// simulator that refreshes its registers per request and injects faults
// (reply delay, silence, bad CRC, exception). Several handlers may share one
// address (EMS modules forming one logical device): a request goes to the
// first of them that Serves() it, else to the first. Frames for other
// addresses are ignored; broadcasts (unit 0) reach every handler, unanswered.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "sdk/base/clock.h"
#include "sdk/hal/serial/serial_port.h"
#include "sdk/modbus/pdu.h"
#include "sdk/modbus/register_bank.h"

namespace ews::modbus {

namespace internal {
class RtuCodec;
}

// A unit's answer to one request.
struct RtuReply {
  // The response PDU (normal or exception). Empty: stay silent.
  Pdu pdu;
  // From the end of the request to the start of the answer; nullopt:
  // RtuSlaveOptions::reply_delay. Never less than t3.5.
  std::optional<absl::Duration> reply_delay;
  // Fault injection: the answer goes out with its CRC's bits flipped.
  bool corrupt_crc = false;
};

// What answers for a unit address on an RtuSlave. Called on the slave's
// thread.
class RtuUnitHandler {
 public:
  virtual ~RtuUnitHandler() = default;

  // Whether this handler has what `request` asks for; decides among
  // handlers sharing an address.
  virtual bool Serves(absl::Span<const uint8_t> request) const { return true; }

  // The answer to `request` (a PDU addressed to this unit).
  virtual RtuReply HandleRequest(const Pdu& request) = 0;

  // A broadcast (unit 0): acted on, never answered.
  virtual void HandleBroadcast(const Pdu& request) {
    (void)HandleRequest(request);
  }
};

struct RtuSlaveOptions {
  // Time between the end of a request (its last character received) and the
  // start of the answer: a real meter's processing time. At least t3.5. A
  // handler may choose its own per request (RtuReply::reply_delay).
  absl::Duration reply_delay = absl::Milliseconds(5);
  // SCHED_FIFO priority of the device's thread (best effort; 0: normal). A
  // simulated device stands for separate hardware: a busy host must not make
  // it slow.
  int realtime_priority = 0;
  // Times reply delays and silences; must run in real time (the wire does).
  // Not owned; nullptr: ews::SystemClock::Get().
  Clock* clock = nullptr;
};

struct RtuSlaveStats {
  uint64_t frames = 0;     // good frames seen (any address)
  uint64_t requests = 0;   // frames for one of our units (not broadcasts)
  uint64_t replies = 0;    // answers sent
  uint64_t discarded = 0;  // bytes that belonged to no good frame
};

class RtuSlave {
 public:
  // `port` is not owned; units are added with AddUnit / AddHandler. Starts a
  // thread. Internal: libmodbus could not be set up.
  static absl::StatusOr<std::unique_ptr<RtuSlave>> Start(
      hal::SerialPort* port, const RtuSlaveOptions& options = {});
  // The same on a port the slave owns. InvalidArgument: no port.
  static absl::StatusOr<std::unique_ptr<RtuSlave>> Start(
      std::unique_ptr<hal::SerialPort> port,
      const RtuSlaveOptions& options = {});
  ~RtuSlave();
  RtuSlave(const RtuSlave&) = delete;
  RtuSlave& operator=(const RtuSlave&) = delete;

  // Serves `unit` from `bank` (not owned) alone, replacing what served it.
  void AddUnit(uint8_t unit, RegisterBank* bank);
  // Adds `handler` (not owned; must outlive the slave or its removal) to
  // those serving `unit`.
  void AddHandler(uint8_t unit, RtuUnitHandler* handler);
  // Stops serving `unit` (every handler of it).
  void RemoveUnit(uint8_t unit);

  RtuSlaveStats stats() const;

 private:
  RtuSlave(hal::SerialPort* port, const RtuSlaveOptions& options,
           std::unique_ptr<internal::RtuCodec> codec);
  void Run();
  // Handles the good frames in buffer_; with `flush` (the line went silent)
  // a frame of unknown length is the whole remainder, and bytes that start
  // no frame are discarded.
  void Process(bool flush);
  bool GoodFrame(size_t offset, size_t length);
  void HandleFrame(absl::Span<const uint8_t> frame);
  void WaitUntil(absl::Duration target);

  std::unique_ptr<hal::SerialPort> owned_port_;
  hal::SerialPort* const port_;
  const RtuSlaveOptions options_;
  Clock* const clock_;
  std::unique_ptr<internal::RtuCodec> codec_;  // Run() thread only
  std::vector<uint8_t> buffer_;                // Run() thread only
  size_t checked_ = 0;                         // Run() thread only
  absl::Duration last_byte_at_;                // Run() thread only
  mutable absl::Mutex mutex_;
  // Handlers per unit; shared so that one in use survives its removal.
  std::map<uint8_t, std::vector<std::shared_ptr<RtuUnitHandler>>> units_
      ABSL_GUARDED_BY(mutex_);
  RtuSlaveStats stats_ ABSL_GUARDED_BY(mutex_);
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ews::modbus
