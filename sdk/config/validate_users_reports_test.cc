// Bad configurations: users, storage and reports.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sdk/config/validate_test_cases.h"

namespace ews::config::validate_test {

std::vector<BadCase> UsersReportsBadCases() {
  using C = v1::DeviceConfig;
  return {
      // --------------------------------------------------------- users
      {"UserMissing", [](C& c) { c.mutable_users()->DeleteSubrange(2, 1); },
       "users", "no user has role ROLE_INSTALLER"},
      {"UserRoleDuplicate",
       [](C& c) { c.mutable_users(3)->set_role(v1::ROLE_ADMINISTRATOR); },
       "users[3].role", "ROLE_ADMINISTRATOR is also users[0].role", 2},
      {"UserRoleUnspecified",
       [](C& c) { c.mutable_users(1)->set_role(v1::ROLE_UNSPECIFIED); },
       "users[1].role", "must be set", 2},
      {"UserPinMissing", [](C& c) { c.mutable_users(0)->clear_pin(); },
       "users[0].pin", "must be set"},
      {"UserPukMissing", [](C& c) { c.mutable_users(0)->clear_puk(); },
       "users[0].puk", "must be set"},
      {"UserPinHashTruncated",
       [](C& c) { c.mutable_users(0)->mutable_pin()->set_hash("short"); },
       "users[0].pin.hash", "is 5 bytes, 32 expected"},
      {"UserPukSaltShort",
       [](C& c) { c.mutable_users(2)->mutable_puk()->set_salt("salt"); },
       "users[2].puk.salt", "is 4 bytes, at least 16 needed"},
      {"UserPinWeakIterations",
       [](C& c) { c.mutable_users(1)->mutable_pin()->set_iterations(1000); },
       "users[1].pin.iterations", "1000 is outside 10000..10000000"},
      {"UserPinAlgorithmUnspecified",
       [](C& c) {
         c.mutable_users(0)->mutable_pin()->set_algorithm(
             v1::HASH_ALGORITHM_UNSPECIFIED);
       },
       "users[0].pin.algorithm", "must be set"},
      // --------------------------------------------------- data access
      {"FtpPortZero",
       [](C& c) { c.mutable_data_access()->mutable_ftp()->set_port(0); },
       "data_access.ftp.port", "0 is outside 1..65535"},
      {"FtpPassiveRangeInverted",
       [](C& c) {
         c.mutable_data_access()->mutable_ftp()->set_passive_port_max(49999);
       },
       "data_access.ftp.passive_port_max", "must be within passive_port_min"},
      {"FtpPassiveRangeTooWide",
       [](C& c) {
         c.mutable_data_access()->mutable_ftp()->set_passive_port_max(60000);
       },
       "data_access.ftp.passive_port_max", "must be within passive_port_min"},
      {"FtpPassivePortPrivileged",
       [](C& c) {
         c.mutable_data_access()->mutable_ftp()->set_passive_port_min(80);
         c.mutable_data_access()->mutable_ftp()->set_passive_port_max(1050);
       },
       "data_access.ftp.passive_port_min", "80 is outside 1024..65535"},
      {"FtpPortInsidePassiveRange",
       [](C& c) { c.mutable_data_access()->mutable_ftp()->set_port(50005); },
       "data_access.ftp.port", "is inside the passive port range"},
      {"FtpOnTheHttpsPort",
       [](C& c) {
         c.mutable_data_access()->mutable_ftp()->set_enabled(true);
         c.mutable_data_access()->mutable_ftp()->set_port(443);
       },
       "data_access.ftp.port", "already used by HTTPS"},
      {"FtpNoConnections",
       [](C& c) {
         c.mutable_data_access()->mutable_ftp()->set_max_connections(0);
       },
       "data_access.ftp.max_connections", "0 is outside 1..64"},
      {"FtpIdleTooShort",
       [](C& c) {
         c.mutable_data_access()->mutable_ftp()->set_idle_timeout_s(1);
       },
       "data_access.ftp.idle_timeout_s", "1 s is outside 10..3600 s"},
      {"FtpTransferTooLong",
       [](C& c) {
         c.mutable_data_access()->mutable_ftp()->set_transfer_timeout_s(90000);
       },
       "data_access.ftp.transfer_timeout_s", "is outside 10..86400 s"},
      // ------------------------------------------------------- storage
      {"MinuteTierZero",
       [](C& c) { c.mutable_storage()->set_minute_tier_days(0); },
       "storage.minute_tier_days", "0 days is outside 1..3650 days"},
      {"HourTierShorterThanMinuteTier",
       [](C& c) { c.mutable_storage()->set_hour_tier_days(30); },
       "storage.hour_tier_days",
       "30 days is outside storage.minute_tier_days (60)..36500"},
      {"BudgetTooSmall",
       [](C& c) { c.mutable_storage()->set_non_counter_budget_bytes(1000); },
       "storage.non_counter_budget_bytes", "1000 bytes is outside"},
      {"CommitIntervalTooShort",
       [](C& c) { c.mutable_storage()->set_commit_interval_s(5); },
       "storage.commit_interval_s", "5 s is outside 10..3600 s"},
      {"CommitIntervalTooLong",
       [](C& c) { c.mutable_storage()->set_commit_interval_s(7200); },
       "storage.commit_interval_s", "7200 s is outside 10..3600 s"},
      // ------------------------------------------------------- reports
      {"ReportNameBad",
       [](C& c) { c.mutable_reports()->mutable_list(0)->set_name("Daily!"); },
       "reports.list[0].name", "\"Daily!\" is not an id"},
      {"ReportNameTwice",
       [](C& c) { *c.mutable_reports()->add_list() = c.reports().list(0); },
       "reports.list[1].name", "\"daily-site\" is the name of another report"},
      {"ReportWithoutRecipientOrDeposit",
       [](C& c) { c.mutable_reports()->mutable_list(0)->clear_recipients(); },
       "reports.list[0].recipients", "the report would go nowhere"},
      {"ReportBadRecipient",
       [](C& c) {
         c.mutable_reports()->mutable_list(0)->add_recipients("bob@");
       },
       "reports.list[0].recipients[1]", "\"bob@\" is not an e-mail address"},
      {"ReportTooManyRecipients",
       [](C& c) {
         for (int i = 0; i < 10; ++i) {
           c.mutable_reports()->mutable_list(0)->add_recipients("a@b.example");
         }
       },
       "reports.list[0].recipients", "11 recipients given, at most 10"},
      {"ReportHourly",
       [](C& c) {
         c.mutable_reports()->mutable_list(0)->set_period(v1::PERIOD_HOURLY);
       },
       "reports.list[0].period", "PERIOD_HOURLY is not offered"},
      {"ReportPeriodUnset",
       [](C& c) { c.mutable_reports()->mutable_list(0)->clear_period(); },
       "reports.list[0].period", "must be set"},
      {"ReportLanguageUnset",
       [](C& c) { c.mutable_reports()->mutable_list(0)->clear_language(); },
       "reports.list[0].language", "must be set"},
      {"ReportUnknownDevice",
       [](C& c) { c.mutable_reports()->mutable_list(0)->add_devices("nope"); },
       "reports.list[0].devices[2]",
       "\"nope\" is not the id of a Modbus device or pulse counter"},
      {"ReportDeviceTwice",
       [](C& c) { c.mutable_reports()->mutable_list(0)->add_devices("main"); },
       "reports.list[0].devices[2]", "\"main\" is listed twice"},
      {"ReportSendAtMinuteTooLarge",
       [](C& c) {
         c.mutable_reports()->mutable_list(0)->set_send_at_minute(1440);
       },
       "reports.list[0].send_at_minute", "1440 is outside 0..1439"},
      {"DisabledReportWithUnknownEnum",
       [](C& c) {
         v1::Report* r = c.mutable_reports()->mutable_list(0);
         r->set_enabled(false);
         r->set_period(static_cast<v1::Period>(9));
       },
       "reports.list[0].period", "9 is not a known value"},
      {"TooManyReports",
       [](C& c) {
         for (int i = 0; i < 20; ++i) {
           v1::Report* r = c.mutable_reports()->add_list();
           r->set_name(absl::StrCat("r", i));
         }
       },
       "reports.list", "21 reports, at most 20 allowed"},
      {"LegacyEmailEnabled",
       [](C& c) { c.mutable_reports()->mutable_email()->set_enabled(true); },
       "reports.email.enabled", "moved to reports.list"},
      {"LegacyFtpPeriod",
       [](C& c) {
         c.mutable_reports()->mutable_ftp()->set_period(v1::PERIOD_DAILY);
       },
       "reports.ftp.period", "moved to reports.list"},
      {"EmailSmtpHostEmpty",
       [](C& c) {
         c.mutable_reports()->mutable_email()->mutable_smtp()->clear_host();
       },
       "reports.email.smtp.host", "must not be empty"},
      {"EmailSmtpTlsUnspecified",
       [](C& c) {
         c.mutable_reports()->mutable_email()->mutable_smtp()->set_tls_mode(
             v1::TLS_MODE_UNSPECIFIED);
       },
       "reports.email.smtp.tls_mode", "must be set"},
      {"EmailPasswordWithoutUser",
       [](C& c) {
         c.mutable_reports()->mutable_email()->mutable_smtp()->clear_username();
       },
       "reports.email.smtp.password", "username is empty"},
      {"EmailFromAddressBad",
       [](C& c) {
         c.mutable_reports()->mutable_email()->set_from_address("ews");
       },
       "reports.email.from_address", "not an e-mail address"},
      {"SftpWithStartTls",
       [](C& c) {
         c.mutable_reports()->mutable_list(0)->set_deposit_ftp(true);
         v1::FtpExport* ftp = c.mutable_reports()->mutable_ftp();
         ftp->set_host("files.example.com");
         ftp->set_protocol(v1::FTP_PROTOCOL_SFTP);
         ftp->set_port(22);
       },
       "reports.ftp.tls_mode", "must be TLS_MODE_NONE with FTP_PROTOCOL_SFTP"},
      {"FtpRelativeDirectory",
       [](C& c) {
         c.mutable_reports()->mutable_list(0)->set_deposit_ftp(true);
         v1::FtpExport* ftp = c.mutable_reports()->mutable_ftp();
         ftp->set_host("files.example.com");
         ftp->set_remote_directory("exports");
       },
       "reports.ftp.remote_directory", "not an absolute path"},
      {"FtpHostMissing",
       [](C& c) {
         c.mutable_reports()->mutable_list(0)->set_deposit_ftp(true);
       },
       "reports.ftp.host", "must not be empty"},
      {"SmbShareBadUrl",
       [](C& c) {
         c.mutable_reports()->mutable_list(0)->set_deposit_network_drive(true);
         v1::NetworkDrive* d = c.mutable_reports()->mutable_network_drive();
         d->set_protocol(v1::SHARE_PROTOCOL_SMB);
         d->set_url("\\\\server\\share");
       },
       "reports.network_drive.url", "not an SMB share"},
      {"WebdavBadScheme",
       [](C& c) {
         c.mutable_reports()->mutable_list(0)->set_deposit_network_drive(true);
         c.mutable_reports()->mutable_network_drive()->set_url(
             "ftp://server/dav");
       },
       "reports.network_drive.url", "not a WebDAV URL"},
      {"ShareDirectoryEscapes",
       [](C& c) {
         c.mutable_reports()->mutable_list(0)->set_deposit_network_drive(true);
         v1::NetworkDrive* d = c.mutable_reports()->mutable_network_drive();
         d->set_protocol(v1::SHARE_PROTOCOL_SMB);
         d->set_url("//nas/energy");
         d->set_remote_directory("ews/../../etc");
       },
       "reports.network_drive.remote_directory", "no \"..\""},
      {"WebdavWithDomain",
       [](C& c) {
         c.mutable_reports()->mutable_list(0)->set_deposit_network_drive(true);
         v1::NetworkDrive* d = c.mutable_reports()->mutable_network_drive();
         d->set_url("https://nas.example.com:8443/dav");
         d->set_domain("CORP");
       },
       "reports.network_drive.domain", "only used with SMB"},
  };
}

}  // namespace ews::config::validate_test
