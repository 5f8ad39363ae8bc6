// The system part of the HTTPS API: version, time (read, set by hand), NTP
// status, network state, recent log lines, a graceful restart, the TLS
// certificates (fingerprints and dates, the site's own certificate uploaded,
// the device CA downloaded). docs/api.md documents the routes;
// SessionApi::Guarded() applies their access rules (server.cc).
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "apps/server/api_common.h"
#include "sdk/base/clock.h"
#include "sdk/base/log.h"
#include "sdk/hal/rtc/time_keeper.h"
#include "sdk/http/https_server.h"
#include "sdk/security/tls/device_ca.h"
#include "sdk/time/ntp_synchronizer.h"

namespace ews::server {

// Passes every entry on to another sink (stderr) and keeps the latest
// `capacity` lines, formatted like stderr's, for GET /api/v1/system/logs.
class RecentLogSink final : public log::LogSink {
 public:
  RecentLogSink(const Clock& clock, size_t capacity, log::LogSink* next)
      : clock_(clock), capacity_(capacity), next_(next) {}
  void Write(const log::Entry& entry) override;

  struct Line {
    std::string time;  // RFC 3339 UTC with milliseconds
    log::Level level;
    std::string where;  // "file.cc:12"
    std::string message;
  };
  // The latest `limit` lines at `at_least` or above, oldest first.
  std::vector<Line> Recent(size_t limit, log::Level at_least) const;

 private:
  const Clock& clock_;
  const size_t capacity_;
  log::LogSink* const next_;
  mutable absl::Mutex mutex_;
  std::deque<Line> lines_ ABSL_GUARDED_BY(mutex_);
};

struct SystemApiOptions {
  std::string version;
  std::string model_size;                          // "10" / "32"
  absl::TimeZone time_zone = absl::UTCTimeZone();  // the site's
  // The device's time: `keeper` sets it (nullptr: no RTC, setting fails).
  hal::TimeKeeper* keeper = nullptr;
  std::string rtc_kind;  // "board", "simulated"
  // Why the time is invalid at start (dead RTC battery); OK when it is not.
  absl::Status rtc_problem;
  // Null when NTP is off (no servers, or --ntp_servers=off).
  const ntp::NtpSynchronizer* ntp = nullptr;
  std::string ntp_disabled_reason;
  // The TLS directory of sdk/security/tls/device_ca and the names the
  // server certificate must cover.
  std::string tls_directory;
  security::DeviceIdentity identity;
  // What the HTTPS listener serves (read at start: a new certificate is
  // served after a restart), and the device CA (none with a configured
  // certificate pair).
  security::CertificateInfo certificate_in_use;
  bool site_certificate_in_use = false;
  std::optional<security::CertificateInfo> ca;
  // Null: no log lines (tests).
  const RecentLogSink* logs = nullptr;
  // Asks the application to stop and exit for its service manager to start
  // it again (called once the answer has been sent: Response::after_sent).
  // `why` is logged.
  std::function<void(const std::string& why)> request_restart;
};

class SystemApi {
 public:
  SystemApi(SystemApiOptions options, Clock& clock);

  std::vector<ApiRoute> Routes() const;

  http::Response Version(const http::Request& request) const;
  http::Response GetTime(const http::Request& request) const;
  http::Response SetTime(const http::Request& request) const;
  http::Response Ntp(const http::Request& request) const;
  http::Response Network(const http::Request& request) const;
  http::Response Logs(const http::Request& request) const;
  http::Response Restart(const http::Request& request) const;
  http::Response Certificate(const http::Request& request) const;
  http::Response UploadCertificate(const http::Request& request) const;
  http::Response CaCertificate(const http::Request& request) const;

 private:
  const SystemApiOptions options_;
  Clock& clock_;
};

}  // namespace ews::server
