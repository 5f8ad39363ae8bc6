// Automatic reports: builds each report when it is due (CSV files of the
// period from the store's exporter, a consumption summary in French or
// English), queues one delivery per target (e-mail, FTP(S) upload, WebDAV
// PUT) in a DeliveryQueue, and delivers due jobs through the report_sender
// helper process, retrying with back-off. Every delivery sent, failed or
// given up is written to the audit log.
//
//   EWS_ASSIGN_OR_RETURN(auto reporter,
//                        Reporter::Create(options, specs, store, clock,
//                        audit));
//   reporter->Tick();  // every minute or so
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/reports/message.h"
#include "sdk/reports/queue.h"
#include "sdk/reports/schedule.h"
#include "sdk/security/audit/audit_log.h"
#include "sdk/storage/store.h"

namespace ews::reports {

enum class Language { kEnglish, kFrench };

struct EmailTarget {
  std::string host;
  int port = 587;
  Tls tls = Tls::kStartTls;
  std::string username;  // empty: no AUTH
  std::string password;
  std::string from;
  std::vector<std::string> recipients;
};

// Where files are deposited: "ftp://host:port/dir" (Tls::kImplicit uses
// ftps://) or "https://host/dav/dir" (WebDAV, HTTP PUT). Each CSV becomes
// base_url + "/" + its file name.
struct UploadTarget {
  std::string base_url;
  Tls tls = Tls::kNone;
  std::string username;
  std::string password;
};

struct ReportSpec {
  std::string name;  // [a-z0-9_-], unique
  ReportPeriod period = ReportPeriod::kDaily;
  int send_at_minute = 6 * 60;
  std::vector<std::string> devices;  // empty: every device of the store
  Language language = Language::kEnglish;
  storage::CsvStyle style = storage::CsvStyle::kSemicolonDecimalComma;
  std::optional<EmailTarget> email;
  std::vector<UploadTarget> uploads;
};

struct ReporterOptions {
  std::string queue_dir;    // private to the server (jobs hold passwords)
  std::string sender_path;  // the report_sender binary
  absl::TimeZone time_zone = absl::UTCTimeZone();
  std::string ca_file;  // trust anchors for the servers ("": the system's)
  std::string host_name = "ews.local";  // Message-ID's right-hand side
  absl::Duration send_timeout = absl::Minutes(2);
  QueueOptions queue;
};

struct DeliveryResult {
  std::string report;
  std::string target;  // the URL, without credentials
  absl::Time time;
  bool ok = false;
  std::string detail;  // "" or the error, "given up after N attempts: ..."
};

// The files and body of one report.
struct BuiltReport {
  ReportWindow window;
  std::string subject;
  std::string body;
  std::vector<Attachment> attachments;
};

class Reporter {
 public:
  // InvalidArgument: bad spec (name, minute, no target, bad address, no
  // store/clock). `audit` may be null.
  static absl::StatusOr<std::unique_ptr<Reporter>> Create(
      ReporterOptions options, std::vector<ReportSpec> specs,
      const storage::Store* store, Clock* clock, security::AuditLog* audit);

  // Replaces the reports (a configuration applied live). Jobs already queued
  // are delivered as they were built; the last results are kept.
  // InvalidArgument as Create() (the reports in use are then unchanged).
  absl::Status SetSpecs(std::vector<ReportSpec> specs);
  // Queues every report that fell due (once per report, also one missed
  // while the server was down), then delivers the jobs whose attempt is due.
  absl::Status Tick();
  // "Send a test report now": builds the report named `name` for its last
  // complete period, queues it and delivers at once. NotFound: no such
  // report. Returns the first delivery error (the job stays queued).
  absl::Status SendTestNow(const std::string& name, const std::string& actor);
  // The CSV files (the store's exporter, same request as the file view) and
  // the summary body of `spec` for `window`.
  absl::StatusOr<BuiltReport> Build(const ReportSpec& spec,
                                    const ReportWindow& window) const;
  // The latest result per (report, target), newest first.
  std::vector<DeliveryResult> LastResults() const;
  absl::StatusOr<std::vector<Job>> Pending() const { return queue_.All(); }

 private:
  Reporter(ReporterOptions options, std::vector<ReportSpec> specs,
           DeliveryQueue queue, const storage::Store* store, Clock* clock,
           security::AuditLog* audit);
  absl::Status Enqueue(const ReportSpec& spec, const ReportWindow& window);
  absl::Status DeliverDue(bool stop_at_first_error);
  absl::Status RunSender(const Job& job) const;
  void Record(const Job& job, bool ok, const std::string& detail,
              const std::string& action);
  std::string SchedulePath(const ReportSpec& spec) const;

  const ReporterOptions options_;
  std::vector<ReportSpec> specs_ ABSL_GUARDED_BY(mutex_);
  DeliveryQueue queue_;
  const storage::Store* store_;
  Clock* clock_;
  security::AuditLog* audit_;
  absl::Mutex mutex_;  // one Tick()/SendTestNow()/SetSpecs() at a time
  mutable absl::Mutex results_mutex_;
  std::map<std::string, DeliveryResult> results_
      ABSL_GUARDED_BY(results_mutex_);
};

// The file name of a device's CSV in a report: "<device>_<window label>.csv"
// ("meter-1_2026-03-29.csv", "meter-1_2026-03.csv": the names of the file
// view's day and month files).
std::string CsvFileName(const std::string& device, const ReportWindow& window);

}  // namespace ews::reports
