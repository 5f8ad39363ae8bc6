// An RFC 5322 / MIME e-mail: multipart/mixed, a UTF-8 text body and CSV
// attachments in base64. Lines end in CRLF; no line is longer than 78
// characters (headers with many recipients are folded).
#pragma once

#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace ews::reports {

struct Attachment {
  std::string file_name;  // "meter-1_2026-03-29.csv" ([A-Za-z0-9._-] only)
  std::string bytes;
};

struct Email {
  std::string from;                     // "ews@example.com"
  std::vector<std::string> recipients;  // "a@example.com"
  std::string subject;                  // UTF-8; encoded when not ASCII
  std::string body;                     // UTF-8 text, "\n" line ends
  std::vector<Attachment> attachments;
  absl::Time date;
  std::string message_id;  // "<...@host>"
};

// The message as sent on the wire. Every part is base64, so the boundary
// ("=_..." cannot occur in base64) never clashes with the content.
std::string BuildMessage(const Email& email);

// RFC 4648 base64, no line breaks.
std::string Base64(absl::string_view bytes);

}  // namespace ews::reports
