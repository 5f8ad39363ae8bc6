#include "sdk/modbus/rtu_transport.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sdk/base/status_macros.h"
#include "sdk/modbus/internal/rtu_codec.h"

namespace ews::modbus {
namespace {
// 256 bytes per spec, with room to notice an over-long frame.
constexpr size_t kMaxRtuFrame = 300;
}  // namespace

absl::StatusOr<std::unique_ptr<RtuTransport>> RtuTransport::Create(
    hal::SerialPort* port, const RtuOptions& options) {
  if (port == nullptr) return absl::InvalidArgumentError("no serial port");
  EWS_ASSIGN_OR_RETURN(std::unique_ptr<internal::RtuCodec> codec,
                       internal::RtuCodec::Create());
  return std::unique_ptr<RtuTransport>(
      new RtuTransport(port, options, std::move(codec)));
}

RtuTransport::RtuTransport(hal::SerialPort* port, const RtuOptions& options,
                           std::unique_ptr<internal::RtuCodec> codec)
    : port_(port),
      options_(options),
      clock_(options.clock != nullptr ? options.clock : &SystemClock::Get()),
      codec_(std::move(codec)) {}

RtuTransport::~RtuTransport() = default;

std::string RtuTransport::Describe() const {
  return absl::StrCat(port_->name(), " ", port_->settings().ToString());
}

absl::Duration RtuTransport::InterFrameSilence() const {
  return std::max(port_->CharacterTime() * 3.5, absl::Microseconds(1750));
}

void RtuTransport::WaitForSilence() {
  const absl::Duration now = clock_->MonotonicNow();
  if (now < line_free_at_) clock_->SleepFor(line_free_at_ - now);
}

absl::StatusOr<Pdu> RtuTransport::Exchange(uint8_t unit, const Pdu& request,
                                           absl::Duration response_timeout) {
  EWS_ASSIGN_OR_RETURN(std::vector<uint8_t> adu, codec_->Encode(unit, request));
  WaitForSilence();
  // A late answer to an earlier request must not pass for this one's.
  EWS_RETURN_IF_ERROR(port_->FlushInput());
  const absl::Duration silence = InterFrameSilence();
  const absl::Duration transmit = port_->settings().TransmitTime(adu.size());
  EWS_RETURN_IF_ERROR(port_->Write(adu));
  const absl::Duration sent_at = clock_->MonotonicNow();
  if (unit == kBroadcastUnit) {
    line_free_at_ = sent_at + transmit + options_.turnaround_delay;
    return Pdu();
  }
  uint8_t frame[kMaxRtuFrame];
  absl::StatusOr<size_t> got =
      port_->ReadFrame(absl::MakeSpan(frame, sizeof frame),
                       transmit + response_timeout, silence);
  // ReadFrame returns after t3.5 of silence (or a timeout, itself longer).
  line_free_at_ = clock_->MonotonicNow();
  if (!got.ok()) {
    if (absl::IsDeadlineExceeded(got.status())) {
      return absl::DeadlineExceededError(absl::StrCat(
          "unit ", unit, " did not answer within ",
          absl::FormatDuration(response_timeout), " on ", port_->name()));
    }
    return got.status();
  }
  size_t total = *got;
  // A frame whose CRC fails may have been split by a scheduling hiccup (on a
  // loaded host or a USB adapter the gap between two characters can exceed
  // t3.5): keep reading briefly while the CRC fails and more bytes come.
  absl::Status crc = codec_->Check(absl::Span<const uint8_t>(frame, total));
  const absl::Duration continuation =
      std::max(port_->CharacterTime() * 20, absl::Milliseconds(10));
  while (!crc.ok() && total < kMaxRtuFrame) {
    absl::StatusOr<size_t> more =
        port_->ReadFrame(absl::MakeSpan(frame + total, kMaxRtuFrame - total),
                         continuation, silence);
    if (!more.ok()) break;
    total += *more;
    crc = codec_->Check(absl::Span<const uint8_t>(frame, total));
  }
  line_free_at_ = clock_->MonotonicNow();
  EWS_RETURN_IF_ERROR(crc);
  absl::Span<const uint8_t> received(frame, total);
  if (received[0] != unit) {
    return absl::DataLossError(absl::StrCat("answer from unit ", received[0],
                                            " to a request for unit ", unit));
  }
  return Pdu(received.begin() + 1, received.end() - 2);
}

}  // namespace ews::modbus
