#include "sdk/reports/queue.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "sdk/base/files.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"

namespace ews::reports {
namespace {

constexpr char kMagic[] = "ews-report-job: 1";
constexpr char kSuffix[] = ".job";

const char* TlsName(Tls tls) {
  switch (tls) {
    case Tls::kNone:
      return "none";
    case Tls::kStartTls:
      return "starttls";
    case Tls::kImplicit:
      return "implicit";
  }
  return "none";
}

}  // namespace

absl::StatusOr<std::string> SerializeJob(const Job& job) {
  std::vector<std::pair<std::string, std::string>> headers = {
      {"report", job.report},
      {"transport", job.transport == Transport::kSmtp ? "smtp" : "upload"},
      {"url", job.url},
      {"tls", TlsName(job.tls)},
      {"username", job.username},
      {"password", job.password},
      {"ca_file", job.ca_file},
      {"mail_from", job.mail_from},
      {"attempts", absl::StrCat(job.attempts)},
      {"next_attempt",
       absl::StrCat(job.next_attempt == absl::InfinitePast()
                        ? 0
                        : absl::ToUnixSeconds(job.next_attempt))},
      {"last_error", job.last_error},
  };
  for (const std::string& r : job.recipients) headers.push_back({"rcpt", r});
  std::string out = absl::StrCat(kMagic, "\n");
  for (auto& [key, value] : headers) {
    if (absl::StrContains(value, '\n') || absl::StrContains(value, '\r')) {
      if (key == "last_error") {
        std::replace(value.begin(), value.end(), '\n', ' ');
        std::replace(value.begin(), value.end(), '\r', ' ');
      } else {
        return absl::InvalidArgumentError(
            absl::StrCat("report job field ", key, " holds a line break"));
      }
    }
    absl::StrAppend(&out, key, ": ", value, "\n");
  }
  absl::StrAppend(&out, "\n", job.payload);
  return out;
}

absl::StatusOr<Job> ParseJob(absl::string_view contents) {
  const size_t end = contents.find("\n\n");
  if (!absl::StartsWith(contents, absl::StrCat(kMagic, "\n")) ||
      end == absl::string_view::npos) {
    return absl::InvalidArgumentError("not a report job");
  }
  Job job;
  bool has_url = false;
  for (absl::string_view line : absl::StrSplit(contents.substr(0, end), '\n')) {
    if (line == kMagic) continue;
    const size_t colon = line.find(": ");
    if (colon == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("report job: bad line '", line, "'"));
    }
    const absl::string_view key = line.substr(0, colon);
    const std::string value(line.substr(colon + 2));
    if (key == "report") {
      job.report = value;
    } else if (key == "transport") {
      if (value != "smtp" && value != "upload") {
        return absl::InvalidArgumentError("report job: bad transport");
      }
      job.transport = value == "smtp" ? Transport::kSmtp : Transport::kUpload;
    } else if (key == "url") {
      job.url = value;
      has_url = !value.empty();
    } else if (key == "tls") {
      if (value == "none") {
        job.tls = Tls::kNone;
      } else if (value == "starttls") {
        job.tls = Tls::kStartTls;
      } else if (value == "implicit") {
        job.tls = Tls::kImplicit;
      } else {
        return absl::InvalidArgumentError("report job: bad tls");
      }
    } else if (key == "username") {
      job.username = value;
    } else if (key == "password") {
      job.password = value;
    } else if (key == "ca_file") {
      job.ca_file = value;
    } else if (key == "mail_from") {
      job.mail_from = value;
    } else if (key == "rcpt") {
      job.recipients.push_back(value);
    } else if (key == "attempts") {
      if (!absl::SimpleAtoi(value, &job.attempts) || job.attempts < 0) {
        return absl::InvalidArgumentError("report job: bad attempts");
      }
    } else if (key == "next_attempt") {
      int64_t seconds = 0;
      if (!absl::SimpleAtoi(value, &seconds)) {
        return absl::InvalidArgumentError("report job: bad next_attempt");
      }
      job.next_attempt =
          seconds == 0 ? absl::InfinitePast() : absl::FromUnixSeconds(seconds);
    } else if (key == "last_error") {
      job.last_error = value;
    }  // unknown keys (a newer version's) are ignored
  }
  if (!has_url) return absl::InvalidArgumentError("report job: no url");
  if (job.transport == Transport::kSmtp && job.recipients.empty()) {
    return absl::InvalidArgumentError("report job: e-mail without recipient");
  }
  job.payload = std::string(contents.substr(end + 2));
  return job;
}

absl::StatusOr<DeliveryQueue> DeliveryQueue::Open(std::string dir, Clock* clock,
                                                  QueueOptions options) {
  if (clock == nullptr || dir.empty()) {
    return absl::InvalidArgumentError("report queue: no clock or directory");
  }
  if (options.max_attempts < 1 || options.max_jobs < 1 ||
      options.first_retry <= absl::ZeroDuration() ||
      options.max_retry < options.first_retry) {
    return absl::InvalidArgumentError("report queue: bad options");
  }
  if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return ErrnoToStatus(errno, absl::StrCat("mkdir ", dir));
  }
  DeliveryQueue queue(std::move(dir), clock, options);
  EWS_RETURN_IF_ERROR(queue.Load(false).status());  // sets bad files aside
  return queue;
}

absl::StatusOr<std::vector<Job>> DeliveryQueue::Load(bool due_only) const {
  DIR* d = opendir(dir_.c_str());
  if (d == nullptr) return ErrnoToStatus(errno, absl::StrCat("open ", dir_));
  std::vector<std::string> names;
  while (dirent* e = readdir(d)) {
    if (absl::EndsWith(e->d_name, kSuffix)) names.push_back(e->d_name);
  }
  closedir(d);
  std::sort(names.begin(), names.end());  // ids sort by creation
  const absl::Time now = clock_->WallNow();
  std::vector<Job> jobs;
  for (const std::string& name : names) {
    const std::string path = absl::StrCat(dir_, "/", name);
    absl::StatusOr<std::string> contents = ReadFileToString(path);
    if (absl::IsNotFound(contents.status())) continue;  // removed meanwhile
    EWS_RETURN_IF_ERROR(contents.status());
    absl::StatusOr<Job> job = ParseJob(*contents);
    if (!job.ok()) {
      EWS_LOG(WARNING) << "report queue: " << path << ": " << job.status()
                       << "; renamed .bad";
      std::rename(path.c_str(), absl::StrCat(path, ".bad").c_str());
      continue;
    }
    job->id = name;
    if (due_only && job->next_attempt > now) continue;
    jobs.push_back(*std::move(job));
  }
  return jobs;
}

absl::StatusOr<std::string> DeliveryQueue::Enqueue(Job job) {
  EWS_ASSIGN_OR_RETURN(std::vector<Job> all, Load(false));
  if (static_cast<int>(all.size()) >= options_.max_jobs) {
    return absl::ResourceExhaustedError(absl::StrCat(
        "report queue full (", options_.max_jobs, " pending deliveries)"));
  }
  static std::atomic<int> sequence{0};
  job.id = absl::StrCat(absl::ToUnixNanos(clock_->WallNow()), "-", getpid(),
                        "-", ++sequence, kSuffix);
  EWS_ASSIGN_OR_RETURN(std::string contents, SerializeJob(job));
  EWS_RETURN_IF_ERROR(
      WriteFileAtomically(absl::StrCat(dir_, "/", job.id), contents, 0600));
  return job.id;
}

absl::StatusOr<std::vector<Job>> DeliveryQueue::Due() const {
  return Load(true);
}
absl::StatusOr<std::vector<Job>> DeliveryQueue::All() const {
  return Load(false);
}

absl::Status DeliveryQueue::Remove(const std::string& id) {
  const std::string path = absl::StrCat(dir_, "/", id);
  if (unlink(path.c_str()) != 0) {
    return ErrnoToStatus(errno, absl::StrCat("remove ", path));
  }
  return absl::OkStatus();
}

absl::Duration DeliveryQueue::Backoff(int attempts) const {
  absl::Duration wait = options_.first_retry;
  for (int i = 1; i < attempts && wait < options_.max_retry; ++i) wait *= 2;
  return std::min(wait, options_.max_retry);
}

absl::StatusOr<bool> DeliveryQueue::Failed(const std::string& id,
                                           absl::string_view error) {
  const std::string path = absl::StrCat(dir_, "/", id);
  EWS_ASSIGN_OR_RETURN(std::string contents, ReadFileToString(path));
  EWS_ASSIGN_OR_RETURN(Job job, ParseJob(contents));
  job.attempts += 1;
  job.last_error = std::string(error);
  if (job.attempts >= options_.max_attempts) {
    EWS_RETURN_IF_ERROR(Remove(id));
    return true;
  }
  job.next_attempt = clock_->WallNow() + Backoff(job.attempts);
  EWS_ASSIGN_OR_RETURN(contents, SerializeJob(job));
  EWS_RETURN_IF_ERROR(WriteFileAtomically(path, contents, 0600));
  return false;
}

}  // namespace ews::reports
