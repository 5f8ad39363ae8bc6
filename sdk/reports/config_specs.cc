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

// The report mailed to its recipients through the configured SMTP server.
EmailTarget EmailTargetOf(const v1::EmailReports& email,
                          const v1::Report& report) {
  EmailTarget target;
  target.host = email.smtp().host();
  target.port = static_cast<int>(email.smtp().port());
  target.tls = TlsOf(email.smtp().tls_mode());
  target.username = email.smtp().username();
  target.password = email.smtp().password();
  target.from = email.from_address();
  target.recipients.assign(report.recipients().begin(),
                           report.recipients().end());
  return target;
}

// The FTP(S) deposit: ftp://host:port/dir, an IPv6 host in brackets.
UploadTarget FtpTargetOf(const v1::FtpExport& ftp) {
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
  return target;
}

// The WebDAV deposit: the drive's URL, then its remote directory if any.
UploadTarget DriveTargetOf(const v1::NetworkDrive& drive) {
  UploadTarget target;
  target.base_url = std::string(absl::StripSuffix(drive.url(), "/"));
  if (!drive.remote_directory().empty()) {
    absl::StrAppend(&target.base_url, "/",
                    absl::StripSuffix(drive.remote_directory(), "/"));
  }
  target.username = drive.username();
  target.password = drive.password();
  return target;
}

// Where `report` goes: by mail, and on the FTP server and the network drive
// when asked and their protocol is supported (else a line in `skipped`,
// naming the report `at`).
void AddDestinations(const v1::Reports& reports, const v1::Report& report,
                     const std::string& at, ReportSpec& spec,
                     std::vector<std::string>& skipped) {
  if (report.recipients_size() > 0) {
    spec.email = EmailTargetOf(reports.email(), report);
  }
  if (report.deposit_ftp()) {
    if (reports.ftp().protocol() != v1::FTP_PROTOCOL_FTP) {
      skipped.push_back(absl::StrCat(at,
                                     ": deposit on reports.ftp: only FTP/FTPS "
                                     "is supported"));
    } else {
      spec.uploads.push_back(FtpTargetOf(reports.ftp()));
    }
  }
  if (report.deposit_network_drive()) {
    if (reports.network_drive().protocol() != v1::SHARE_PROTOCOL_WEBDAV) {
      skipped.push_back(
          absl::StrCat(at,
                       ": deposit on reports.network_drive: only WebDAV is "
                       "supported"));
    } else {
      spec.uploads.push_back(DriveTargetOf(reports.network_drive()));
    }
  }
}

}  // namespace

ConfiguredReports SpecsFromConfig(const v1::Reports& reports) {
  ConfiguredReports out;
  for (int i = 0; i < reports.list_size(); ++i) {
    const v1::Report& report = reports.list(i);
    if (!report.enabled()) continue;
    const std::string at =
        absl::StrCat("reports.list[", i, "] (", report.name(), ")");
    const std::optional<ReportPeriod> period = PeriodOf(report.period());
    if (!period.has_value()) {
      out.skipped.push_back(absl::StrCat(at, ": period ",
                                         v1::Period_Name(report.period()),
                                         " is not supported"));
      continue;
    }
    ReportSpec spec;
    spec.name = report.name();
    spec.period = *period;
    spec.send_at_minute = static_cast<int>(report.send_at_minute());
    spec.language = report.language() == v1::REPORT_LANGUAGE_FRENCH
                        ? Language::kFrench
                        : Language::kEnglish;
    spec.devices.assign(report.devices().begin(), report.devices().end());
    AddDestinations(reports, report, at, spec, out.skipped);
    if (!spec.email.has_value() && spec.uploads.empty()) continue;
    out.specs.push_back(std::move(spec));
  }
  return out;
}

}  // namespace ews::reports
