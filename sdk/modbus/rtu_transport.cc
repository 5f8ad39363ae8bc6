#include "sdk/modbus/rtu_transport.h"

#include <algorithm>
#include <chrono>
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
  // Waiting is reading: bytes that arrive meanwhile (a late answer, another
  // master) are discarded and restart the silence. A simulated port moves a
  // simulated clock as it times out, so tests never block here. The last
  // ~150 us are spun on the clock rather than slept: a timer wake-up is late
  // by 50-100 us, and every microsecond here is line time lost.
  const absl::Duration spin = absl::Microseconds(150);
  uint8_t junk[64];
  for (int round = 0; round < 100; ++round) {
    const absl::Duration now = clock_->MonotonicNow();
    if (now >= line_free_at_) return;
    absl::Duration wait = line_free_at_ - now - spin;
    if (wait <= absl::ZeroDuration()) {
      // Spin, bounded in real time too: a simulated clock does not move by
      // itself (then the read below lets the port move it).
      const auto real_end = std::chrono::steady_clock::now() +
                            absl::ToChronoNanoseconds(line_free_at_ - now);
      while (clock_->MonotonicNow() < line_free_at_ &&
             std::chrono::steady_clock::now() < real_end) {
      }
      if (clock_->MonotonicNow() >= line_free_at_) return;
      wait = line_free_at_ - clock_->MonotonicNow();
    }
    absl::StatusOr<size_t> got = port_->ReadFor(absl::MakeSpan(junk), wait);
    if (got.ok()) {
      line_free_at_ = clock_->MonotonicNow() +
                      std::max(InterFrameSilence(), options_.inter_frame_delay);
    } else if (!absl::IsDeadlineExceeded(got.status())) {
      return;
    }
  }
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
  absl::StatusOr<size_t> got = port_->ReadFor(
      absl::MakeSpan(frame, sizeof frame), transmit + response_timeout);
  if (!got.ok()) {
    line_free_at_ = clock_->MonotonicNow() + options_.inter_frame_delay;
    if (absl::IsDeadlineExceeded(got.status())) {
      return absl::DeadlineExceededError(absl::StrCat(
          "unit ", unit, " did not answer within ",
          absl::FormatDuration(response_timeout), " on ", port_->name()));
    }
    return got.status();
  }
  size_t total = *got;
  absl::Duration last_byte_at = clock_->MonotonicNow();
  // The frame ends when it is complete — the length the request implies (or
  // an exception's 5 bytes) with a good CRC: no need to wait for t3.5 — or
  // else at t3.5 of silence. While the CRC fails, wait longer for more: a
  // scheduling hiccup (loaded host, USB adapter) can split a frame.
  const std::optional<size_t> expected_pdu = ExpectedResponseSize(request);
  const size_t expected =
      expected_pdu.has_value() ? *expected_pdu + 3 : kMaxRtuFrame + 1;
  const absl::Duration continuation =
      std::max(port_->CharacterTime() * 20, absl::Milliseconds(10));
  absl::Status crc = absl::DataLossError("empty frame");
  while (true) {
    const bool exception = total >= 2 && (frame[1] & 0x80) != 0;
    const bool complete_length = total == expected || (exception && total == 5);
    if (total >= 4) {
      crc = codec_->Check(absl::Span<const uint8_t>(frame, total));
      if (crc.ok() && complete_length) break;
    }
    if (total >= kMaxRtuFrame) break;
    absl::StatusOr<size_t> more =
        port_->ReadFor(absl::MakeSpan(frame + total, kMaxRtuFrame - total),
                       crc.ok() ? silence : continuation);
    if (!more.ok()) {
      if (absl::IsDeadlineExceeded(more.status())) break;  // end of frame
      line_free_at_ = clock_->MonotonicNow();
      return more.status();
    }
    total += *more;
    last_byte_at = clock_->MonotonicNow();
  }
  // The next frame may start t3.5 (or the configured delay) after this
  // one's last character.
  line_free_at_ = last_byte_at + std::max(silence, options_.inter_frame_delay);
  EWS_RETURN_IF_ERROR(crc);
  absl::Span<const uint8_t> received(frame, total);
  if (received[0] != unit) {
    return absl::DataLossError(absl::StrCat("answer from unit ", received[0],
                                            " to a request for unit ", unit));
  }
  return Pdu(received.begin() + 1, received.end() - 2);
}

}  // namespace ews::modbus
