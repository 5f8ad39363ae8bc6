#include "sdk/reports/config_specs.h"

#include <optional>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace ews::reports {
namespace {

namespace v1 = ::ews::config::v1;

std::optional<ReportPeriod> PeriodOf(v1::Period period) {
  switch (period) {
    case v1::PERIOD_DAILY:
      return ReportPeriod::kDaily;
    case v1::PERIOD_WEEKLY:
      return ReportPeriod::kWeekly;
    case v1::PERIOD_MONTHLY:
      return ReportPeriod::kMonthly;
    default:
      return std::nullopt;
  }
}

Tls TlsOf(v1::TlsMode mode) {
  switch (mode) {
    case v1::TLS_MODE_STARTTLS:
      return Tls::kStartTls;
    case v1::TLS_MODE_IMPLICIT:
      return Tls::kImplicit;
    default:
      return Tls::kNone;
  }
}

}  // namespace

ConfiguredReports SpecsFromConfig(const v1::Reports& reports,
                                  Language language) {
  ConfiguredReports out;
  const int minute = static_cast<int>(reports.email().send_at_minute());
  auto base = [&](const char* name, const char* field,
                  v1::Period period) -> std::optional<ReportSpec> {
    const std::optional<ReportPeriod> p = PeriodOf(period);
    if (!p.has_value()) {
      out.skipped.push_back(absl::StrCat(
          field, ": period ", v1::Period_Name(period), " is not supported"));
      return std::nullopt;
    }
    ReportSpec spec;
    spec.name = name;
    spec.period = *p;
    spec.send_at_minute = minute;
    spec.language = language;
    return spec;
  };

  const v1::EmailReports& email = reports.email();
  if (email.enabled()) {
    if (std::optional<ReportSpec> spec =
            base("email", "reports.email", email.period())) {
      EmailTarget target;
      target.host = email.smtp().host();
      target.port = static_cast<int>(email.smtp().port());
      target.tls = TlsOf(email.smtp().tls_mode());
      target.username = email.smtp().username();
      target.password = email.smtp().password();
      target.from = email.from_address();
      target.recipients.assign(email.recipients().begin(),
                               email.recipients().end());
      spec->email = std::move(target);
      out.specs.push_back(*std::move(spec));
    }
  }

  const v1::FtpExport& ftp = reports.ftp();
  if (ftp.enabled()) {
    if (ftp.protocol() != v1::FTP_PROTOCOL_FTP) {
      out.skipped.push_back("reports.ftp: only FTP/FTPS is supported");
    } else if (std::optional<ReportSpec> spec =
                   base("ftp", "reports.ftp", ftp.period())) {
      const std::string host = absl::StrContains(ftp.host(), ':')
                                   ? absl::StrCat("[", ftp.host(), "]")
                                   : ftp.host();
      UploadTarget target;
      target.base_url =
          absl::StrCat("ftp://", host, ":", ftp.port(),
                       absl::StripSuffix(ftp.remote_directory(), "/"));
      target.tls = TlsOf(ftp.tls_mode());
      target.username = ftp.username();
      target.password = ftp.password();
      spec->uploads.push_back(std::move(target));
      out.specs.push_back(*std::move(spec));
    }
  }

  const v1::NetworkDrive& drive = reports.network_drive();
  if (drive.enabled()) {
    if (drive.protocol() != v1::SHARE_PROTOCOL_WEBDAV) {
      out.skipped.push_back("reports.network_drive: only WebDAV is supported");
    } else if (std::optional<ReportSpec> spec = base(
                   "network-drive", "reports.network_drive", drive.period())) {
      UploadTarget target;
      target.base_url = std::string(absl::StripSuffix(drive.url(), "/"));
      if (!drive.remote_directory().empty()) {
        absl::StrAppend(&target.base_url, "/",
                        absl::StripSuffix(drive.remote_directory(), "/"));
      }
      target.username = drive.username();
      target.password = drive.password();
      spec->uploads.push_back(std::move(target));
      out.specs.push_back(*std::move(spec));
    }
  }
  return out;
}

}  // namespace ews::reports
