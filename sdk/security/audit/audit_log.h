// The audit log: who did what, when, from where, with what result. Append-
// only, bounded in size, survives restarts and power cuts.
//
//   EWS_ASSIGN_OR_RETURN(auto audit, AuditLog::Open(data_dir + "/audit",
//   clock)); audit->Append({.actor = "installer", .client_address = ip,
//                  .action = "config.apply", .outcome = "ok",
//                  .changes = {{"rs485.baud_rate", "19200", "38400"}}});
//   // the administrator's view, newest first:
//   EWS_ASSIGN_OR_RETURN(std::vector<AuditEntry> page, audit->Read(100));
//
// Files in `directory` (0700), mode 0600:
//   audit.log     the current file; one entry per line, appended and fsync'd
//                 before Append() returns
//   audit.log.1   the previous file; when audit.log would grow past
//                 max_bytes / 2 it replaces audit.log.1 (rename), so the two
//                 together never hold more than max_bytes (+ one entry)
// A line torn by a power cut (no final newline) is cut off at Open(): its
// Append() never returned. Lines that do not parse are skipped by Read().
//
// Secrets: a change whose field names a secret (IsSensitiveField) is stored
// as "<redacted>" on both sides, whatever the caller passed. `detail` is
// free text and must never hold a code; AuthEvent details never do.
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"

namespace ews::security {

struct AuditChange {
  std::string field;  // "rs485.baud_rate", "users.installer.pin"
  std::string from;
  std::string to;
  bool operator==(const AuditChange& other) const {
    return field == other.field && from == other.from && to == other.to;
  }
};

struct AuditEntry {
  uint64_t sequence = 0;  // set by Append: 1, 2, ... across restarts
  absl::Time time;        // set by Append: the clock's wall time
  std::string actor;      // a role name, "-" (no session) or "system"
  std::string client_address;
  std::string action;   // "login", "config.apply", "device.command", ...
  std::string outcome;  // "ok", "denied", "failed: <reason>"
  std::string detail;   // free text, never a code
  std::vector<AuditChange> changes;
};

struct AuditOptions {
  // Both files together. >= 4 KiB.
  size_t max_bytes = 2 << 20;
};

inline constexpr char kRedacted[] = "<redacted>";

// Whether a field's value is a secret: its last dot-separated component
// contains "pin", "puk", "password", "secret", "salt", "hash", "token" or
// "key" (case-insensitive).
bool IsSensitiveField(absl::string_view field);

class AuditLog {
 public:
  // Creates `directory` (0700) if missing, cuts a torn last line, finds the
  // last sequence number. Errors: InvalidArgument (options), I/O errors.
  static absl::StatusOr<std::unique_ptr<AuditLog>> Open(
      std::string directory, const Clock& clock, AuditOptions options = {});

  // Stamps, redacts, appends and fsyncs the entry; returns its sequence
  // number. Errors: I/O errors (nothing is half-written: a failed write is
  // cut off again); InvalidArgument when one entry alone exceeds
  // max_bytes / 4.
  absl::StatusOr<uint64_t> Append(AuditEntry entry) ABSL_LOCKS_EXCLUDED(mutex_);

  // Up to `limit` entries, newest first, with a sequence number below
  // `before` (0: from the newest). Errors: I/O errors.
  absl::StatusOr<std::vector<AuditEntry>> Read(size_t limit,
                                               uint64_t before = 0) const
      ABSL_LOCKS_EXCLUDED(mutex_);

  std::string current_path() const;
  std::string previous_path() const;

 private:
  AuditLog(std::string directory, const Clock& clock, AuditOptions options);
  absl::Status RotateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const std::string directory_;
  const Clock& clock_;
  const AuditOptions options_;
  mutable absl::Mutex mutex_;
  uint64_t last_sequence_ ABSL_GUARDED_BY(mutex_) = 0;
  size_t current_bytes_ ABSL_GUARDED_BY(mutex_) = 0;
};

// One line of the file (no newline) and back; exposed for tests.
std::string FormatAuditLine(const AuditEntry& entry);
absl::StatusOr<AuditEntry> ParseAuditLine(absl::string_view line);

}  // namespace ews::security
