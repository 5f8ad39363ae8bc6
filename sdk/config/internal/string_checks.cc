#include "sdk/config/internal/string_checks.h"

#include <arpa/inet.h>

#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace ews::config::internal {

std::string Quote(absl::string_view s) {
  return absl::StrCat("\"", absl::CEscape(s), "\"");
}

// Number of UTF-8 code points (protobuf guarantees valid UTF-8 in strings).
int CodePoints(absl::string_view s) {
  int n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

bool HasControlChars(absl::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

bool IsId(absl::string_view s) {
  if (s.empty() || s.size() > kMaxIdChars) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = absl::ascii_islower(c) || absl::ascii_isdigit(c) ||
              (i > 0 && (c == '_' || c == '-'));
    if (!ok) return false;
  }
  return true;
}

// inet_pton() reads a C string: an embedded NUL ("1.2.3.4\0junk", legal in
// a protobuf string) must not make the prefix count as the whole.
bool ParseIpv4(absl::string_view s, uint32_t* out) {
  if (absl::StrContains(s, '\0')) return false;
  in_addr addr;
  if (inet_pton(AF_INET, std::string(s).c_str(), &addr) != 1) return false;
  if (out != nullptr) *out = ntohl(addr.s_addr);
  return true;
}

bool IsIpv6(absl::string_view s) {
  if (absl::StrContains(s, '\0')) return false;
  in6_addr addr;
  return inet_pton(AF_INET6, std::string(s).c_str(), &addr) == 1;
}

bool IsIpLiteral(absl::string_view s) {
  return ParseIpv4(s, nullptr) || IsIpv6(s);
}

bool IsHostnameLabel(absl::string_view label) {
  if (label.empty() || label.size() > 63) return false;
  if (label.front() == '-' || label.back() == '-') return false;
  for (char c : label) {
    if (!absl::ascii_isalnum(c) && c != '-') return false;
  }
  return true;
}

// An RFC 1123 host name or an IP literal. All-numeric names must be valid
// IPv4 ("999.1.1.1" is a typo, not a host).
bool IsHost(absl::string_view s) {
  if (s.empty() || s.size() > 253) return false;
  if (IsIpLiteral(s)) return true;
  bool all_numeric = true;
  for (absl::string_view label : absl::StrSplit(s, '.')) {
    if (!IsHostnameLabel(label)) return false;
    for (char c : label) {
      if (!absl::ascii_isdigit(c)) all_numeric = false;
    }
  }
  return !all_numeric;
}

bool IsCidr(absl::string_view s) {
  std::vector<absl::string_view> parts = absl::StrSplit(s, '/');
  if (parts.size() != 2) return false;
  int length = 0;
  if (!absl::SimpleAtoi(parts[1], &length) || parts[1].empty() ||
      !absl::ascii_isdigit(parts[1][0])) {
    return false;
  }
  if (ParseIpv4(parts[0], nullptr)) return length >= 0 && length <= 32;
  if (IsIpv6(parts[0])) return length >= 0 && length <= 128;
  return false;
}

bool IsEmail(absl::string_view s) {
  if (s.size() > 254) return false;
  size_t at = s.rfind('@');
  if (at == absl::string_view::npos || at == 0 || at > 64) return false;
  absl::string_view local = s.substr(0, at);
  absl::string_view domain = s.substr(at + 1);
  for (char c : local) {
    if (!absl::ascii_isalnum(c) &&
        !absl::StrContains("!#$%&'*+/=?^_`{|}~.-", c)) {
      return false;
    }
  }
  if (local.front() == '.' || local.back() == '.' ||
      absl::StrContains(local, "..")) {
    return false;
  }
  return IsHost(domain) && absl::StrContains(domain, '.') &&
         !IsIpLiteral(domain);
}

bool IsTimeZoneName(absl::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (absl::string_view part : absl::StrSplit(s, '/')) {
    if (part.empty() || part == "." || part == "..") return false;
    for (char c : part) {
      if (!absl::ascii_isalnum(c) && c != '_' && c != '-' && c != '+') {
        return false;
      }
    }
  }
  return absl::ascii_isalpha(s[0]);
}

bool IsAbsolutePath(absl::string_view s) {
  if (s.empty() || s.front() != '/' || HasControlChars(s)) return false;
  for (absl::string_view part : absl::StrSplit(s, '/')) {
    if (part == "..") return false;
  }
  return true;
}

bool IsRelativePath(absl::string_view s) {
  if ((!s.empty() && s.front() == '/') || HasControlChars(s) ||
      absl::StrContains(s, '\\')) {
    return false;
  }
  for (absl::string_view part : absl::StrSplit(s, '/')) {
    if (part == "..") return false;
  }
  return true;
}

bool IsLoopback(absl::string_view host) {
  uint32_t ip = 0;
  if (ParseIpv4(host, &ip)) return (ip >> 24) == 127;
  return host == "localhost" || host == "::1";
}

}  // namespace ews::config::internal
