#include "sdk/reports/message.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"

namespace ews::reports {
namespace {

constexpr char kBoundary[] = "=_ews_report_part_boundary";

bool IsAscii(absl::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80 || c < 0x20) return false;
  }
  return true;
}

// RFC 2047 encoded word(s) for a non-ASCII header value.
std::string EncodeHeader(absl::string_view value) {
  if (IsAscii(value)) return std::string(value);
  // 39 bytes → 52 base64 characters per encoded word (a 73-character first
  // line with "Subject: "); split on UTF-8
  // character boundaries.
  std::vector<std::string> words;
  size_t start = 0;
  while (start < value.size()) {
    size_t end = std::min(value.size(), start + 39);
    while (end < value.size() &&
           (static_cast<unsigned char>(value[end]) & 0xC0) == 0x80) {
      --end;
    }
    words.push_back(absl::StrCat(
        "=?UTF-8?B?", Base64(value.substr(start, end - start)), "?="));
    start = end;
  }
  return absl::StrJoin(words, "\r\n ");
}

void AppendBase64Lines(absl::string_view bytes, std::string* out) {
  const std::string encoded = Base64(bytes);
  for (size_t i = 0; i < encoded.size(); i += 76) {
    absl::StrAppend(out, absl::string_view(encoded).substr(i, 76), "\r\n");
  }
}

}  // namespace

std::string Base64(absl::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                       (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                       static_cast<unsigned char>(bytes[i + 2]);
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  const size_t rest = bytes.size() - i;
  if (rest > 0) {
    uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
    if (rest == 2) v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out += kAlphabet[v >> 18];
    out += kAlphabet[(v >> 12) & 63];
    out += rest == 2 ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string BuildMessage(const Email& email) {
  std::string m;
  absl::StrAppend(&m, "From: ", email.from, "\r\n");
  absl::StrAppend(&m, "To: ", absl::StrJoin(email.recipients, ",\r\n "),
                  "\r\n");
  absl::StrAppend(&m, "Subject: ", EncodeHeader(email.subject), "\r\n");
  absl::StrAppend(&m, "Date: ",
                  absl::FormatTime("%a, %d %b %Y %H:%M:%S +0000", email.date,
                                   absl::UTCTimeZone()),
                  "\r\n");
  absl::StrAppend(&m, "Message-ID: ", email.message_id, "\r\n");
  absl::StrAppend(&m, "MIME-Version: 1.0\r\n");
  absl::StrAppend(&m, "Content-Type: multipart/mixed; boundary=\"", kBoundary,
                  "\"\r\n\r\n");
  absl::StrAppend(&m, "--", kBoundary, "\r\n");
  absl::StrAppend(&m, "Content-Type: text/plain; charset=utf-8\r\n");
  absl::StrAppend(&m, "Content-Transfer-Encoding: base64\r\n\r\n");
  AppendBase64Lines(absl::StrReplaceAll(email.body, {{"\n", "\r\n"}}), &m);
  for (const Attachment& a : email.attachments) {
    absl::StrAppend(&m, "--", kBoundary, "\r\n");
    absl::StrAppend(&m, "Content-Type: text/csv; charset=utf-8; name=\"",
                    a.file_name, "\"\r\n");
    absl::StrAppend(&m, "Content-Disposition: attachment; filename=\"",
                    a.file_name, "\"\r\n");
    absl::StrAppend(&m, "Content-Transfer-Encoding: base64\r\n\r\n");
    AppendBase64Lines(a.bytes, &m);
  }
  absl::StrAppend(&m, "--", kBoundary, "--\r\n");
  return m;
}

}  // namespace ews::reports
