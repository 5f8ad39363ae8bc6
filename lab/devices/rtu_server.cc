#include "lab/devices/rtu_server.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "sdk/base/log.h"
#include "sdk/hal/serial/termios_serial_port.h"

namespace ews::lab {
namespace {

// Length of the request starting at `b`: > 0 the frame length, 0 not a
// request we know (skip a byte), -1 need more bytes.
int RequestLength(const std::vector<uint8_t>& b) {
  if (b.size() < 2) return -1;
  if (b[0] > 247) return 0;
  switch (b[1]) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
    case 8:
      return 8;
    case 7:
    case 11:
    case 12:
    case 17:
      return 4;
    case 15:
    case 16:
      if (b.size() < 7) return -1;
      return 9 + b[6];
    case 43:
      return 7;
    default:
      return 0;
  }
}

}  // namespace

uint16_t ModbusCrc16(const uint8_t* data, size_t size) {
  uint16_t crc = 0xFFFF;
  for (size_t i = 0; i < size; ++i) {
    crc ^= data[i];
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 1) ? (crc >> 1) ^ 0xA001 : crc >> 1;
    }
  }
  return crc;
}

absl::StatusOr<std::unique_ptr<RtuServer>> RtuServer::Start(
    std::unique_ptr<hal::SerialPort> port,
    std::vector<SimulatedDevice*> devices, Clock* wire_clock) {
  if (port == nullptr) return absl::InvalidArgumentError("no port");
  if (devices.empty()) return absl::InvalidArgumentError("no devices");
  for (SimulatedDevice* device : devices) {
    if (device == nullptr) return absl::InvalidArgumentError("null device");
  }
  if (wire_clock == nullptr) wire_clock = &SystemClock::Get();
  return std::unique_ptr<RtuServer>(
      new RtuServer(std::move(port), std::move(devices), wire_clock));
}

absl::StatusOr<std::unique_ptr<RtuServer>> RtuServer::StartOnPath(
    const std::string& path, const hal::SerialSettings& line,
    std::vector<SimulatedDevice*> devices, Clock* wire_clock) {
  hal::TermiosSerialPort::Options options;
  options.clock = wire_clock;
  absl::StatusOr<std::unique_ptr<hal::TermiosSerialPort>> port =
      hal::TermiosSerialPort::Open(path, line, options);
  if (!port.ok()) return port.status();
  return Start(std::move(*port), std::move(devices), wire_clock);
}

RtuServer::RtuServer(std::unique_ptr<hal::SerialPort> port,
                     std::vector<SimulatedDevice*> devices, Clock* wire_clock)
    : port_(std::move(port)),
      devices_(std::move(devices)),
      wire_clock_(wire_clock) {
  thread_ = std::thread([this] { Run(); });
}

RtuServer::~RtuServer() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

RtuServerStats RtuServer::stats() const {
  absl::MutexLock lock(&mutex_);
  return stats_;
}

void RtuServer::Run() {
  // Give up an incomplete frame after this much silence: long enough not to
  // cut a frame delayed by scheduling jitter, shorter than a master's retry.
  const absl::Duration give_up =
      std::max(absl::Milliseconds(20), 20 * port_->CharacterTime());
  absl::Duration last_byte = wire_clock_->MonotonicNow();
  uint8_t chunk[256];
  while (!stop_) {
    absl::StatusOr<size_t> n =
        port_->ReadFor(absl::MakeSpan(chunk), absl::Milliseconds(10));
    if (n.ok()) {
      buffer_.insert(buffer_.end(), chunk, chunk + *n);
      last_byte = wire_clock_->MonotonicNow();
      Process(false);
    } else if (absl::IsDeadlineExceeded(n.status())) {
      if (!buffer_.empty() &&
          wire_clock_->MonotonicNow() - last_byte >= give_up) {
        Process(true);
      }
    } else {
      EWS_LOG(WARNING) << "simulator line " << port_->name() << ": "
                       << n.status();
      wire_clock_->SleepFor(absl::Milliseconds(50));
    }
  }
}

void RtuServer::Process(bool flush) {
  while (!buffer_.empty()) {
    const int length = RequestLength(buffer_);
    if (length < 0 ||
        (length > 0 && buffer_.size() < static_cast<size_t>(length))) {
      if (!flush) return;  // wait for the rest
      buffer_.erase(buffer_.begin());
      absl::MutexLock lock(&mutex_);
      ++stats_.discarded;
      continue;
    }
    if (length > 0) {
      const uint16_t crc = ModbusCrc16(buffer_.data(), length - 2);
      if (buffer_[length - 2] == (crc & 0xFF) &&
          buffer_[length - 1] == (crc >> 8)) {
        std::vector<uint8_t> frame(buffer_.begin(), buffer_.begin() + length);
        buffer_.erase(buffer_.begin(), buffer_.begin() + length);
        HandleFrame(frame);
        continue;
      }
    }
    buffer_.erase(buffer_.begin());
    absl::MutexLock lock(&mutex_);
    ++stats_.discarded;
  }
}

void RtuServer::HandleFrame(const std::vector<uint8_t>& frame) {
  {
    absl::MutexLock lock(&mutex_);
    ++stats_.frames;
  }
  const uint8_t address = frame[0];
  const absl::Span<const uint8_t> pdu(frame.data() + 1, frame.size() - 3);
  if (address == 0) {  // broadcast: everyone acts, nobody answers
    for (SimulatedDevice* device : devices_) (void)device->HandlePdu(pdu);
    return;
  }
  // Several devices may share an address (EMS CX3 modules forming one
  // logical device): the first that has what is asked answers, else the
  // first at the address (with its exception).
  SimulatedDevice* device = nullptr;
  for (SimulatedDevice* candidate : devices_) {
    if (candidate->address() != address) continue;
    if (device == nullptr) device = candidate;
    if (candidate->Serves(pdu)) {
      device = candidate;
      break;
    }
  }
  if (device == nullptr) return;  // another slave's request
  const Fault fault = device->TakeFault();
  if (fault.kind == FaultKind::kSilent) return;
  std::vector<uint8_t> reply = {address};
  if (fault.kind == FaultKind::kException) {
    reply.push_back(pdu[0] | 0x80);
    reply.push_back(static_cast<uint8_t>(fault.exception));
  } else {
    std::vector<uint8_t> response = device->HandlePdu(pdu);
    reply.insert(reply.end(), response.begin(), response.end());
  }
  uint16_t crc = ModbusCrc16(reply.data(), reply.size());
  if (fault.kind == FaultKind::kBadCrc) crc ^= 0xFFFF;
  reply.push_back(crc & 0xFF);
  reply.push_back(crc >> 8);
  const absl::Duration delay = device->reply_delay();
  if (delay > absl::ZeroDuration()) wire_clock_->SleepFor(delay);
  absl::Status written = port_->Write(reply);
  if (!written.ok()) {
    EWS_LOG(WARNING) << "simulator " << int{address} << ": " << written;
    return;
  }
  absl::MutexLock lock(&mutex_);
  ++stats_.replies;
}

}  // namespace ews::lab
