#include "sdk/reports/reporter.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "sdk/base/files.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"

extern char** environ;

namespace ews::reports {
namespace {

bool ValidName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!absl::ascii_islower(c) && !absl::ascii_isdigit(c) && c != '-' &&
        c != '_') {
      return false;
    }
  }
  return true;
}

bool ValidAddress(const std::string& address) {
  const size_t at = address.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == address.size() ||
      address.size() > 254) {
    return false;
  }
  for (char c : address) {
    if (c <= ' ' || c == '<' || c == '>' || c == ',' || c == '"' || c > '~') {
      return false;
    }
  }
  return true;
}

const char* PeriodWord(ReportPeriod period, Language language) {
  const bool fr = language == Language::kFrench;
  switch (period) {
    case ReportPeriod::kDaily:
      return fr ? "journalier" : "daily";
    case ReportPeriod::kWeekly:
      return fr ? "hebdomadaire" : "weekly";
    case ReportPeriod::kMonthly:
      return fr ? "mensuel" : "monthly";
  }
  return "";
}

std::string Number(double value, Language language) {
  std::string s = absl::StrFormat("%.3f", value);
  if (language == Language::kFrench) absl::StrReplaceAll({{".", ","}}, &s);
  return s;
}

// The URL shown in results and the audit log: no credentials are in job
// URLs (they travel in separate fields), so the URL itself.
std::string TargetOf(const Job& job) { return job.url; }

}  // namespace

std::string CsvFileName(const std::string& device, const ReportWindow& window) {
  return absl::StrCat(device, "_", window.label, ".csv");
}

namespace {

// The checks of Reporter::Create() / SetSpecs() on the specs.
absl::Status CheckSpecs(const std::vector<ReportSpec>& specs,
                        const ReporterOptions& options) {
  std::set<std::string> names;
  for (const ReportSpec& spec : specs) {
    if (!ValidName(spec.name) || !names.insert(spec.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("report name '", spec.name, "' invalid or repeated"));
    }
    EWS_RETURN_IF_ERROR(NextDue(spec.period, spec.send_at_minute,
                                options.time_zone, absl::UnixEpoch())
                            .status());
    if (!spec.email.has_value() && spec.uploads.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("report ", spec.name, ": no e-mail and no upload"));
    }
    if (spec.email.has_value()) {
      const EmailTarget& e = *spec.email;
      if (e.host.empty() || e.port < 1 || e.port > 65535 ||
          !ValidAddress(e.from) || e.recipients.empty() ||
          e.recipients.size() > 10) {
        return absl::InvalidArgumentError(absl::StrCat(
            "report ", spec.name,
            ": e-mail needs a host, a port, a sender and 1..10 recipients"));
      }
      for (const std::string& r : e.recipients) {
        if (!ValidAddress(r)) {
          return absl::InvalidArgumentError(
              absl::StrCat("report ", spec.name, ": bad address '", r, "'"));
        }
      }
    }
    for (const UploadTarget& u : spec.uploads) {
      if (!absl::StartsWith(u.base_url, "ftp://") &&
          !absl::StartsWith(u.base_url, "ftps://") &&
          !absl::StartsWith(u.base_url, "http://") &&
          !absl::StartsWith(u.base_url, "https://")) {
        return absl::InvalidArgumentError(
            absl::StrCat("report ", spec.name,
                         ": upload URL must be ftp(s):// or http(s)://"));
      }
      if (absl::StrContains(u.base_url, '@')) {
        return absl::InvalidArgumentError(absl::StrCat(
            "report ", spec.name, ": credentials go in username/password"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Reporter>> Reporter::Create(
    ReporterOptions options, std::vector<ReportSpec> specs,
    const storage::Store* store, Clock* clock, security::AuditLog* audit) {
  if (store == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("reports: no store or clock");
  }
  if (options.sender_path.empty()) {
    return absl::InvalidArgumentError("reports: no report_sender path");
  }
  EWS_RETURN_IF_ERROR(CheckSpecs(specs, options));
  EWS_ASSIGN_OR_RETURN(
      DeliveryQueue queue,
      DeliveryQueue::Open(options.queue_dir, clock, options.queue));
  return std::unique_ptr<Reporter>(
      new Reporter(std::move(options), std::move(specs), std::move(queue),
                   store, clock, audit));
}

Reporter::Reporter(ReporterOptions options, std::vector<ReportSpec> specs,
                   DeliveryQueue queue, const storage::Store* store,
                   Clock* clock, security::AuditLog* audit)
    : options_(std::move(options)),
      specs_(std::move(specs)),
      queue_(std::move(queue)),
      store_(store),
      clock_(clock),
      audit_(audit) {}

absl::Status Reporter::SetSpecs(std::vector<ReportSpec> specs) {
  EWS_RETURN_IF_ERROR(CheckSpecs(specs, options_));
  absl::MutexLock lock(&mutex_);
  specs_ = std::move(specs);
  return absl::OkStatus();
}

absl::StatusOr<BuiltReport> Reporter::Build(const ReportSpec& spec,
                                            const ReportWindow& window) const {
  std::vector<std::string> devices = spec.devices;
  const std::vector<storage::SeriesSpec> series = store_->ListSeries();
  if (devices.empty()) {
    for (const storage::SeriesSpec& s : series) {
      if (std::find(devices.begin(), devices.end(), s.device_id) ==
          devices.end()) {
        devices.push_back(s.device_id);
      }
    }
    std::sort(devices.begin(), devices.end());
  }
  const bool fr = spec.language == Language::kFrench;
  BuiltReport report;
  report.window = window;
  report.subject = absl::StrCat(
      fr ? "EWS : rapport " : "EWS: ", PeriodWord(spec.period, spec.language),
      fr ? " " : " report ", window.label);
  absl::StrAppend(
      &report.body,
      fr ? "Rapport de consommation du " : "Consumption report from ",
      absl::FormatTime("%Y-%m-%d %H:%M", window.from, options_.time_zone),
      fr ? " au " : " to ",
      absl::FormatTime("%Y-%m-%d %H:%M", window.to, options_.time_zone), " (",
      options_.time_zone.name(), ").\n\n");
  for (const std::string& device : devices) {
    Attachment attachment{CsvFileName(device, window), ""};
    // The request the file view (sdk/export) makes for its day and month
    // files, so a daily or monthly attachment holds the bytes FTP, WebDAV and
    // the web download give for that file.
    storage::CsvRequest request;
    request.device_id = device;
    request.from = window.from;
    request.to = window.to;
    request.tier = spec.period == ReportPeriod::kDaily ? storage::Tier::kMinute
                                                       : storage::Tier::kHour;
    request.style = spec.style;
    EWS_RETURN_IF_ERROR(
        store_->ExportCsv(request, [&attachment](absl::string_view chunk) {
          attachment.bytes.append(chunk.data(), chunk.size());
          return absl::OkStatus();
        }));
    report.attachments.push_back(std::move(attachment));
    absl::StrAppend(&report.body, device, "\n");
    bool any_counter = false;
    for (const storage::SeriesSpec& s : series) {
      if (s.device_id != device || s.kind != storage::SeriesKind::kCounter) {
        continue;
      }
      EWS_ASSIGN_OR_RETURN(storage::SeriesId id,
                           store_->FindSeries(device, s.quantity_id));
      EWS_ASSIGN_OR_RETURN(
          std::vector<storage::Point> hours,
          store_->Totals(id, storage::Tier::kHour, window.from, window.to));
      double total = 0;
      for (const storage::Point& p : hours) total += p.delta;
      absl::StrAppend(&report.body, "  ", s.quantity_id, fr ? " : " : ": ",
                      Number(total, spec.language), " ", s.unit, "\n");
      any_counter = true;
    }
    if (!any_counter) {
      absl::StrAppend(&report.body,
                      fr ? "  (pas de compteur)\n" : "  (no counter)\n");
    }
  }
  absl::StrAppend(&report.body, "\n",
                  fr ? "Les fichiers CSV de la période sont joints.\n"
                     : "The period's CSV files are attached.\n");
  return report;
}

absl::Status Reporter::Enqueue(const ReportSpec& spec,
                               const ReportWindow& window) {
  EWS_ASSIGN_OR_RETURN(BuiltReport report, Build(spec, window));
  const absl::Time now = clock_->WallNow();
  if (spec.email.has_value()) {
    const EmailTarget& e = *spec.email;
    Email email;
    email.from = e.from;
    email.recipients = e.recipients;
    email.subject = report.subject;
    email.body = report.body;
    email.attachments = report.attachments;
    email.date = now;
    email.message_id =
        absl::StrCat("<", spec.name, ".", window.label, ".",
                     absl::ToUnixNanos(now), "@", options_.host_name, ">");
    Job job;
    job.report = spec.name;
    job.transport = Transport::kSmtp;
    job.url = absl::StrCat(e.tls == Tls::kImplicit ? "smtps://" : "smtp://",
                           e.host, ":", e.port);
    job.tls = e.tls;
    job.username = e.username;
    job.password = e.password;
    job.ca_file = options_.ca_file;
    job.mail_from = e.from;
    job.recipients = e.recipients;
    job.payload = BuildMessage(email);
    EWS_RETURN_IF_ERROR(queue_.Enqueue(std::move(job)).status());
  }
  for (const UploadTarget& u : spec.uploads) {
    for (const Attachment& a : report.attachments) {
      Job job;
      job.report = spec.name;
      job.transport = Transport::kUpload;
      std::string base(absl::StripSuffix(u.base_url, "/"));
      if (u.tls == Tls::kImplicit && absl::StartsWith(base, "ftp://")) {
        base = absl::StrCat("ftps://", base.substr(6));
      }
      job.url = absl::StrCat(base, "/", a.file_name);
      job.tls = u.tls;
      job.username = u.username;
      job.password = u.password;
      job.ca_file = options_.ca_file;
      job.payload = a.bytes;
      EWS_RETURN_IF_ERROR(queue_.Enqueue(std::move(job)).status());
    }
  }
  return absl::OkStatus();
}

std::string Reporter::SchedulePath(const ReportSpec& spec) const {
  return absl::StrCat(options_.queue_dir, "/", spec.name, ".last_due");
}

absl::Status Reporter::Tick() {
  absl::MutexLock lock(&mutex_);
  const absl::Time now = clock_->WallNow();
  for (const ReportSpec& spec : specs_) {
    // The last due time handled survives restarts: a report that fell due
    // while the server was down is sent once when it is back.
    const std::string path = SchedulePath(spec);
    absl::StatusOr<std::string> stored = ReadFileToString(path, 64);
    int64_t last_s = 0;
    absl::Time last;
    if (stored.ok() &&
        absl::SimpleAtoi(absl::StripAsciiWhitespace(*stored), &last_s)) {
      last = absl::FromUnixSeconds(last_s);
    } else {
      // First start: nothing is owed for the past.
      last = now;
      EWS_RETURN_IF_ERROR(WriteFileAtomically(
          path, absl::StrCat(absl::ToUnixSeconds(now), "\n"), 0600));
    }
    EWS_ASSIGN_OR_RETURN(
        absl::Time due,
        NextDue(spec.period, spec.send_at_minute, options_.time_zone, last));
    if (due > now) continue;
    // Several missed periods: only the latest one is sent.
    for (;;) {
      EWS_ASSIGN_OR_RETURN(
          absl::Time next,
          NextDue(spec.period, spec.send_at_minute, options_.time_zone, due));
      if (next > now) break;
      due = next;
    }
    const absl::Status built =
        Enqueue(spec, WindowFor(spec.period, due, options_.time_zone));
    if (!built.ok()) {
      Job failed;
      failed.report = spec.name;
      failed.url = "(build)";
      Record(failed, false, std::string(built.message()), "report.failed");
    }
    EWS_RETURN_IF_ERROR(WriteFileAtomically(
        path, absl::StrCat(absl::ToUnixSeconds(due), "\n"), 0600));
  }
  return DeliverDue(false);
}

absl::Status Reporter::SendTestNow(const std::string& name,
                                   const std::string& actor) {
  absl::MutexLock lock(&mutex_);
  auto it = std::find_if(specs_.begin(), specs_.end(),
                         [&](const ReportSpec& s) { return s.name == name; });
  if (it == specs_.end()) {
    return absl::NotFoundError(absl::StrCat("no report named '", name, "'"));
  }
  if (audit_ != nullptr) {
    audit_
        ->Append({.actor = actor,
                  .action = "report.test",
                  .outcome = "ok",
                  .detail = absl::StrCat("report ", name)})
        .IgnoreError();
  }
  EWS_RETURN_IF_ERROR(Enqueue(
      *it, WindowFor(it->period, clock_->WallNow(), options_.time_zone)));
  return DeliverDue(true);
}

absl::Status Reporter::DeliverDue(bool stop_at_first_error) {
  EWS_ASSIGN_OR_RETURN(std::vector<Job> due, queue_.Due());
  absl::Status first_error;
  for (const Job& job : due) {
    const absl::Status sent = RunSender(job);
    if (sent.ok()) {
      EWS_RETURN_IF_ERROR(queue_.Remove(job.id));
      Record(job, true, "", "report.sent");
      continue;
    }
    EWS_ASSIGN_OR_RETURN(bool dropped, queue_.Failed(job.id, sent.message()));
    if (dropped) {
      Record(job, false,
             absl::StrCat("given up after ", job.attempts + 1,
                          " attempts: ", sent.message()),
             "report.dropped");
    } else {
      Record(job, false,
             absl::StrCat("attempt ", job.attempts + 1, ": ", sent.message()),
             "report.failed");
    }
    if (first_error.ok()) first_error = sent;
    if (stop_at_first_error) break;
  }
  return stop_at_first_error ? first_error : absl::OkStatus();
}

absl::Status Reporter::RunSender(const Job& job) const {
  const std::string path = absl::StrCat(queue_.dir(), "/", job.id);
  const std::string timeout = absl::StrCat(
      std::max<int64_t>(1, absl::ToInt64Seconds(options_.send_timeout)));
  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) return ErrnoToStatus(errno, "pipe");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 2);
  posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
  // None of the server's sockets or files reach the helper.
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
  std::vector<char*> argv = {const_cast<char*>(options_.sender_path.c_str()),
                             const_cast<char*>(path.c_str()),
                             const_cast<char*>(timeout.c_str()), nullptr};
  pid_t pid = 0;
  const int spawned = posix_spawn(&pid, options_.sender_path.c_str(), &actions,
                                  nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    return ErrnoToStatus(spawned, "start report_sender");
  }
  std::string error;
  char buffer[512];
  ssize_t n;
  while ((n = read(pipe_fds[0], buffer, sizeof buffer)) != 0) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    if (error.size() < 4096) error.append(buffer, n);
  }
  close(pipe_fds[0]);
  int wstatus = 0;
  while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return absl::OkStatus();
  error = std::string(absl::StripAsciiWhitespace(error));
  if (error.empty()) error = absl::StrCat("report_sender status ", wstatus);
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 3) {
    return absl::PermissionDeniedError(error);
  }
  return absl::UnavailableError(error);
}

void Reporter::Record(const Job& job, bool ok, const std::string& detail,
                      const std::string& action) {
  DeliveryResult result{job.report, TargetOf(job), clock_->WallNow(), ok,
                        detail};
  if (audit_ != nullptr) {
    audit_
        ->Append({.actor = "system",
                  .action = action,
                  .outcome = ok ? "ok" : absl::StrCat("failed: ", detail),
                  .detail = absl::StrCat("report ", job.report, " to ",
                                         result.target)})
        .IgnoreError();
  }
  if (!ok) {
    EWS_LOG(WARNING) << "report " << job.report << " to " << result.target
                     << ": " << detail;
  }
  absl::MutexLock lock(&results_mutex_);
  results_[absl::StrCat(job.report, " ", result.target)] = std::move(result);
}

std::vector<DeliveryResult> Reporter::LastResults() const {
  absl::MutexLock lock(&results_mutex_);
  std::vector<DeliveryResult> out;
  for (const auto& [key, result] : results_) out.push_back(result);
  std::sort(out.begin(), out.end(),
            [](const DeliveryResult& a, const DeliveryResult& b) {
              return a.time > b.time;
            });
  return out;
}

}  // namespace ews::reports
