#include "sdk/time/ntp_packet.h"

#include <cmath>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ews::ntp {
namespace {

// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01.
constexpr int64_t kNtpToUnix = 2208988800;
constexpr int64_t kEraSeconds = int64_t{1} << 32;

void Put32(std::string* out, uint32_t value) {
  out->push_back(static_cast<char>(value >> 24));
  out->push_back(static_cast<char>(value >> 16));
  out->push_back(static_cast<char>(value >> 8));
  out->push_back(static_cast<char>(value));
}

void Put64(std::string* out, uint64_t value) {
  Put32(out, static_cast<uint32_t>(value >> 32));
  Put32(out, static_cast<uint32_t>(value));
}

uint32_t Get32(absl::string_view bytes, size_t at) {
  return (uint32_t{static_cast<uint8_t>(bytes[at])} << 24) |
         (uint32_t{static_cast<uint8_t>(bytes[at + 1])} << 16) |
         (uint32_t{static_cast<uint8_t>(bytes[at + 2])} << 8) |
         uint32_t{static_cast<uint8_t>(bytes[at + 3])};
}

uint64_t Get64(absl::string_view bytes, size_t at) {
  return (uint64_t{Get32(bytes, at)} << 32) | Get32(bytes, at + 4);
}

}  // namespace

NtpTimestamp ToNtpTimestamp(absl::Time time) {
  const absl::Duration since_unix = time - absl::UnixEpoch();
  const int64_t seconds =
      absl::ToInt64Seconds(absl::Floor(since_unix, absl::Seconds(1)));
  const absl::Duration fraction = since_unix - absl::Seconds(seconds);
  const uint64_t fraction_bits =
      static_cast<uint64_t>(absl::ToDoubleSeconds(fraction) * 4294967296.0);
  const uint64_t ntp_seconds =
      static_cast<uint64_t>(seconds + kNtpToUnix) & 0xFFFFFFFFull;
  return (ntp_seconds << 32) | (fraction_bits & 0xFFFFFFFFull);
}

absl::Time FromNtpTimestamp(NtpTimestamp timestamp, absl::Time pivot) {
  const int64_t seconds_in_era = static_cast<int64_t>(timestamp >> 32);
  const double fraction =
      static_cast<double>(timestamp & 0xFFFFFFFFull) / 4294967296.0;
  const int64_t pivot_ntp = absl::ToUnixSeconds(pivot) + kNtpToUnix;
  // The era that puts the timestamp nearest the pivot.
  const int64_t n = pivot_ntp - seconds_in_era + kEraSeconds / 2;
  int64_t era = n / kEraSeconds;
  if (n % kEraSeconds != 0 && n < 0) --era;  // floor division
  const int64_t ntp_seconds = era * kEraSeconds + seconds_in_era;
  return absl::FromUnixSeconds(ntp_seconds - kNtpToUnix) +
         absl::Seconds(fraction);
}

std::string EncodePacket(const NtpPacket& packet) {
  std::string out;
  out.reserve(kPacketBytes);
  out.push_back(static_cast<char>(((packet.leap & 3) << 6) |
                                  ((packet.version & 7) << 3) |
                                  (static_cast<uint8_t>(packet.mode) & 7)));
  out.push_back(static_cast<char>(packet.stratum));
  out.push_back(static_cast<char>(packet.poll));
  out.push_back(static_cast<char>(packet.precision));
  Put32(&out, packet.root_delay);
  Put32(&out, packet.root_dispersion);
  Put32(&out, packet.reference_id);
  Put64(&out, packet.reference);
  Put64(&out, packet.origin);
  Put64(&out, packet.receive);
  Put64(&out, packet.transmit);
  return out;
}

absl::StatusOr<NtpPacket> DecodePacket(absl::string_view bytes) {
  if (bytes.size() < kPacketBytes) {
    return absl::DataLossError(absl::StrCat(
        "NTP packet of ", bytes.size(), " bytes, ", kPacketBytes, " needed"));
  }
  NtpPacket packet;
  const auto first = static_cast<uint8_t>(bytes[0]);
  packet.leap = first >> 6;
  packet.version = (first >> 3) & 7;
  packet.mode = static_cast<Mode>(first & 7);
  packet.stratum = static_cast<uint8_t>(bytes[1]);
  packet.poll = static_cast<int8_t>(bytes[2]);
  packet.precision = static_cast<int8_t>(bytes[3]);
  packet.root_delay = Get32(bytes, 4);
  packet.root_dispersion = Get32(bytes, 8);
  packet.reference_id = Get32(bytes, 12);
  packet.reference = Get64(bytes, 16);
  packet.origin = Get64(bytes, 24);
  packet.receive = Get64(bytes, 32);
  packet.transmit = Get64(bytes, 40);
  return packet;
}

std::string KissCode(const NtpPacket& packet) {
  std::string code;
  for (int shift = 24; shift >= 0; shift -= 8) {
    const char c = static_cast<char>((packet.reference_id >> shift) & 0xFF);
    code.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  }
  return code;
}

absl::Duration ShortToDuration(uint32_t value) {
  return absl::Seconds(static_cast<double>(value) / 65536.0);
}

}  // namespace ews::ntp
