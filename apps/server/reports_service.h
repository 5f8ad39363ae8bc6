// The automatic reports in ews-server: a sdk/reports Reporter built from the
// configuration, ticked every 30 s on a thread of its own, and its routes:
//   POST /api/v1/reports/test?report=<name>  send a test report now
//   GET  /api/v1/reports/status              reports, pending deliveries,
//                                            last results
// A change of the configuration's `reports` is applied live (ApplyLive).
// Deliveries run in the report_sender helper beside the ews-server binary
// (docs/reports.md says why).
#pragma once

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/config/config.pb.h"
#include "sdk/config/config_store.h"
#include "sdk/http/https_server.h"
#include "sdk/reports/reporter.h"
#include "sdk/security/audit/audit_log.h"
#include "sdk/storage/store.h"

namespace ews::server {

class ReportsService {
 public:
  // Null (and OK) when there is no history (a configuration without an
  // enabled report gives a service with no report, so one added later is
  // applied live). Errors: as Reporter::Create (a configuration that
  // validated does not fail).
  static absl::StatusOr<std::unique_ptr<ReportsService>> Start(
      const config::v1::DeviceConfig& config, absl::TimeZone time_zone,
      const std::string& data_dir, const storage::Store* history, Clock& clock,
      security::AuditLog& audit);
  ~ReportsService();  // stops the thread

  // After a configuration change: when `changed` holds "reports", takes the
  // reports from the latest saved configuration (loaded from `store`, so of
  // two changes applied at once the last one saved wins). Returns whether
  // it applied them.
  bool ApplyLive(const std::vector<std::string>& changed,
                 config::ConfigStore& store);

  http::Response Test(const http::Request& request);
  http::Response Status(const http::Request& request);

 private:
  explicit ReportsService(std::unique_ptr<reports::Reporter> reporter,
                          std::vector<std::string> skipped);
  std::unique_ptr<reports::Reporter> reporter_;
  absl::Mutex mutex_;  // one ApplyLive() at a time; guards skipped_
  std::vector<std::string> skipped_ ABSL_GUARDED_BY(mutex_);
  absl::Notification stop_;
  std::thread thread_;
};

// The routes without a history: 404 "reports need the history, which is
// unavailable".
http::Response NoReports(const http::Request& request);

}  // namespace ews::server
