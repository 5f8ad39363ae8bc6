#include "apps/server/reports_service.h"

#include <unistd.h>

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "apps/server/api_common.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/http/json.h"
#include "sdk/reports/config_specs.h"

namespace ews::server {
namespace {

// report_sender lives beside the running ews-server binary.
std::string SenderPath() {
  char self[4096];
  const ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) return "report_sender";
  std::string path(self, n);
  return absl::StrCat(path.substr(0, path.rfind('/') + 1), "report_sender");
}

// A test delivery that failed: 502 "delivery_failed" when the remote server
// refused or was unreachable, else as any route.
http::Response DeliveryError(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kPermissionDenied:
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return ApiError(502, "delivery_failed", status.message());
    default:
      return ApiError(status);
  }
}

}  // namespace

absl::StatusOr<std::unique_ptr<ReportsService>> ReportsService::Start(
    const config::v1::DeviceConfig& config, absl::TimeZone time_zone,
    const std::string& data_dir, const storage::Store* history, Clock& clock,
    security::AuditLog& audit) {
  reports::ConfiguredReports configured =
      reports::SpecsFromConfig(config.reports());
  for (const std::string& skipped : configured.skipped) {
    EWS_LOG(WARNING) << skipped;
  }
  if (history == nullptr) return nullptr;
  reports::ReporterOptions options;
  options.queue_dir = data_dir + "/reports";
  options.sender_path = SenderPath();
  options.time_zone = time_zone;
  EWS_ASSIGN_OR_RETURN(
      std::unique_ptr<reports::Reporter> reporter,
      reports::Reporter::Create(options, std::move(configured.specs), history,
                                &clock, &audit));
  std::unique_ptr<ReportsService> service(
      new ReportsService(std::move(reporter), std::move(configured.skipped)));
  ReportsService* self = service.get();
  service->thread_ = std::thread([self] {
    do {
      absl::Status ticked = self->reporter_->Tick();
      if (!ticked.ok()) EWS_LOG(ERROR) << "reports: " << ticked;
    } while (!self->stop_.WaitForNotificationWithTimeout(absl::Seconds(30)));
  });
  EWS_LOG(INFO) << "reports: queue in " << options.queue_dir;
  return service;
}

ReportsService::ReportsService(std::unique_ptr<reports::Reporter> reporter,
                               std::vector<std::string> skipped)
    : reporter_(std::move(reporter)), skipped_(std::move(skipped)) {}

bool ReportsService::ApplyLive(const std::vector<std::string>& changed,
                               config::ConfigStore& store) {
  if (std::find(changed.begin(), changed.end(), "reports") == changed.end()) {
    return false;
  }
  absl::MutexLock lock(&mutex_);
  absl::StatusOr<config::v1::DeviceConfig> latest = store.Load();
  if (!latest.ok()) {
    EWS_LOG(ERROR) << "reports not reconfigured: " << latest.status();
    return false;
  }
  reports::ConfiguredReports configured =
      reports::SpecsFromConfig(latest->reports());
  const absl::Status set = reporter_->SetSpecs(std::move(configured.specs));
  if (!set.ok()) {
    EWS_LOG(ERROR) << "reports left as they ran until the next start: " << set;
    return false;
  }
  for (const std::string& skipped : configured.skipped) {
    EWS_LOG(WARNING) << skipped;
  }
  skipped_ = std::move(configured.skipped);
  EWS_LOG(INFO) << "reports: configuration applied";
  return true;
}

ReportsService::~ReportsService() {
  stop_.Notify();
  if (thread_.joinable()) thread_.join();
}

http::Response ReportsService::Test(const http::Request& request) {
  absl::StatusOr<std::map<std::string, std::string>> params =
      ParseQuery(request.query);
  if (!params.ok()) return ApiError(params.status());
  absl::Status known = OnlyParams(*params, {"report"});
  if (!known.ok()) return ApiError(known);
  const std::string name = Param(*params, "report").value_or("");
  if (name.empty()) {
    return ApiError(400, "invalid_argument", "missing ?report=<name>");
  }
  // Only the administrator holds configure_site (sdk/security/roles).
  const absl::Status sent = reporter_->SendTestNow(name, "administrator");
  if (!sent.ok()) return DeliveryError(sent);
  http::JsonWriter json;
  json.BeginObject().Key("sent").String(name).EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response ReportsService::Status(const http::Request&) {
  http::JsonWriter json;
  json.BeginObject().Key("pending").BeginArray();
  absl::StatusOr<std::vector<reports::Job>> pending = reporter_->Pending();
  if (pending.ok()) {
    for (const reports::Job& job : *pending) {
      json.BeginObject()
          .Key("report")
          .String(job.report)
          .Key("target")
          .String(job.url)
          .Key("attempts")
          .Int(job.attempts)
          .Key("next_attempt");
      if (job.next_attempt == absl::InfinitePast()) {
        json.Null();  // due now
      } else {
        json.Time(job.next_attempt);
      }
      json.Key("last_error").String(job.last_error).EndObject();
    }
  }
  json.EndArray().Key("results").BeginArray();
  for (const reports::DeliveryResult& r : reporter_->LastResults()) {
    json.BeginObject()
        .Key("report")
        .String(r.report)
        .Key("target")
        .String(r.target)
        .Key("time")
        .Time(r.time)
        .Key("ok")
        .Bool(r.ok)
        .Key("detail")
        .String(r.detail)
        .EndObject();
  }
  json.EndArray().Key("skipped").BeginArray();
  absl::MutexLock lock(&mutex_);
  for (const std::string& s : skipped_) json.String(s);
  json.EndArray().EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response NoReports(const http::Request&) {
  return http::Response::Error(
      404, "reports need the history, which is unavailable");
}

}  // namespace ews::server
