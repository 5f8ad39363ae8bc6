#include "sdk/hal/serial/fake_serial_port.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ews::hal {

FakeSerialPort::FakeSerialPort(const SerialSettings& settings)
    : FakeSerialPort(static_cast<Clock*>(&SystemClock::Get()), settings) {}

FakeSerialPort::FakeSerialPort(Clock* clock, const SerialSettings& settings)
    : SerialPort("fake-serial", settings),
      clock_(clock),
      simulated_clock_(nullptr) {}

FakeSerialPort::FakeSerialPort(SimulatedClock* clock,
                               const SerialSettings& settings)
    : SerialPort("fake-serial", settings),
      clock_(clock),
      simulated_clock_(clock) {}

void FakeSerialPort::ExpectWrite(std::vector<uint8_t> request,
                                 std::vector<uint8_t> response,
                                 ResponseFault fault) {
  absl::MutexLock lock(&mutex_);
  expected_.push_back({std::move(request), std::move(response), fault});
}

void FakeSerialPort::QueueInput(const std::vector<uint8_t>& bytes) {
  absl::MutexLock lock(&mutex_);
  input_.insert(input_.end(), bytes.begin(), bytes.end());
}

void FakeSerialPort::InjectReadTimeouts(int count) {
  absl::MutexLock lock(&mutex_);
  pending_timeouts_ += count;
}

void FakeSerialPort::InjectWriteError(absl::Status status) {
  absl::MutexLock lock(&mutex_);
  write_error_ = std::move(status);
}

void FakeSerialPort::InjectReadError(absl::Status status) {
  absl::MutexLock lock(&mutex_);
  read_error_ = std::move(status);
}

void FakeSerialPort::InjectConfigureError(absl::Status status) {
  absl::MutexLock lock(&mutex_);
  configure_error_ = std::move(status);
}

std::vector<uint8_t> FakeSerialPort::written() const {
  absl::MutexLock lock(&mutex_);
  return written_;
}

std::vector<std::vector<uint8_t>> FakeSerialPort::unexpected_writes() const {
  absl::MutexLock lock(&mutex_);
  return unexpected_;
}

bool FakeSerialPort::AllExpectationsMet() const {
  absl::MutexLock lock(&mutex_);
  return expected_.empty() && unexpected_.empty();
}

std::vector<FakeSerialPort::Event> FakeSerialPort::events() const {
  absl::MutexLock lock(&mutex_);
  return events_;
}

size_t FakeSerialPort::pending_input() const {
  absl::MutexLock lock(&mutex_);
  return input_.size();
}

void FakeSerialPort::Record(Event::Kind kind, std::vector<uint8_t> bytes) {
  events_.push_back({clock_->MonotonicNow(), kind, std::move(bytes)});
}

absl::Status FakeSerialPort::DoConfigure(const SerialSettings& settings) {
  absl::MutexLock lock(&mutex_);
  if (!configure_error_.ok()) {
    absl::Status status = std::exchange(configure_error_, absl::OkStatus());
    Record(Event::Kind::kError, {});
    return status;
  }
  input_.clear();
  Record(Event::Kind::kConfigure, {});
  return absl::OkStatus();
}

absl::Status FakeSerialPort::DoWrite(absl::Span<const uint8_t> data,
                                     size_t* bytes_written) {
  const absl::Duration line_time = settings().TransmitTime(data.size());
  absl::MutexLock lock(&mutex_);
  if (!write_error_.ok()) {
    *bytes_written = 0;
    Record(Event::Kind::kError, {data.begin(), data.end()});
    return std::exchange(write_error_, absl::OkStatus());
  }
  std::vector<uint8_t> bytes(data.begin(), data.end());
  *bytes_written = bytes.size();
  written_.insert(written_.end(), bytes.begin(), bytes.end());
  Record(Event::Kind::kWrite, bytes);
  if (simulated_clock_ != nullptr) simulated_clock_->Advance(line_time);
  if (expected_.empty() || expected_.front().request != bytes) {
    unexpected_.push_back(std::move(bytes));
    return absl::OkStatus();
  }
  Exchange exchange = std::move(expected_.front());
  expected_.pop_front();
  std::vector<uint8_t>& response = exchange.response;
  switch (exchange.fault) {
    case ResponseFault::kNone:
      break;
    case ResponseFault::kNoResponse:
      response.clear();
      break;
    case ResponseFault::kPartial:
      response.resize(response.size() / 2);
      break;
    case ResponseFault::kGarbage:
      for (uint8_t& byte : response) {
        noise_state_ = noise_state_ * 1103515245u + 12345u;
        byte = static_cast<uint8_t>(noise_state_ >> 16);
      }
      break;
    case ResponseFault::kCorrupt:
      if (!response.empty()) response.back() ^= 0xFF;
      break;
  }
  input_.insert(input_.end(), response.begin(), response.end());
  return absl::OkStatus();
}

absl::StatusOr<size_t> FakeSerialPort::DoReadFor(absl::Span<uint8_t> buffer,
                                                 absl::Duration timeout) {
  absl::MutexLock lock(&mutex_);
  if (!read_error_.ok()) {
    Record(Event::Kind::kError, {});
    return std::exchange(read_error_, absl::OkStatus());
  }
  auto timed_out = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    Record(Event::Kind::kTimeout, {});
    if (simulated_clock_ != nullptr) simulated_clock_->Advance(timeout);
    return absl::DeadlineExceededError(absl::StrCat(
        "no data on fake-serial within ", absl::FormatDuration(timeout)));
  };
  if (pending_timeouts_ > 0) {
    --pending_timeouts_;
    // A lost response: what was there never arrives.
    input_.clear();
    return timed_out();
  }
  if (input_.empty() && simulated_clock_ == nullptr) {
    auto has_input = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
      return !input_.empty();
    };
    mutex_.AwaitWithTimeout(absl::Condition(&has_input), timeout);
  }
  if (input_.empty()) return timed_out();
  const size_t n = std::min(buffer.size(), input_.size());
  std::copy_n(input_.begin(), n, buffer.begin());
  input_.erase(input_.begin(), input_.begin() + n);
  Record(Event::Kind::kRead, {buffer.begin(), buffer.begin() + n});
  return n;
}

absl::Status FakeSerialPort::DoFlushInput() {
  absl::MutexLock lock(&mutex_);
  input_.clear();
  Record(Event::Kind::kFlushInput, {});
  return absl::OkStatus();
}

absl::Status FakeSerialPort::DoDrain() {
  absl::MutexLock lock(&mutex_);
  Record(Event::Kind::kDrain, {});
  return absl::OkStatus();
}

}  // namespace ews::hal
