#include "sdk/config/migrate.h"

#include <set>
#include <string>

#include "absl/strings/str_cat.h"

namespace ews::config {
namespace {

// `base`, or `base-2`, `base-3`... whichever no report of `reports` has.
std::string FreeName(const v1::Reports& reports, const std::string& base) {
  std::set<std::string> taken;
  for (const v1::Report& report : reports.list()) taken.insert(report.name());
  std::string name = base;
  for (int i = 2; taken.count(name) > 0; ++i) name = absl::StrCat(base, "-", i);
  return name;
}

v1::Report* AddReport(v1::Reports& reports, const std::string& name,
                      bool enabled, v1::Period period, uint32_t minute) {
  v1::Report* report = reports.add_list();
  report->set_name(FreeName(reports, name));
  report->set_enabled(enabled);
  report->set_period(period);
  report->set_send_at_minute(minute);
  report->set_language(v1::REPORT_LANGUAGE_ENGLISH);
  return report;
}

}  // namespace

bool MigrateLegacyReports(v1::DeviceConfig& config) {
  v1::Reports& reports = *config.mutable_reports();
  v1::EmailReports& email = *reports.mutable_email();
  v1::FtpExport& ftp = *reports.mutable_ftp();
  v1::NetworkDrive& drive = *reports.mutable_network_drive();
  const bool legacy = email.enabled() || email.recipients_size() > 0 ||
                      email.period() != 0 || email.send_at_minute() != 0 ||
                      ftp.enabled() || ftp.period() != 0 || drive.enabled() ||
                      drive.period() != 0;
  if (!legacy) return false;
  const uint32_t minute = email.send_at_minute();
  if (email.enabled() || email.recipients_size() > 0) {
    v1::Report* report =
        AddReport(reports, "email", email.enabled(), email.period(), minute);
    *report->mutable_recipients() = email.recipients();
  }
  if (ftp.enabled()) {
    AddReport(reports, "ftp", true, ftp.period(), minute)
        ->set_deposit_ftp(true);
  }
  if (drive.enabled()) {
    AddReport(reports, "network-drive", true, drive.period(), minute)
        ->set_deposit_network_drive(true);
  }
  email.clear_enabled();
  email.clear_recipients();
  email.clear_period();
  email.clear_send_at_minute();
  ftp.clear_enabled();
  ftp.clear_period();
  drive.clear_enabled();
  drive.clear_period();
  return true;
}

}  // namespace ews::config
