// The automatic reports in ews-server: a sdk/reports Reporter built from the
// configuration, ticked every 30 s on a thread of its own, and its routes:
//   POST /api/v1/reports/test?report=<name>  send a test report now
//   GET  /api/v1/reports/status              reports, pending deliveries,
//                                            last results
// Deliveries run in the report_sender helper beside the ews-server binary
// (docs/reports.md says why).
#pragma once

#include <memory>
#include <string>
#include <thread>

#include "absl/status/statusor.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/config/config.pb.h"
#include "sdk/http/https_server.h"
#include "sdk/reports/reporter.h"
#include "sdk/security/audit/audit_log.h"
#include "sdk/storage/store.h"

namespace ews::server {

class ReportsService {
 public:
  // Null (and OK) when no report is enabled or there is no history. Errors:
  // as Reporter::Create (a configuration that validated does not fail).
  static absl::StatusOr<std::unique_ptr<ReportsService>> Start(
      const config::v1::DeviceConfig& config, absl::TimeZone time_zone,
      const std::string& data_dir, const storage::Store* history, Clock& clock,
      security::AuditLog& audit);
  ~ReportsService();  // stops the thread

  http::Response Test(const http::Request& request);
  http::Response Status(const http::Request& request);

 private:
  explicit ReportsService(std::unique_ptr<reports::Reporter> reporter,
                          std::vector<std::string> skipped);
  std::unique_ptr<reports::Reporter> reporter_;
  std::vector<std::string> skipped_;
  absl::Notification stop_;
  std::thread thread_;
};

// The routes when reports are off: 404 "no report is configured".
http::Response NoReports(const http::Request& request);

}  // namespace ews::server
