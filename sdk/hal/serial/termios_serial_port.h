// TermiosSerialPort: the Linux backend of ews::hal::SerialPort, on a tty
// device (/dev/ttyS*, /dev/ttyUSB*, /dev/ttyAMA*) or a pty (the virtual RS485
// bus of //lab/bus).
//
// All termios fields are set in one tcsetattr() call (raw mode, 8 data bits,
// parity, stop bits, speed, VMIN=VTIME=0 with poll()-based timeouts). Kernel
// RS485 mode (TIOCSRS485 with RTS on send) is enabled where the driver
// supports it; on a pty or a UART without it the port works without it and
// rs485_mode() says so.
//
// Linux ptys keep speed and stop bits but silently clear PARENB, and reject a
// tcsetattr() that changes only the parity with EINVAL. On a pty the port
// therefore accepts a read-back without parity (parity_emulated() is true);
// the bus simulator times characters from the line's configured settings.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "sdk/base/clock.h"
#include "sdk/hal/serial/serial_port.h"

namespace ews::hal {

class TermiosSerialPort final : public SerialPort {
 public:
  enum class Rs485Mode {
    kKernel,       // the driver toggles RTS/DE around each transmission
    kUnsupported,  // pty, USB adapter with automatic direction, plain UART
    kDisabled,     // Options::enable_rs485 was false
  };

  struct Options {
    // Try TIOCSRS485 (RTS high while sending, low after).
    bool enable_rs485 = true;
    // Monotonic time for read/write timeouts (must run in real time: the
    // device does). Not owned; nullptr means ews::SystemClock::Get().
    Clock* clock = nullptr;
  };

  // Opens `path` and applies `settings`.
  // InvalidArgument: bad settings. NotFound: no such device.
  // PermissionDenied: no access. FailedPrecondition: not a tty.
  // Unavailable: busy or refused the settings.
  static absl::StatusOr<std::unique_ptr<TermiosSerialPort>> Open(
      const std::string& path, const SerialSettings& settings,
      const Options& options);
  static absl::StatusOr<std::unique_ptr<TermiosSerialPort>> Open(
      const std::string& path, const SerialSettings& settings) {
    return Open(path, settings, Options());
  }

  ~TermiosSerialPort() override;

  // The open file descriptor. For sdk-internal use only (e.g. sdk/modbus
  // handing the fd to libmodbus); code outside sdk/ must use the SerialPort
  // interface. Stays owned by this object; -1 after Close().
  int NativeHandle() const { return fd_; }

  // True on a pty: the device cannot apply parity and the line's parity
  // exists only in the configured settings.
  bool parity_emulated() const { return parity_emulated_; }
  bool is_pty() const { return is_pty_; }
  Rs485Mode rs485_mode() const { return rs485_mode_; }

  // The UART driver's receive error counters (TIOCGICOUNT) since boot:
  // framing and parity errors point at wrong line settings or noise.
  struct LineErrors {
    uint64_t framing = 0;
    uint64_t parity = 0;
    uint64_t overrun = 0;  // hardware + buffer overruns
    uint64_t breaks = 0;
  };
  // Unimplemented: the driver keeps no counters (ptys, many USB adapters).
  // FailedPrecondition: closed.
  absl::StatusOr<LineErrors> GetLineErrors() const;

  // Closes the device; later calls return FailedPrecondition.
  void Close();

 private:
  TermiosSerialPort(const std::string& path, int fd, bool is_pty,
                    const SerialSettings& settings, Clock* clock);

  absl::Status DoConfigure(const SerialSettings& settings) override;
  absl::Status DoWrite(absl::Span<const uint8_t> data,
                       size_t* bytes_written) override;
  absl::StatusOr<size_t> DoReadFor(absl::Span<uint8_t> buffer,
                                   absl::Duration timeout) override;
  absl::Status DoFlushInput() override;
  absl::Status DoDrain() override;

  absl::Status EnableRs485();

  int fd_;
  const bool is_pty_;
  Clock* const clock_;
  bool parity_emulated_ = false;
  Rs485Mode rs485_mode_ = Rs485Mode::kDisabled;
};

absl::string_view Rs485ModeName(TermiosSerialPort::Rs485Mode mode);

}  // namespace ews::hal
