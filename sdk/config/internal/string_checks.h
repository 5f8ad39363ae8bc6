// The string checks of the configuration validator: identifiers, hosts, IP
// addresses and CIDR prefixes, e-mail addresses, time zone names, paths.
// Each answers a yes/no question about one string; the validator turns a
// "no" into a FieldError with the field's path.
#pragma once

#include <cstdint>
#include <string>

#include "absl/strings/string_view.h"

namespace ews::config::internal {

inline constexpr int kMaxIdChars = 32;

// `s` in double quotes, C-escaped ("a\nb" for a newline), for messages.
std::string Quote(absl::string_view s);

// Number of UTF-8 code points (protobuf guarantees valid UTF-8 in strings).
int CodePoints(absl::string_view s);

// Any byte below 0x20 or DEL.
bool HasControlChars(absl::string_view s);

// 1..kMaxIdChars of [a-z0-9_-], starting with a letter or digit.
bool IsId(absl::string_view s);

// Dotted-quad IPv4 (no leading zeros, no embedded NUL); `out` (may be null)
// receives the address in host byte order.
bool ParseIpv4(absl::string_view s, uint32_t* out);

bool IsIpv6(absl::string_view s);

// IPv4 or IPv6 literal.
bool IsIpLiteral(absl::string_view s);

// 1..63 of [A-Za-z0-9-], no leading or trailing '-'.
bool IsHostnameLabel(absl::string_view label);

// An RFC 1123 host name or an IP literal. All-numeric names must be valid
// IPv4 ("999.1.1.1" is a typo, not a host).
bool IsHost(absl::string_view s);

// "address/length", IPv4 (0..32) or IPv6 (0..128).
bool IsCidr(absl::string_view s);

// local@domain.tld; the domain a host name with a dot, not an IP literal.
bool IsEmail(absl::string_view s);

// An IANA-style name ("Europe/Zurich", "Etc/GMT+1"): no empty, "." or ".."
// part, starting with a letter.
bool IsTimeZoneName(absl::string_view s);

// Starts with '/', no ".." part, no control characters.
bool IsAbsolutePath(absl::string_view s);

// Does not start with '/', no ".." part, no backslash or control characters.
bool IsRelativePath(absl::string_view s);

// 127.0.0.0/8, "::1" or "localhost".
bool IsLoopback(absl::string_view host);

}  // namespace ews::config::internal
