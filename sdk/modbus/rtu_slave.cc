#include "sdk/modbus/rtu_slave.h"

#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>

#include <algorithm>
#include <chrono>
#include <thread>
#include <utility>
#include <vector>

#include "sdk/base/status_macros.h"
#include "sdk/modbus/internal/rtu_codec.h"

namespace ews::modbus {

absl::StatusOr<std::unique_ptr<RtuSlave>> RtuSlave::Start(
    hal::SerialPort* port, const RtuSlaveOptions& options) {
  EWS_ASSIGN_OR_RETURN(std::unique_ptr<internal::RtuCodec> codec,
                       internal::RtuCodec::Create());
  std::unique_ptr<RtuSlave> slave(
      new RtuSlave(port, options, std::move(codec)));
  slave->thread_ = std::thread([s = slave.get()] { s->Run(); });
  return slave;
}

RtuSlave::RtuSlave(hal::SerialPort* port, const RtuSlaveOptions& options,
                   std::unique_ptr<internal::RtuCodec> codec)
    : port_(port), options_(options), codec_(std::move(codec)) {}

RtuSlave::~RtuSlave() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void RtuSlave::AddUnit(uint8_t unit, RegisterBank* bank) {
  absl::MutexLock lock(&mutex_);
  units_[unit] = bank;
}

void RtuSlave::RemoveUnit(uint8_t unit) {
  absl::MutexLock lock(&mutex_);
  units_.erase(unit);
}

namespace {

absl::Duration Now() {
  return absl::FromChrono(std::chrono::steady_clock::now().time_since_epoch());
}

// Sleeps until `target` (steady clock), spinning the last 200 us: a device's
// reply delay should not depend on timer slack.
void WaitUntil(absl::Duration target) {
  const absl::Duration spin = absl::Microseconds(200);
  const absl::Duration now = Now();
  if (target - now > spin) {
    std::this_thread::sleep_for(absl::ToChronoNanoseconds(target - now - spin));
  }
  while (Now() < target) {
  }
}

// The size of a request ADU (address + PDU + CRC) from its first bytes, when
// the function code tells; 0 if not (yet) known.
size_t ExpectedRequestSize(const uint8_t* frame, size_t total) {
  if (total < 2) return 0;
  switch (frame[1]) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
      return 8;
    case 15:
    case 16:
      return total >= 7 ? 9 + frame[6] : 0;
    case 23:
      return total >= 11 ? 13 + frame[10] : 0;
    default:
      return 0;
  }
}

}  // namespace

void RtuSlave::Run() {
  if (options_.realtime_priority > 0) {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    sched_param param{};
    param.sched_priority = std::min(options_.realtime_priority, 99);
    (void)pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
  }
  uint8_t frame[300];
  while (!stop_) {
    absl::StatusOr<size_t> got =
        port_->ReadFor(absl::MakeSpan(frame), absl::Milliseconds(50));
    if (!got.ok()) continue;
    size_t total = *got;
    absl::Duration last_byte_at = Now();
    const absl::Duration silence =
        std::max(port_->CharacterTime() * 3.5, absl::Microseconds(1750));
    const absl::Duration continuation =
        std::max(port_->CharacterTime() * 20, absl::Milliseconds(10));
    // As the master does: complete at the implied length with a good CRC,
    // else at t3.5 of silence; a frame split by a hiccup is joined.
    bool good = false;
    while (total < sizeof frame) {
      if (total >= 4) {
        good = codec_->Check(absl::Span<const uint8_t>(frame, total)).ok();
        if (good && total == ExpectedRequestSize(frame, total)) break;
      }
      absl::StatusOr<size_t> more =
          port_->ReadFor(absl::MakeSpan(frame + total, sizeof frame - total),
                         good ? silence : continuation);
      if (!more.ok()) break;
      total += *more;
      last_byte_at = Now();
    }
    if (!good) {
      ++bad_frames_;
      continue;
    }
    absl::Span<const uint8_t> received(frame, total);
    const uint8_t unit = received[0];
    RegisterBank* bank = nullptr;
    std::vector<RegisterBank*> all;
    {
      absl::MutexLock lock(&mutex_);
      if (unit == 0) {
        for (auto& [id, b] : units_) all.push_back(b);
      } else if (auto it = units_.find(unit); it != units_.end()) {
        bank = it->second;
      }
    }
    const Pdu request(received.begin() + 1, received.end() - 2);
    if (unit == 0) {
      for (RegisterBank* b : all) b->Handle(request);
      continue;
    }
    if (bank == nullptr) continue;
    ++requests_;
    const Pdu response = bank->Handle(request);
    absl::StatusOr<std::vector<uint8_t>> adu = codec_->Encode(unit, response);
    if (!adu.ok()) continue;
    // A device answers no sooner than t3.5 after the request.
    WaitUntil(last_byte_at + std::max(options_.reply_delay, silence));
    (void)port_->Write(*adu);
  }
}

}  // namespace ews::modbus
