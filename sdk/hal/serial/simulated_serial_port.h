// SimulatedSerialPort: a serial line with one simulated device on it, for the
// demo (apps running without RS485 hardware) and for timing tests above the
// HAL. Each Write() is one frame: the device model (the Responder) sees it
// when its last character has been sent, and its answer arrives after a
// turnaround, one character per CharacterTime() — the timing of a real line
// at the configured settings.
//
// Time: with a SimulatedClock the port moves it as the line would (a read
// advances to the arrival of the next byte, or by the whole timeout), so
// tests are exact and instant; with a real clock reads sleep.
//
// Compared with FakeSerialPort (scripts, faults, recording for unit tests),
// this is a behavioural model: one responder function answers any request.
#pragma once

#include <deque>
#include <functional>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sdk/base/clock.h"
#include "sdk/base/simulated_clock.h"
#include "sdk/hal/serial/serial_port.h"

namespace ews::hal {

class SimulatedSerialPort final : public SerialPort {
 public:
  // Returns the device's answer to `frame` (empty: no answer).
  using Responder =
      std::function<std::vector<uint8_t>(absl::Span<const uint8_t> frame)>;

  struct Options {
    SerialSettings settings;
    // Between the end of the request and the first answer character.
    absl::Duration turnaround = absl::Milliseconds(5);
  };

  // `clock` is not owned; reads sleep on it.
  SimulatedSerialPort(Clock* clock, Responder responder, Options options);
  // `clock` is not owned; the port advances it (see above).
  SimulatedSerialPort(SimulatedClock* clock, Responder responder,
                      Options options);

 private:
  struct Arrival {
    absl::Duration at;  // monotonic time the byte is complete
    uint8_t byte;
  };

  absl::Status DoConfigure(const SerialSettings& settings) override;
  absl::Status DoWrite(absl::Span<const uint8_t> data,
                       size_t* bytes_written) override;
  absl::StatusOr<size_t> DoReadFor(absl::Span<uint8_t> buffer,
                                   absl::Duration timeout) override;
  absl::Status DoFlushInput() override;
  absl::Status DoDrain() override;

  // Moves time forward to `at` (no-op if already there).
  void WaitUntil(absl::Duration at);

  Clock* const clock_;
  SimulatedClock* const simulated_clock_;
  const Responder responder_;
  const absl::Duration turnaround_;
  mutable absl::Mutex mutex_;
  absl::Duration tx_busy_until_ ABSL_GUARDED_BY(mutex_);
  std::deque<Arrival> input_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::hal
