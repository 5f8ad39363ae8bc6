// ews::hal::SerialPort: a UART driving an RS485 transceiver (or any serial
// line), as the Modbus RTU layer needs it: configure, write a frame, read with
// a timeout, flush input, drain output, and know the line's character time.
//
// Backends:
//   TermiosSerialPort  (termios_serial_port.h)  Linux tty / RS485 / pty
//   FakeSerialPort     (fake_serial_port.h)     testonly: scripted exchanges,
//                                               injected faults, recording
//
// Threading: one owner per line (the bus scheduler) calls Configure/Write/
// Read*/FlushInput/Drain; counters() and settings() may be called from any
// thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"

namespace ews::hal {

enum class Parity { kNone, kEven, kOdd };

// Line settings. Every value of the reference product is supported: baud 1200,
// 2400, 4800, 9600, 19200, 38400, 57600, 115200; parity none/even/odd; 1 or 2
// stop bits; 8 data bits. The default is the product's default, 19200 8E1.
struct SerialSettings {
  int baud_rate = 19200;
  int data_bits = 8;
  Parity parity = Parity::kEven;
  int stop_bits = 1;

  // Start bit + data bits + parity bit (if any) + stop bits: 11 for 8E1.
  int BitsPerCharacter() const;
  // BitsPerCharacter() / baud_rate: 1.1458 ms for 9600 8E1.
  absl::Duration CharacterTime() const;
  // Time to send `bytes` characters back to back.
  absl::Duration TransmitTime(size_t bytes) const;
  // "19200 8E1".
  std::string ToString() const;

  friend bool operator==(const SerialSettings& a, const SerialSettings& b) {
    return a.baud_rate == b.baud_rate && a.data_bits == b.data_bits &&
           a.parity == b.parity && a.stop_bits == b.stop_bits;
  }
  friend bool operator!=(const SerialSettings& a, const SerialSettings& b) {
    return !(a == b);
  }
};

// The baud rates of the reference product, ascending.
absl::Span<const int> SupportedBaudRates();

// OK, or InvalidArgument naming the bad field.
absl::Status ValidateSerialSettings(const SerialSettings& settings);

// Parses "9600 8E1", "115200 8N2", "19200-8-O-1" (case-insensitive).
// InvalidArgument on anything else or on an unsupported value.
absl::StatusOr<SerialSettings> ParseSerialSettings(absl::string_view text);

// Per-port counters since the port was created.
struct SerialCounters {
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t frames_in = 0;   // successful ReadFrame() calls
  uint64_t frames_out = 0;  // successful Write() calls
  uint64_t timeouts = 0;    // reads that returned DeadlineExceeded
  uint64_t errors = 0;      // any other failed call
};

enum class TrafficDirection { kReceive, kTransmit };

class SerialPort {
 public:
  // Called after bytes move (e.g. to blink the RX/TX LEDs). Runs on the thread
  // that called Write/Read*; must be quick and must not call back into the
  // port.
  using TrafficListener =
      std::function<void(TrafficDirection direction, size_t bytes)>;

  virtual ~SerialPort() = default;
  SerialPort(const SerialPort&) = delete;
  SerialPort& operator=(const SerialPort&) = delete;

  // Applies `settings` (all fields at once). Input received under the old
  // settings is discarded.
  // InvalidArgument: settings fail ValidateSerialSettings (nothing changes).
  // FailedPrecondition: the port is closed. Unavailable/Internal: the device
  // refused the settings.
  absl::Status Configure(const SerialSettings& settings);

  // The settings last applied successfully.
  SerialSettings settings() const;

  // Character time of the current settings (bits per character / baud). The
  // Modbus RTU layer derives its 1.5- and 3.5-character silences from it.
  absl::Duration CharacterTime() const { return settings().CharacterTime(); }

  // Queues all of `data` for transmission and returns once it is handed to
  // the driver (see Drain() to wait for the line). `*bytes_written` (if not
  // null) receives how much was accepted, also on error.
  // Unavailable: the driver did not take the bytes in time (retry).
  // FailedPrecondition: closed. Internal: I/O error.
  absl::Status Write(absl::Span<const uint8_t> data,
                     size_t* bytes_written = nullptr);

  // Waits up to `timeout` for at least one byte and returns as many bytes as
  // are available (up to buffer.size()), without waiting for more.
  // DeadlineExceeded: nothing arrived in time. InvalidArgument: empty buffer.
  // FailedPrecondition: closed. Internal: I/O error.
  absl::StatusOr<size_t> ReadFor(absl::Span<uint8_t> buffer,
                                 absl::Duration timeout);

  // Reads one frame: waits up to `first_byte_timeout` for the first byte,
  // then keeps reading until the line is silent for `silence` (or the buffer
  // is full). The default silence is Modbus RTU's t3.5: 3.5 character times,
  // but at least 1.75 ms (the spec's fixed value above 19200 baud).
  // DeadlineExceeded: no first byte in time. Other codes as ReadFor().
  absl::StatusOr<size_t> ReadFrame(
      absl::Span<uint8_t> buffer, absl::Duration first_byte_timeout,
      absl::Duration silence = absl::InfiniteDuration());

  // Discards bytes received but not yet read.
  absl::Status FlushInput();

  // Blocks until all written bytes have left the transmitter.
  absl::Status Drain();

  SerialCounters counters() const;

  // A name for logs and the status page, e.g. "/dev/ttyS1".
  const std::string& name() const { return name_; }

  // Replaces the traffic listener (nullptr: none).
  void SetTrafficListener(TrafficListener listener);

 protected:
  SerialPort(std::string name, const SerialSettings& initial_settings)
      : name_(std::move(name)), settings_(initial_settings) {}

  // For backends: count an error detected outside the calls above.
  void CountError();

 private:
  // Backends implement these; arguments are already validated.
  virtual absl::Status DoConfigure(const SerialSettings& settings) = 0;
  virtual absl::Status DoWrite(absl::Span<const uint8_t> data,
                               size_t* bytes_written) = 0;
  // Same contract as ReadFor(); buffer is non-empty, timeout >= 0.
  virtual absl::StatusOr<size_t> DoReadFor(absl::Span<uint8_t> buffer,
                                           absl::Duration timeout) = 0;
  virtual absl::Status DoFlushInput() = 0;
  virtual absl::Status DoDrain() = 0;

  void CountStatus(const absl::Status& status);
  void NotifyTraffic(TrafficDirection direction, size_t bytes);

  const std::string name_;
  mutable absl::Mutex mutex_;
  SerialSettings settings_ ABSL_GUARDED_BY(mutex_);
  SerialCounters counters_ ABSL_GUARDED_BY(mutex_);
  TrafficListener listener_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::hal
