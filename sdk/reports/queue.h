// The persistent delivery queue: one file per pending delivery in a
// directory, written atomically (sdk/base/files.h), so a restart or a power
// cut loses no report. A failed delivery is retried with exponential
// back-off; after `max_attempts` it is dropped (the caller audits that).
//
// A job file is text headers ("key: value" lines), an empty line, then the
// payload bytes (the e-mail, or the file to upload). It holds the target's
// password: the directory must be private to the server (files are 0600).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"

namespace ews::reports {

enum class Transport { kSmtp, kUpload };
enum class Tls { kNone, kStartTls, kImplicit };

struct Job {
  std::string id;      // the file name, set by Enqueue()
  std::string report;  // the report's name, for the audit log and the UI
  Transport transport = Transport::kSmtp;
  // SMTP: "smtp://host:port" (Tls::kImplicit: "smtps://"). Upload: the
  // file's full URL, "ftp://host:port/dir/name.csv" or "https://host/dav/x".
  std::string url;
  Tls tls = Tls::kNone;
  std::string username;  // empty: no authentication
  std::string password;
  std::string ca_file;  // trust anchors for the server certificate ("": system)
  std::string mail_from;
  std::vector<std::string> recipients;
  int attempts = 0;
  absl::Time next_attempt = absl::InfinitePast();
  std::string last_error;
  std::string payload;
};

// The file contents for `job`, and back. InvalidArgument when a header value
// holds a line break (or the file is not a job).
absl::StatusOr<std::string> SerializeJob(const Job& job);
absl::StatusOr<Job> ParseJob(absl::string_view contents);

struct QueueOptions {
  absl::Duration first_retry = absl::Minutes(1);
  absl::Duration max_retry = absl::Hours(1);  // the back-off stops doubling
  int max_attempts = 12;  // 1+2+4+...+32+60*6 min ≈ 7 h of retries
  int max_jobs = 500;     // Enqueue() refuses beyond this
};

class DeliveryQueue {
 public:
  // Creates `dir` if needed. Files that do not parse are renamed "*.bad".
  static absl::StatusOr<DeliveryQueue> Open(std::string dir, Clock* clock,
                                            QueueOptions options = {});

  // Stores `job` (due at once unless job.next_attempt is later); returns its
  // id. ResourceExhausted when max_jobs are pending; file errors as
  // WriteFileAtomically().
  absl::StatusOr<std::string> Enqueue(Job job);
  // Jobs whose next attempt is due, oldest first.
  absl::StatusOr<std::vector<Job>> Due() const;
  absl::StatusOr<std::vector<Job>> All() const;
  // The delivery succeeded: the job file goes.
  absl::Status Remove(const std::string& id);
  // The delivery failed: schedules the next attempt after the back-off.
  // Returns true when the job was dropped (max_attempts reached).
  absl::StatusOr<bool> Failed(const std::string& id, absl::string_view error);

  // The wait before attempt `attempts + 1` after `attempts` failures.
  absl::Duration Backoff(int attempts) const;
  const std::string& dir() const { return dir_; }

 private:
  DeliveryQueue(std::string dir, Clock* clock, QueueOptions options)
      : dir_(std::move(dir)), clock_(clock), options_(options) {}
  absl::StatusOr<std::vector<Job>> Load(bool due_only) const;

  std::string dir_;
  Clock* clock_;
  QueueOptions options_;
};

}  // namespace ews::reports
