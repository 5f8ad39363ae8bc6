#include "sdk/hal/serial/serial_port.h"

#include <algorithm>
#include <array>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ews::hal {
namespace {

constexpr std::array<int, 8> kBaudRates = {1200,  2400,  4800,  9600,
                                           19200, 38400, 57600, 115200};

char ParityLetter(Parity parity) {
  switch (parity) {
    case Parity::kNone:
      return 'N';
    case Parity::kEven:
      return 'E';
    case Parity::kOdd:
      return 'O';
  }
  return '?';
}

}  // namespace

int SerialSettings::BitsPerCharacter() const {
  return 1 + data_bits + (parity == Parity::kNone ? 0 : 1) + stop_bits;
}

absl::Duration SerialSettings::CharacterTime() const {
  if (baud_rate <= 0) return absl::ZeroDuration();
  return absl::Seconds(1) * BitsPerCharacter() / baud_rate;
}

absl::Duration SerialSettings::TransmitTime(size_t bytes) const {
  if (baud_rate <= 0) return absl::ZeroDuration();
  return absl::Seconds(1) * (static_cast<int64_t>(bytes) * BitsPerCharacter()) /
         baud_rate;
}

std::string SerialSettings::ToString() const {
  return absl::StrCat(baud_rate, " ", data_bits,
                      std::string(1, ParityLetter(parity)), stop_bits);
}

absl::Span<const int> SupportedBaudRates() { return kBaudRates; }

absl::Status ValidateSerialSettings(const SerialSettings& settings) {
  if (std::find(kBaudRates.begin(), kBaudRates.end(), settings.baud_rate) ==
      kBaudRates.end()) {
    return absl::InvalidArgumentError(
        absl::StrCat("unsupported baud rate ", settings.baud_rate,
                     " (1200..115200 in the standard steps)"));
  }
  if (settings.data_bits != 8) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unsupported data bits ", settings.data_bits, " (only 8)"));
  }
  if (settings.parity != Parity::kNone && settings.parity != Parity::kEven &&
      settings.parity != Parity::kOdd) {
    return absl::InvalidArgumentError("unknown parity");
  }
  if (settings.stop_bits != 1 && settings.stop_bits != 2) {
    return absl::InvalidArgumentError(absl::StrCat(
        "unsupported stop bits ", settings.stop_bits, " (1 or 2)"));
  }
  return absl::OkStatus();
}

absl::StatusOr<SerialSettings> ParseSerialSettings(absl::string_view text) {
  std::string normalized =
      absl::AsciiStrToUpper(absl::StripAsciiWhitespace(text));
  std::vector<std::string> parts =
      absl::StrSplit(normalized, absl::ByAnyChar(" -,"), absl::SkipEmpty());
  std::string frame;
  if (parts.size() == 2) {
    frame = parts[1];
  } else if (parts.size() == 4) {
    frame = parts[1] + parts[2] + parts[3];
  } else {
    return absl::InvalidArgumentError(absl::StrCat(
        "serial settings \"", text, "\": expected e.g. \"9600 8E1\""));
  }
  SerialSettings settings;
  if (!absl::SimpleAtoi(parts[0], &settings.baud_rate) || frame.size() != 3 ||
      frame[0] < '5' || frame[0] > '9' || frame[2] < '1' || frame[2] > '2') {
    return absl::InvalidArgumentError(absl::StrCat(
        "serial settings \"", text, "\": expected e.g. \"9600 8E1\""));
  }
  settings.data_bits = frame[0] - '0';
  switch (frame[1]) {
    case 'N':
      settings.parity = Parity::kNone;
      break;
    case 'E':
      settings.parity = Parity::kEven;
      break;
    case 'O':
      settings.parity = Parity::kOdd;
      break;
    default:
      return absl::InvalidArgumentError(absl::StrCat(
          "serial settings \"", text, "\": parity must be N, E or O"));
  }
  settings.stop_bits = frame[2] - '0';
  if (absl::Status status = ValidateSerialSettings(settings); !status.ok()) {
    return status;
  }
  return settings;
}

absl::Status SerialPort::Configure(const SerialSettings& settings) {
  if (absl::Status status = ValidateSerialSettings(settings); !status.ok()) {
    return status;
  }
  absl::Status status = DoConfigure(settings);
  absl::MutexLock lock(&mutex_);
  if (status.ok()) {
    settings_ = settings;
  } else {
    ++counters_.errors;
  }
  return status;
}

SerialSettings SerialPort::settings() const {
  absl::MutexLock lock(&mutex_);
  return settings_;
}

absl::Status SerialPort::Write(absl::Span<const uint8_t> data,
                               size_t* bytes_written) {
  size_t written = 0;
  absl::Status status =
      data.empty() ? absl::OkStatus() : DoWrite(data, &written);
  if (bytes_written != nullptr) *bytes_written = written;
  {
    absl::MutexLock lock(&mutex_);
    counters_.bytes_out += written;
    if (status.ok()) {
      if (!data.empty()) ++counters_.frames_out;
    } else {
      ++counters_.errors;
    }
  }
  if (written > 0) NotifyTraffic(TrafficDirection::kTransmit, written);
  return status;
}

absl::StatusOr<size_t> SerialPort::ReadFor(absl::Span<uint8_t> buffer,
                                           absl::Duration timeout) {
  if (buffer.empty()) return absl::InvalidArgumentError("empty read buffer");
  absl::StatusOr<size_t> read =
      DoReadFor(buffer, std::max(timeout, absl::ZeroDuration()));
  if (read.ok()) {
    {
      absl::MutexLock lock(&mutex_);
      counters_.bytes_in += *read;
    }
    if (*read > 0) NotifyTraffic(TrafficDirection::kReceive, *read);
  } else {
    CountStatus(read.status());
  }
  return read;
}

absl::StatusOr<size_t> SerialPort::ReadFrame(absl::Span<uint8_t> buffer,
                                             absl::Duration first_byte_timeout,
                                             absl::Duration silence) {
  if (silence == absl::InfiniteDuration()) {
    silence = std::max(CharacterTime() * 3.5, absl::Microseconds(1750));
  }
  absl::StatusOr<size_t> first = ReadFor(buffer, first_byte_timeout);
  if (!first.ok()) return first;
  size_t total = *first;
  while (total < buffer.size()) {
    absl::StatusOr<size_t> more = ReadFor(buffer.subspan(total), silence);
    if (!more.ok()) {
      if (absl::IsDeadlineExceeded(more.status())) {
        // Silence ends the frame; that timeout is not an error.
        absl::MutexLock lock(&mutex_);
        --counters_.timeouts;
        break;
      }
      return more.status();
    }
    total += *more;
  }
  absl::MutexLock lock(&mutex_);
  ++counters_.frames_in;
  return total;
}

absl::Status SerialPort::FlushInput() {
  absl::Status status = DoFlushInput();
  CountStatus(status);
  return status;
}

absl::Status SerialPort::Drain() {
  absl::Status status = DoDrain();
  CountStatus(status);
  return status;
}

SerialCounters SerialPort::counters() const {
  absl::MutexLock lock(&mutex_);
  return counters_;
}

void SerialPort::SetTrafficListener(TrafficListener listener) {
  absl::MutexLock lock(&mutex_);
  listener_ = std::move(listener);
}

void SerialPort::CountError() {
  absl::MutexLock lock(&mutex_);
  ++counters_.errors;
}

void SerialPort::CountStatus(const absl::Status& status) {
  if (status.ok()) return;
  absl::MutexLock lock(&mutex_);
  if (absl::IsDeadlineExceeded(status)) {
    ++counters_.timeouts;
  } else {
    ++counters_.errors;
  }
}

void SerialPort::NotifyTraffic(TrafficDirection direction, size_t bytes) {
  TrafficListener listener;
  {
    absl::MutexLock lock(&mutex_);
    listener = listener_;
  }
  if (listener) listener(direction, bytes);
}

}  // namespace ews::hal
