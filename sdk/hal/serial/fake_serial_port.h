// FakeSerialPort: a testonly ews::hal::SerialPort that plays a scripted
// device, injects faults, and records every call with a timestamp.
//
//   FakeSerialPort port;
//   port.ExpectWrite({0x11, 0x03, ...}, {0x11, 0x03, 0x04, ...});
//   ... code under test writes the request and reads the response ...
//   EXPECT_TRUE(port.AllExpectationsMet());
//
// Faults: a response can be lost, cut short, replaced by garbage or corrupted
// (ResponseFault); the next reads can time out; the next write, read or
// configure can fail with a given status.
//
// Time: constructed with a SimulatedClock, the fake moves it as a real line
// would: a write advances it by the frame's transmit time and a read that
// times out advances it by the timeout, so timeout logic above the port runs
// deterministically and instantly. With any other clock a read with no input
// waits (in real time, at most the timeout) for QueueInput() from another
// thread.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "sdk/base/clock.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/hal/serial/serial_port.h"

namespace ews::hal {

class FakeSerialPort final : public SerialPort {
 public:
  enum class ResponseFault {
    kNone,
    kNoResponse,  // the device stays silent
    kPartial,     // only the first half of the response arrives
    kGarbage,     // the response is replaced by noise of the same length
    kCorrupt,     // the last byte is inverted (a CRC error)
  };

  struct Event {
    enum class Kind {
      kConfigure,
      kWrite,
      kRead,
      kTimeout,
      kFlushInput,
      kDrain,
      kError,
    };
    absl::Duration at;  // the clock's monotonic time when the call began
    Kind kind;
    std::vector<uint8_t> bytes;  // written or read
  };

  // Timestamps from the system clock; reads wait in real time.
  explicit FakeSerialPort(const SerialSettings& settings = SerialSettings());
  // Timestamps from `clock` (not owned); reads wait in real time.
  FakeSerialPort(Clock* clock, const SerialSettings& settings);
  // Moves `clock` (not owned) as described above.
  FakeSerialPort(SimulatedClock* clock, const SerialSettings& settings);

  // Script: when the next write equals `request`, `response` (after `fault`)
  // becomes readable.
  void ExpectWrite(std::vector<uint8_t> request, std::vector<uint8_t> response,
                   ResponseFault fault = ResponseFault::kNone);
  // Makes bytes readable now (unsolicited data, line noise).
  void QueueInput(const std::vector<uint8_t>& bytes);

  // The next `count` reads return DeadlineExceeded even if input is there.
  void InjectReadTimeouts(int count);
  // The next write / read / configure fails with `status` (not OK).
  void InjectWriteError(absl::Status status);
  void InjectReadError(absl::Status status);
  void InjectConfigureError(absl::Status status);

  // Every write, concatenated.
  std::vector<uint8_t> written() const;
  // Writes that matched no expectation.
  std::vector<std::vector<uint8_t>> unexpected_writes() const;
  // All expected writes happened and nothing unexpected was written.
  bool AllExpectationsMet() const;
  std::vector<Event> events() const;
  // Bytes queued for reading and not yet read.
  size_t pending_input() const;

 private:
  struct Exchange {
    std::vector<uint8_t> request;
    std::vector<uint8_t> response;
    ResponseFault fault;
  };

  absl::Status DoConfigure(const SerialSettings& settings) override;
  absl::Status DoWrite(absl::Span<const uint8_t> data,
                       size_t* bytes_written) override;
  absl::StatusOr<size_t> DoReadFor(absl::Span<uint8_t> buffer,
                                   absl::Duration timeout) override;
  absl::Status DoFlushInput() override;
  absl::Status DoDrain() override;

  void Record(Event::Kind kind, std::vector<uint8_t> bytes)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  Clock* const clock_;
  SimulatedClock* const simulated_clock_;  // null unless simulated
  mutable absl::Mutex mutex_;
  std::deque<Exchange> expected_ ABSL_GUARDED_BY(mutex_);
  std::deque<uint8_t> input_ ABSL_GUARDED_BY(mutex_);
  int pending_timeouts_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::Status write_error_ ABSL_GUARDED_BY(mutex_);
  absl::Status read_error_ ABSL_GUARDED_BY(mutex_);
  absl::Status configure_error_ ABSL_GUARDED_BY(mutex_);
  std::vector<uint8_t> written_ ABSL_GUARDED_BY(mutex_);
  std::vector<std::vector<uint8_t>> unexpected_ ABSL_GUARDED_BY(mutex_);
  std::vector<Event> events_ ABSL_GUARDED_BY(mutex_);
  uint32_t noise_state_ ABSL_GUARDED_BY(mutex_) = 0x12345678;
};

}  // namespace ews::hal
