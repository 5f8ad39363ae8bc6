#include "sdk/modbus/rtu_slave.h"

#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>

#include <algorithm>
#include <utility>

#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/modbus/internal/rtu_codec.h"

namespace ews::modbus {
namespace {

// A RegisterBank as a unit: answers at the slave's reply delay, no faults.
class BankHandler final : public RtuUnitHandler {
 public:
  explicit BankHandler(RegisterBank* bank) : bank_(bank) {}
  RtuReply HandleRequest(const Pdu& request) override {
    return RtuReply{bank_->Handle(request)};
  }

 private:
  RegisterBank* const bank_;
};

// The length of the request ADU (address + PDU + CRC) starting at `frame`:
// > 0 the length, 0 not told by the function code (a frame ends at silence),
// -1 more bytes needed to tell.
int RequestLength(const uint8_t* frame, size_t size) {
  if (size < 2) return -1;
  if (frame[0] > 247) return 0;  // no RTU slave address
  switch (frame[1]) {
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
      return size >= 7 ? 9 + frame[6] : -1;
    case 23:
      return size >= 11 ? 13 + frame[10] : -1;
    case 43:
      if (size < 3) return -1;
      return frame[2] == fc::kMeiReadDeviceIdentification ? 7 : 0;
    default:
      return 0;
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<RtuSlave>> RtuSlave::Start(
    hal::SerialPort* port, const RtuSlaveOptions& options) {
  if (port == nullptr) return absl::InvalidArgumentError("no port");
  EWS_ASSIGN_OR_RETURN(std::unique_ptr<internal::RtuCodec> codec,
                       internal::RtuCodec::Create());
  std::unique_ptr<RtuSlave> slave(
      new RtuSlave(port, options, std::move(codec)));
  slave->thread_ = std::thread([s = slave.get()] { s->Run(); });
  return slave;
}

absl::StatusOr<std::unique_ptr<RtuSlave>> RtuSlave::Start(
    std::unique_ptr<hal::SerialPort> port, const RtuSlaveOptions& options) {
  if (port == nullptr) return absl::InvalidArgumentError("no port");
  EWS_ASSIGN_OR_RETURN(std::unique_ptr<internal::RtuCodec> codec,
                       internal::RtuCodec::Create());
  std::unique_ptr<RtuSlave> slave(
      new RtuSlave(port.get(), options, std::move(codec)));
  slave->owned_port_ = std::move(port);
  slave->thread_ = std::thread([s = slave.get()] { s->Run(); });
  return slave;
}

RtuSlave::RtuSlave(hal::SerialPort* port, const RtuSlaveOptions& options,
                   std::unique_ptr<internal::RtuCodec> codec)
    : port_(port),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : &SystemClock::Get()),
      codec_(std::move(codec)) {}

RtuSlave::~RtuSlave() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void RtuSlave::AddUnit(uint8_t unit, RegisterBank* bank) {
  auto handler = std::make_shared<BankHandler>(bank);
  absl::MutexLock lock(&mutex_);
  units_[unit] = {std::move(handler)};
}

void RtuSlave::AddHandler(uint8_t unit, RtuUnitHandler* handler) {
  // Not owned: the handler outlives its use.
  std::shared_ptr<RtuUnitHandler> shared(handler, [](RtuUnitHandler*) {});
  absl::MutexLock lock(&mutex_);
  units_[unit].push_back(std::move(shared));
}

void RtuSlave::RemoveUnit(uint8_t unit) {
  absl::MutexLock lock(&mutex_);
  units_.erase(unit);
}

RtuSlaveStats RtuSlave::stats() const {
  absl::MutexLock lock(&mutex_);
  return stats_;
}

// Sleeps until `target`, spinning the last 200 us: a device's reply delay
// should not depend on timer slack.
void RtuSlave::WaitUntil(absl::Duration target) {
  const absl::Duration spin = absl::Microseconds(200);
  const absl::Duration now = clock_->MonotonicNow();
  if (target - now > spin) clock_->SleepFor(target - now - spin);
  while (clock_->MonotonicNow() < target) {
  }
}

void RtuSlave::Run() {
  if (options_.realtime_priority > 0) {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    sched_param param{};
    param.sched_priority = std::min(options_.realtime_priority, 99);
    (void)pthread_setschedparam(pthread_self(), SCHED_FIFO, &param);
  }
  const absl::Duration silence =
      std::max(port_->CharacterTime() * 3.5, absl::Microseconds(1750));
  // Give up an incomplete frame after this much silence: long enough not to
  // cut a frame delayed by scheduling jitter, shorter than a master's retry.
  const absl::Duration give_up =
      std::max(port_->CharacterTime() * 20, absl::Milliseconds(20));
  uint8_t chunk[256];
  while (!stop_) {
    absl::Duration timeout = absl::Milliseconds(50);
    if (!buffer_.empty()) {
      // A frame of unknown length that already has a good CRC ends at t3.5.
      const int length = RequestLength(buffer_.data(), buffer_.size());
      const bool may_end_here =
          length == 0 ||
          (length > 0 && buffer_.size() >= static_cast<size_t>(length));
      timeout =
          may_end_here && GoodFrame(0, buffer_.size()) ? silence : give_up;
    }
    absl::StatusOr<size_t> got = port_->ReadFor(absl::MakeSpan(chunk), timeout);
    if (got.ok()) {
      buffer_.insert(buffer_.end(), chunk, chunk + *got);
      last_byte_at_ = clock_->MonotonicNow();
      Process(/*flush=*/false);
    } else if (absl::IsDeadlineExceeded(got.status())) {
      if (!buffer_.empty()) Process(/*flush=*/true);
    } else {
      EWS_LOG(WARNING) << "RTU slave on " << port_->name() << ": "
                       << got.status();
      clock_->SleepFor(absl::Milliseconds(50));
    }
  }
}

bool RtuSlave::GoodFrame(size_t offset, size_t length) {
  return length >= 4 && offset + length <= buffer_.size() &&
         codec_->Check(absl::MakeConstSpan(buffer_.data() + offset, length))
             .ok();
}

void RtuSlave::Process(bool flush) {
  // A frame ending within buffer_[0, checked_) was checked by the last call.
  auto candidate = [&](size_t offset, int length) {
    return length > 0 && offset + length <= buffer_.size() &&
           (flush || offset + length > checked_) && GoodFrame(offset, length);
  };
  size_t start = 0;  // buffer_[0, start) is consumed
  while (start < buffer_.size()) {
    const size_t size = buffer_.size() - start;
    const int length = RequestLength(buffer_.data() + start, size);
    if (candidate(start, length)) {
      HandleFrame(absl::MakeConstSpan(buffer_.data() + start, length));
      start += length;
      continue;
    }
    if (!flush) {
      // Bytes that start no frame yet: skip to a good frame further on (a
      // request right after a foreign frame), else wait for more or for
      // silence.
      size_t next = start + 1;
      for (; next < buffer_.size(); ++next) {
        if (candidate(next, RequestLength(buffer_.data() + next,
                                          buffer_.size() - next))) {
          break;
        }
      }
      if (next == buffer_.size()) break;
      {
        absl::MutexLock lock(&mutex_);
        stats_.discarded += next - start;
      }
      start = next;
      continue;
    }
    // The line went silent: what it holds is one frame if its CRC is good
    // (a function whose length we cannot tell, a malformed request), else
    // its first byte belongs to no frame.
    if (GoodFrame(start, size)) {
      HandleFrame(absl::MakeConstSpan(buffer_.data() + start, size));
      start += size;
      continue;
    }
    ++start;
    absl::MutexLock lock(&mutex_);
    ++stats_.discarded;
  }
  buffer_.erase(buffer_.begin(), buffer_.begin() + start);
  checked_ = buffer_.size();
}

void RtuSlave::HandleFrame(absl::Span<const uint8_t> frame) {
  const uint8_t unit = frame[0];
  std::vector<std::shared_ptr<RtuUnitHandler>> handlers;
  {
    absl::MutexLock lock(&mutex_);
    ++stats_.frames;
    if (unit == kBroadcastUnit) {
      for (const auto& [id, at_unit] : units_) {
        handlers.insert(handlers.end(), at_unit.begin(), at_unit.end());
      }
    } else if (auto it = units_.find(unit); it != units_.end()) {
      handlers = it->second;
    }
  }
  const Pdu request(frame.begin() + 1, frame.end() - 2);
  if (unit == kBroadcastUnit) {  // everyone acts, nobody answers
    for (const auto& handler : handlers) handler->HandleBroadcast(request);
    return;
  }
  if (handlers.empty()) return;  // another slave's request
  RtuUnitHandler* chosen = handlers.front().get();
  for (const auto& handler : handlers) {
    if (handler->Serves(request)) {
      chosen = handler.get();
      break;
    }
  }
  {
    absl::MutexLock lock(&mutex_);
    ++stats_.requests;
  }
  const RtuReply reply = chosen->HandleRequest(request);
  if (reply.pdu.empty()) return;  // silent
  absl::StatusOr<std::vector<uint8_t>> adu = codec_->Encode(unit, reply.pdu);
  if (!adu.ok()) {
    EWS_LOG(WARNING) << "RTU slave unit " << int{unit} << ": " << adu.status();
    return;
  }
  if (reply.corrupt_crc) {
    adu->end()[-2] ^= 0xFF;
    adu->end()[-1] ^= 0xFF;
  }
  // A device answers no sooner than t3.5 after the request.
  const absl::Duration silence =
      std::max(port_->CharacterTime() * 3.5, absl::Microseconds(1750));
  WaitUntil(
      last_byte_at_ +
      std::max(reply.reply_delay.value_or(options_.reply_delay), silence));
  absl::Status written = port_->Write(*adu);
  if (!written.ok()) {
    EWS_LOG(WARNING) << "RTU slave unit " << int{unit} << ": " << written;
    return;
  }
  absl::MutexLock lock(&mutex_);
  ++stats_.replies;
}

}  // namespace ews::modbus
