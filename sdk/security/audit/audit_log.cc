#include "sdk/security/audit/audit_log.h"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "sdk/base/files.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"

namespace ews::security {
namespace {

constexpr char kCurrent[] = "audit.log";
constexpr char kPrevious[] = "audit.log.1";
constexpr size_t kFixedFields = 7;

std::string Escape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    const auto u = static_cast<unsigned char>(c);
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (u < 0x20 || u == 0x7F) {
          absl::StrAppendFormat(&out, "\\x%02x", u);
        } else {
          out.push_back(c);
        }
    }
  }
  return out;
}

bool Unescape(absl::string_view text, std::string* out) {
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out->push_back(text[i]);
      continue;
    }
    if (++i >= text.size()) return false;
    switch (text[i]) {
      case '\\':
        out->push_back('\\');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 'x': {
        const absl::string_view hex = text.substr(i + 1, 2);
        int value = 0;
        if (hex.size() != 2 || !absl::ascii_isxdigit(hex[0]) ||
            !absl::ascii_isxdigit(hex[1]) ||
            !absl::SimpleHexAtoi(hex, &value)) {
          return false;
        }
        out->push_back(static_cast<char>(value));
        i += 2;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

// Reads `path` (empty if missing).
absl::StatusOr<std::string> ReadIfPresent(const std::string& path,
                                          size_t max_bytes) {
  absl::StatusOr<std::string> text = ReadFileToString(path, max_bytes);
  if (absl::IsNotFound(text.status())) return std::string();
  return text;
}

}  // namespace

bool IsSensitiveField(absl::string_view field) {
  const size_t dot = field.rfind('.');
  const std::string last = absl::AsciiStrToLower(
      dot == absl::string_view::npos ? field : field.substr(dot + 1));
  for (const char* word :
       {"pin", "puk", "password", "secret", "salt", "hash", "token", "key"}) {
    if (last.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string FormatAuditLine(const AuditEntry& entry) {
  std::string line =
      absl::StrCat(entry.sequence, "\t", absl::ToUnixMicros(entry.time), "\t",
                   Escape(entry.actor), "\t", Escape(entry.client_address),
                   "\t", Escape(entry.action), "\t", Escape(entry.outcome),
                   "\t", Escape(entry.detail));
  for (const AuditChange& change : entry.changes) {
    absl::StrAppend(&line, "\t", Escape(change.field), "\t",
                    Escape(change.from), "\t", Escape(change.to));
  }
  return line;
}

absl::StatusOr<AuditEntry> ParseAuditLine(absl::string_view line) {
  std::vector<absl::string_view> fields = absl::StrSplit(line, '\t');
  if (fields.size() < kFixedFields || (fields.size() - kFixedFields) % 3 != 0) {
    return absl::DataLossError("audit line has a wrong number of fields");
  }
  AuditEntry entry;
  int64_t micros = 0;
  if (!absl::SimpleAtoi(fields[0], &entry.sequence) || entry.sequence == 0 ||
      !absl::SimpleAtoi(fields[1], &micros)) {
    return absl::DataLossError("audit line has a bad sequence or time");
  }
  entry.time = absl::FromUnixMicros(micros);
  std::string* text_fields[] = {&entry.actor, &entry.client_address,
                                &entry.action, &entry.outcome, &entry.detail};
  for (size_t i = 0; i < 5; ++i) {
    if (!Unescape(fields[2 + i], text_fields[i])) {
      return absl::DataLossError("audit line has a bad escape");
    }
  }
  for (size_t i = kFixedFields; i < fields.size(); i += 3) {
    AuditChange change;
    if (!Unescape(fields[i], &change.field) ||
        !Unescape(fields[i + 1], &change.from) ||
        !Unescape(fields[i + 2], &change.to)) {
      return absl::DataLossError("audit line has a bad escape");
    }
    entry.changes.push_back(std::move(change));
  }
  return entry;
}

AuditLog::AuditLog(std::string directory, const Clock& clock,
                   AuditOptions options)
    : directory_(std::move(directory)), clock_(clock), options_(options) {}

std::string AuditLog::current_path() const {
  return absl::StrCat(directory_, "/", kCurrent);
}
std::string AuditLog::previous_path() const {
  return absl::StrCat(directory_, "/", kPrevious);
}

absl::StatusOr<std::unique_ptr<AuditLog>> AuditLog::Open(std::string directory,
                                                         const Clock& clock,
                                                         AuditOptions options) {
  if (options.max_bytes < 4096) {
    return absl::InvalidArgumentError("audit max_bytes must be >= 4096");
  }
  if (mkdir(directory.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoToStatus(errno, absl::StrCat("creating ", directory));
  }
  auto log = std::unique_ptr<AuditLog>(
      new AuditLog(std::move(directory), clock, options));
  absl::MutexLock lock(&log->mutex_);
  const size_t limit = 2 * options.max_bytes;
  EWS_ASSIGN_OR_RETURN(std::string current,
                       ReadIfPresent(log->current_path(), limit));
  // Cut a line torn by a power cut.
  const size_t keep = current.empty() ? 0 : current.rfind('\n') + 1;
  if (keep != current.size()) {
    EWS_LOG(WARNING) << log->current_path() << ": cutting "
                     << current.size() - keep << " bytes of a torn entry";
    if (truncate(log->current_path().c_str(), keep) != 0) {
      return ErrnoToStatus(errno, "truncating the audit log");
    }
    current.resize(keep);
  }
  log->current_bytes_ = current.size();
  // The last sequence number: the current file's last line, else the
  // previous file's.
  for (const std::string& text :
       {current, ReadIfPresent(log->previous_path(), limit).value_or("")}) {
    std::vector<absl::string_view> lines =
        absl::StrSplit(text, '\n', absl::SkipEmpty());
    for (auto it = lines.rbegin(); it != lines.rend(); ++it) {
      absl::StatusOr<AuditEntry> entry = ParseAuditLine(*it);
      if (entry.ok()) {
        log->last_sequence_ = std::max(log->last_sequence_, entry->sequence);
        break;
      }
    }
    if (log->last_sequence_ != 0) break;
  }
  return log;
}

absl::Status AuditLog::RotateLocked() {
  if (rename(current_path().c_str(), previous_path().c_str()) != 0) {
    return ErrnoToStatus(errno, "rotating the audit log");
  }
  current_bytes_ = 0;
  return FsyncDirectory(directory_);
}

absl::StatusOr<uint64_t> AuditLog::Append(AuditEntry entry) {
  for (AuditChange& change : entry.changes) {
    if (IsSensitiveField(change.field)) {
      change.from = kRedacted;
      change.to = kRedacted;
    }
  }
  entry.time = clock_.WallNow();
  absl::MutexLock lock(&mutex_);
  entry.sequence = last_sequence_ + 1;
  const std::string line = FormatAuditLine(entry) + "\n";
  if (line.size() > options_.max_bytes / 4) {
    return absl::InvalidArgumentError(
        absl::StrCat("audit entry of ", line.size(), " bytes is too large"));
  }
  if (current_bytes_ > 0 &&
      current_bytes_ + line.size() > options_.max_bytes / 2) {
    EWS_RETURN_IF_ERROR(RotateLocked());
  }
  const std::string path = current_path();
  const int fd =
      open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return ErrnoToStatus(errno, absl::StrCat("opening ", path));
  size_t written = 0;
  int error = 0;
  while (written < line.size()) {
    const ssize_t n = write(fd, line.data() + written, line.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      error = errno;
      break;
    }
    written += static_cast<size_t>(n);
  }
  if (error == 0 && fdatasync(fd) != 0) error = errno;
  if (error != 0) {
    // Leave no half entry behind.
    (void)ftruncate(fd, static_cast<off_t>(current_bytes_));
    close(fd);
    return ErrnoToStatus(error, absl::StrCat("appending to ", path));
  }
  close(fd);
  if (current_bytes_ == 0) EWS_RETURN_IF_ERROR(FsyncDirectory(directory_));
  current_bytes_ += line.size();
  last_sequence_ = entry.sequence;
  return entry.sequence;
}

absl::StatusOr<std::vector<AuditEntry>> AuditLog::Read(size_t limit,
                                                       uint64_t before) const {
  absl::MutexLock lock(&mutex_);
  const size_t max = 2 * options_.max_bytes;
  EWS_ASSIGN_OR_RETURN(std::string previous,
                       ReadIfPresent(previous_path(), max));
  EWS_ASSIGN_OR_RETURN(std::string current, ReadIfPresent(current_path(), max));
  std::vector<AuditEntry> out;
  size_t skipped = 0;
  for (const std::string* text : {&current, &previous}) {
    std::vector<absl::string_view> lines =
        absl::StrSplit(*text, '\n', absl::SkipEmpty());
    for (auto it = lines.rbegin(); it != lines.rend() && out.size() < limit;
         ++it) {
      absl::StatusOr<AuditEntry> entry = ParseAuditLine(*it);
      if (!entry.ok()) {
        ++skipped;
        continue;
      }
      if (before != 0 && entry->sequence >= before) continue;
      out.push_back(*std::move(entry));
    }
  }
  if (skipped > 0) {
    EWS_LOG(WARNING) << "audit log: skipped " << skipped
                     << " unreadable line(s)";
  }
  return out;
}

}  // namespace ews::security
