#include "sdk/hal/serial/termios_serial_port.h"

#include <fcntl.h>
#include <linux/serial.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "absl/strings/str_cat.h"
#include "sdk/base/files.h"
#include "sdk/base/log.h"
#include "sdk/hal/serial/internal/baud.h"

namespace ews::hal {
namespace {

// The kernel's ENOIOCTLCMD (515) can leak to user space from some drivers.
constexpr int kErrnoNoIoctlCmd = 515;

// Unix98 pty slaves (/dev/pts/N) use majors 136..143.
constexpr unsigned kPtySlaveMajorFirst = 136;
constexpr unsigned kPtySlaveMajorLast = 143;

bool IsPty(int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISCHR(st.st_mode)) return false;
  const unsigned major_number = major(st.st_rdev);
  return major_number >= kPtySlaveMajorFirst &&
         major_number <= kPtySlaveMajorLast;
}

// Every field of the line in one termios value: raw, 8 data bits, receiver
// on, modem lines ignored, VMIN=VTIME=0 (timeouts come from poll()).
termios MakeTermios(const termios& current, const SerialSettings& settings) {
  termios t = current;
  cfmakeraw(&t);
  t.c_iflag &= ~(IXON | IXOFF | IXANY | INPCK | ISTRIP);
  if (settings.parity != Parity::kNone) t.c_iflag |= INPCK;
  t.c_cflag &= ~(CSIZE | PARENB | PARODD | CSTOPB | CRTSCTS);
  t.c_cflag |= CS8 | CREAD | CLOCAL;
  if (settings.parity != Parity::kNone) t.c_cflag |= PARENB;
  if (settings.parity == Parity::kOdd) t.c_cflag |= PARODD;
  if (settings.stop_bits == 2) t.c_cflag |= CSTOPB;
  t.c_cc[VMIN] = 0;
  t.c_cc[VTIME] = 0;
  const speed_t speed = internal::BaudToSpeed(settings.baud_rate);
  cfsetispeed(&t, speed);
  cfsetospeed(&t, speed);
  return t;
}

timespec NonNegativeTimespec(absl::Duration d) {
  if (d < absl::ZeroDuration()) d = absl::ZeroDuration();
  return absl::ToTimespec(d);
}

}  // namespace

absl::string_view Rs485ModeName(TermiosSerialPort::Rs485Mode mode) {
  switch (mode) {
    case TermiosSerialPort::Rs485Mode::kKernel:
      return "kernel RS485 (RTS on send)";
    case TermiosSerialPort::Rs485Mode::kUnsupported:
      return "no kernel RS485 support";
    case TermiosSerialPort::Rs485Mode::kDisabled:
      return "RS485 mode disabled";
  }
  return "?";
}

absl::StatusOr<std::unique_ptr<TermiosSerialPort>> TermiosSerialPort::Open(
    const std::string& path, const SerialSettings& settings,
    const Options& options) {
  if (absl::Status status = ValidateSerialSettings(settings); !status.ok()) {
    return status;
  }
  const int fd = open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("open ", path));
  if (!isatty(fd)) {
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat(path, " is not a serial device (not a tty)"));
  }
  std::unique_ptr<TermiosSerialPort> port(new TermiosSerialPort(
      path, fd, IsPty(fd), settings,
      options.clock != nullptr ? options.clock : &SystemClock::Get()));
  if (absl::Status status = port->Configure(settings); !status.ok()) {
    return status;
  }
  if (options.enable_rs485) {
    if (absl::Status status = port->EnableRs485(); !status.ok()) {
      return status;
    }
  }
  EWS_LOG(INFO) << "serial " << path << " open at " << settings.ToString()
                << (port->parity_emulated_ ? " (pty: parity not applied)" : "")
                << ", " << Rs485ModeName(port->rs485_mode_);
  return port;
}

TermiosSerialPort::TermiosSerialPort(const std::string& path, int fd,
                                     bool is_pty,
                                     const SerialSettings& settings,
                                     Clock* clock)
    : SerialPort(path, settings), fd_(fd), is_pty_(is_pty), clock_(clock) {}

TermiosSerialPort::~TermiosSerialPort() { Close(); }

void TermiosSerialPort::Close() {
  if (fd_ >= 0) {
    close(fd_);
    fd_ = -1;
  }
}

absl::StatusOr<TermiosSerialPort::LineErrors> TermiosSerialPort::GetLineErrors()
    const {
  if (fd_ < 0) return absl::FailedPreconditionError(name() + " is closed");
  serial_icounter_struct counters = {};
  if (ioctl(fd_, TIOCGICOUNT, &counters) != 0) {
    const int error = errno;
    if (error == ENOTTY || error == EINVAL || error == kErrnoNoIoctlCmd) {
      return absl::UnimplementedError(
          absl::StrCat(name(), " keeps no line error counters"));
    }
    return ErrnoToStatus(error, absl::StrCat("TIOCGICOUNT ", name()));
  }
  LineErrors errors;
  errors.framing = counters.frame;
  errors.parity = counters.parity;
  errors.overrun = counters.overrun + counters.buf_overrun;
  errors.breaks = counters.brk;
  return errors;
}

absl::Status TermiosSerialPort::EnableRs485() {
  serial_rs485 rs485 = {};
  if (ioctl(fd_, TIOCGRS485, &rs485) != 0) {
    // ENOTTY / EINVAL / ENOIOCTLCMD: the driver has no RS485 support (ptys,
    // most USB adapters, which switch direction in hardware).
    rs485_mode_ = Rs485Mode::kUnsupported;
    return absl::OkStatus();
  }
  rs485.flags |= SER_RS485_ENABLED | SER_RS485_RTS_ON_SEND;
  rs485.flags &= ~SER_RS485_RTS_AFTER_SEND;
  rs485.delay_rts_before_send = 0;
  rs485.delay_rts_after_send = 0;
  if (ioctl(fd_, TIOCSRS485, &rs485) != 0) {
    const int error = errno;
    if (error == ENOTTY || error == EINVAL || error == EOPNOTSUPP) {
      rs485_mode_ = Rs485Mode::kUnsupported;
      return absl::OkStatus();
    }
    return ErrnoToStatus(error, absl::StrCat("TIOCSRS485 on ", name()));
  }
  rs485_mode_ = Rs485Mode::kKernel;
  return absl::OkStatus();
}

absl::Status TermiosSerialPort::DoConfigure(const SerialSettings& settings) {
  if (fd_ < 0) return absl::FailedPreconditionError(name() + " is closed");
  termios current;
  if (tcgetattr(fd_, &current) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("tcgetattr ", name()));
  }
  termios wanted = MakeTermios(current, settings);
  bool parity_dropped = false;
  if (tcsetattr(fd_, TCSANOW, &wanted) != 0) {
    const int error = errno;
    // A pty rejects a change of nothing but the parity (it cannot apply
    // parity at all): apply the rest without it.
    if (!(is_pty_ && error == EINVAL && settings.parity != Parity::kNone)) {
      return ErrnoToStatus(error, absl::StrCat("tcsetattr ", name(), " to ",
                                               settings.ToString()));
    }
    wanted.c_cflag &= ~(PARENB | PARODD);
    wanted.c_iflag &= ~INPCK;
    parity_dropped = true;
    if (tcsetattr(fd_, TCSANOW, &wanted) != 0 && errno != EINVAL) {
      return ErrnoToStatus(errno, absl::StrCat("tcsetattr ", name(), " to ",
                                               settings.ToString()));
    }
  }
  // Read back: tcsetattr() succeeds if any one change was applied.
  termios actual;
  if (tcgetattr(fd_, &actual) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("tcgetattr ", name()));
  }
  const speed_t speed = internal::BaudToSpeed(settings.baud_rate);
  const bool speed_ok =
      cfgetospeed(&actual) == speed && cfgetispeed(&actual) == speed;
  const bool size_ok = (actual.c_cflag & CSIZE) == CS8;
  const bool stop_ok =
      ((actual.c_cflag & CSTOPB) != 0) == (settings.stop_bits == 2);
  const bool raw_ok = (actual.c_lflag & (ICANON | ECHO | ISIG)) == 0;
  bool parity_ok =
      ((actual.c_cflag & PARENB) != 0) == (settings.parity != Parity::kNone) &&
      (settings.parity == Parity::kNone ||
       ((actual.c_cflag & PARODD) != 0) == (settings.parity == Parity::kOdd));
  bool emulated = false;
  if (!parity_ok && is_pty_ && (actual.c_cflag & PARENB) == 0) {
    parity_ok = true;  // ptys always clear PARENB
    emulated = settings.parity != Parity::kNone;
  }
  if (!(speed_ok && size_ok && stop_ok && raw_ok && parity_ok)) {
    return absl::UnavailableError(absl::StrCat(
        name(), " did not accept ", settings.ToString(), " (speed ",
        speed_ok ? "ok" : "refused", ", data bits ", size_ok ? "ok" : "refused",
        ", stop bits ", stop_ok ? "ok" : "refused", ", parity ",
        parity_ok ? "ok" : "refused", ")"));
  }
  parity_emulated_ = emulated || parity_dropped;
  tcflush(fd_, TCIFLUSH);
  return absl::OkStatus();
}

absl::Status TermiosSerialPort::DoWrite(absl::Span<const uint8_t> data,
                                        size_t* bytes_written) {
  *bytes_written = 0;
  if (fd_ < 0) return absl::FailedPreconditionError(name() + " is closed");
  // Generous: the whole frame's line time plus a second for the driver.
  const absl::Duration budget =
      settings().TransmitTime(data.size()) + absl::Seconds(1);
  const absl::Duration deadline = clock_->MonotonicNow() + budget;
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = write(fd_, data.data() + done, data.size() - done);
    if (n > 0) {
      done += static_cast<size_t>(n);
      *bytes_written = done;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN) {
      return ErrnoToStatus(errno, absl::StrCat("write ", name()));
    }
    const absl::Duration left = deadline - clock_->MonotonicNow();
    if (left <= absl::ZeroDuration()) {
      return absl::UnavailableError(absl::StrCat(
          "write ", name(), ": driver took ", done, " of ", data.size(),
          " bytes in ", absl::FormatDuration(budget)));
    }
    pollfd pfd = {fd_, POLLOUT, 0};
    const timespec ts = NonNegativeTimespec(left);
    if (ppoll(&pfd, 1, &ts, nullptr) < 0 && errno != EINTR) {
      return ErrnoToStatus(errno, absl::StrCat("poll ", name()));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> TermiosSerialPort::DoReadFor(absl::Span<uint8_t> buffer,
                                                    absl::Duration timeout) {
  if (fd_ < 0) return absl::FailedPreconditionError(name() + " is closed");
  const absl::Duration deadline = clock_->MonotonicNow() + timeout;
  while (true) {
    const ssize_t n = read(fd_, buffer.data(), buffer.size());
    if (n > 0) return static_cast<size_t>(n);
    if (n < 0 && errno != EAGAIN && errno != EINTR) {
      return ErrnoToStatus(errno, absl::StrCat("read ", name()));
    }
    const absl::Duration left = deadline - clock_->MonotonicNow();
    if (left <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(
          "no data on ", name(), " within ", absl::FormatDuration(timeout)));
    }
    pollfd pfd = {fd_, POLLIN, 0};
    const timespec ts = NonNegativeTimespec(left);
    const int ready = ppoll(&pfd, 1, &ts, nullptr);
    if (ready < 0 && errno != EINTR) {
      return ErrnoToStatus(errno, absl::StrCat("poll ", name()));
    }
    if (ready > 0 && (pfd.revents & (POLLERR | POLLNVAL)) != 0) {
      return absl::InternalError(absl::StrCat("poll ", name(), ": error"));
    }
    if (ready > 0 && (pfd.revents & POLLHUP) != 0 &&
        (pfd.revents & POLLIN) == 0) {
      // The other end of a pty went away; behave like a silent line.
      const timespec rest =
          NonNegativeTimespec(deadline - clock_->MonotonicNow());
      nanosleep(&rest, nullptr);
    }
  }
}

absl::Status TermiosSerialPort::DoFlushInput() {
  if (fd_ < 0) return absl::FailedPreconditionError(name() + " is closed");
  if (tcflush(fd_, TCIFLUSH) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("tcflush ", name()));
  }
  return absl::OkStatus();
}

absl::Status TermiosSerialPort::DoDrain() {
  if (fd_ < 0) return absl::FailedPreconditionError(name() + " is closed");
  while (tcdrain(fd_) != 0) {
    if (errno != EINTR) {
      return ErrnoToStatus(errno, absl::StrCat("tcdrain ", name()));
    }
  }
  return absl::OkStatus();
}

}  // namespace ews::hal
