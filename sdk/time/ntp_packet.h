// The NTP packet (RFC 5905 §7.3; SNTP, RFC 4330, uses the same 48 bytes)
// and NTP timestamps.
#pragma once

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ews::ntp {

inline constexpr size_t kPacketBytes = 48;

enum class Mode : uint8_t { kClient = 3, kServer = 4, kBroadcast = 5 };
inline constexpr uint8_t kLeapAlarm = 3;  // server clock not synchronised

// 32.32 fixed point seconds since 1900-01-01 (era 0), as on the wire.
using NtpTimestamp = uint64_t;

// `time` as an NTP timestamp (any era wraps into 64 bits).
NtpTimestamp ToNtpTimestamp(absl::Time time);

// The time an NTP timestamp stands for: of the eras it may be in, the one
// closest to `pivot` (so it works across the 2036 wrap).
absl::Time FromNtpTimestamp(NtpTimestamp timestamp, absl::Time pivot);

struct NtpPacket {
  uint8_t leap = 0;
  uint8_t version = 4;
  Mode mode = Mode::kClient;
  uint8_t stratum = 0;
  int8_t poll = 0;
  int8_t precision = 0;
  uint32_t root_delay = 0;       // 16.16 seconds
  uint32_t root_dispersion = 0;  // 16.16 seconds
  uint32_t reference_id = 0;     // for stratum 0: the kiss code (ASCII)
  NtpTimestamp reference = 0;
  NtpTimestamp origin = 0;
  NtpTimestamp receive = 0;
  NtpTimestamp transmit = 0;
};

std::string EncodePacket(const NtpPacket& packet);

// DataLoss if shorter than kPacketBytes (extension fields and MACs after the
// 48 bytes are ignored).
absl::StatusOr<NtpPacket> DecodePacket(absl::string_view bytes);

// The kiss code of a stratum-0 packet ("RATE", "DENY", ...): reference_id as
// four ASCII characters.
std::string KissCode(const NtpPacket& packet);

// 16.16 fixed point seconds (root delay, root dispersion) as a duration.
absl::Duration ShortToDuration(uint32_t value);

}  // namespace ews::ntp
