#include "sdk/modbus/rtu_slave.h"

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

void RtuSlave::Run() {
  uint8_t frame[300];
  while (!stop_) {
    absl::StatusOr<size_t> got =
        port_->ReadFrame(absl::MakeSpan(frame), absl::Milliseconds(50));
    if (!got.ok()) continue;
    size_t total = *got;
    // As the master does: a frame split by a scheduling hiccup is joined.
    bool good = codec_->Check(absl::Span<const uint8_t>(frame, total)).ok();
    while (!good && total < sizeof frame) {
      absl::StatusOr<size_t> more = port_->ReadFrame(
          absl::MakeSpan(frame + total, sizeof frame - total),
          std::max(port_->CharacterTime() * 20, absl::Milliseconds(10)));
      if (!more.ok()) break;
      total += *more;
      good = codec_->Check(absl::Span<const uint8_t>(frame, total)).ok();
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
    // ReadFrame already waited t3.5 of silence after the request.
    const absl::Duration wait =
        std::max(absl::ZeroDuration(),
                 options_.reply_delay - std::max(port_->CharacterTime() * 3.5,
                                                 absl::Microseconds(1750)));
    if (wait > absl::ZeroDuration()) {
      std::this_thread::sleep_for(absl::ToChronoMicroseconds(wait));
    }
    (void)port_->Write(*adu);
  }
}

}  // namespace ews::modbus
