#include "sdk/hal/serial/simulated_serial_port.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace ews::hal {

SimulatedSerialPort::SimulatedSerialPort(Clock* clock, Responder responder,
                                         Options options)
    : SerialPort("simulated-serial", options.settings),
      clock_(clock),
      simulated_clock_(nullptr),
      responder_(std::move(responder)),
      turnaround_(options.turnaround),
      tx_busy_until_(clock->MonotonicNow()) {}

SimulatedSerialPort::SimulatedSerialPort(SimulatedClock* clock,
                                         Responder responder, Options options)
    : SerialPort("simulated-serial", options.settings),
      clock_(clock),
      simulated_clock_(clock),
      responder_(std::move(responder)),
      turnaround_(options.turnaround),
      tx_busy_until_(clock->MonotonicNow()) {}

void SimulatedSerialPort::WaitUntil(absl::Duration at) {
  const absl::Duration now = clock_->MonotonicNow();
  if (at <= now) return;
  if (simulated_clock_ != nullptr) {
    simulated_clock_->Advance(at - now);
  } else {
    clock_->SleepFor(at - now);
  }
}

absl::Status SimulatedSerialPort::DoConfigure(const SerialSettings&) {
  absl::MutexLock lock(&mutex_);
  input_.clear();
  return absl::OkStatus();
}

absl::Status SimulatedSerialPort::DoWrite(absl::Span<const uint8_t> data,
                                          size_t* bytes_written) {
  const SerialSettings line = settings();
  std::vector<uint8_t> answer;
  absl::Duration request_end;
  {
    absl::MutexLock lock(&mutex_);
    request_end = std::max(tx_busy_until_, clock_->MonotonicNow()) +
                  line.TransmitTime(data.size());
    tx_busy_until_ = request_end;
  }
  *bytes_written = data.size();
  if (responder_) answer = responder_(data);
  absl::MutexLock lock(&mutex_);
  const absl::Duration first = request_end + turnaround_;
  for (size_t k = 0; k < answer.size(); ++k) {
    input_.push_back({first + line.TransmitTime(k + 1), answer[k]});
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> SimulatedSerialPort::DoReadFor(
    absl::Span<uint8_t> buffer, absl::Duration timeout) {
  const absl::Duration deadline = clock_->MonotonicNow() + timeout;
  absl::Duration first_arrival = absl::InfiniteDuration();
  {
    absl::MutexLock lock(&mutex_);
    if (!input_.empty()) first_arrival = input_.front().at;
  }
  if (first_arrival > deadline) {
    WaitUntil(deadline);
    return absl::DeadlineExceededError(absl::StrCat(
        "no data on ", name(), " within ", absl::FormatDuration(timeout)));
  }
  WaitUntil(first_arrival);
  const absl::Duration now = clock_->MonotonicNow();
  absl::MutexLock lock(&mutex_);
  size_t n = 0;
  while (n < buffer.size() && !input_.empty() && input_.front().at <= now) {
    buffer[n++] = input_.front().byte;
    input_.pop_front();
  }
  return n;
}

absl::Status SimulatedSerialPort::DoFlushInput() {
  const absl::Duration now = clock_->MonotonicNow();
  absl::MutexLock lock(&mutex_);
  // Only what has arrived; bytes still on the wire come later.
  while (!input_.empty() && input_.front().at <= now) input_.pop_front();
  return absl::OkStatus();
}

absl::Status SimulatedSerialPort::DoDrain() {
  absl::Duration until;
  {
    absl::MutexLock lock(&mutex_);
    until = tx_busy_until_;
  }
  WaitUntil(until);
  return absl::OkStatus();
}

}  // namespace ews::hal
