#include "sdk/reports/config_specs.h"

#include "gtest/gtest.h"

namespace ews::reports {
namespace {

namespace v1 = ::ews::config::v1;

// The shared servers of the configuration: SMTPS, FTPS on IPv6, WebDAV.
v1::Reports Servers() {
  v1::Reports reports;
  v1::EmailReports* email = reports.mutable_email();
  email->set_from_address("ews@example.com");
  email->mutable_smtp()->set_host("mail.example.com");
  email->mutable_smtp()->set_port(465);
  email->mutable_smtp()->set_tls_mode(v1::TLS_MODE_IMPLICIT);
  email->mutable_smtp()->set_username("u");
  email->mutable_smtp()->set_password("p");
  v1::FtpExport* ftp = reports.mutable_ftp();
  ftp->set_protocol(v1::FTP_PROTOCOL_FTP);
  ftp->set_host("fd00::5");
  ftp->set_port(21);
  ftp->set_tls_mode(v1::TLS_MODE_STARTTLS);
  ftp->set_remote_directory("/ews/exports/");
  v1::NetworkDrive* drive = reports.mutable_network_drive();
  drive->set_protocol(v1::SHARE_PROTOCOL_WEBDAV);
  drive->set_url("https://nas.example.com/dav/");
  drive->set_remote_directory("ews");
  return reports;
}

TEST(ConfigSpecsTest, EachEnabledReportBecomesASpec) {
  v1::Reports reports = Servers();
  v1::Report* daily = reports.add_list();
  daily->set_name("daily-site");
  daily->set_enabled(true);
  daily->set_period(v1::PERIOD_WEEKLY);
  daily->set_send_at_minute(390);
  daily->set_language(v1::REPORT_LANGUAGE_FRENCH);
  daily->add_recipients("ops@example.com");
  daily->add_recipients("boss@example.com");
  daily->add_devices("meter-1");
  daily->set_deposit_ftp(true);
  v1::Report* off = reports.add_list();
  off->set_name("off");
  off->set_period(v1::PERIOD_DAILY);
  off->add_recipients("ops@example.com");
  v1::Report* monthly = reports.add_list();
  monthly->set_name("monthly");
  monthly->set_enabled(true);
  monthly->set_period(v1::PERIOD_MONTHLY);
  monthly->set_language(v1::REPORT_LANGUAGE_ENGLISH);
  monthly->set_deposit_network_drive(true);

  const ConfiguredReports out = SpecsFromConfig(reports);
  EXPECT_TRUE(out.skipped.empty());
  ASSERT_EQ(out.specs.size(), 2u);
  const ReportSpec& first = out.specs[0];
  EXPECT_EQ(first.name, "daily-site");
  EXPECT_EQ(first.period, ReportPeriod::kWeekly);
  EXPECT_EQ(first.send_at_minute, 390);
  EXPECT_EQ(first.language, Language::kFrench);
  EXPECT_EQ(first.devices, std::vector<std::string>{"meter-1"});
  ASSERT_TRUE(first.email.has_value());
  EXPECT_EQ(first.email->port, 465);
  EXPECT_EQ(first.email->tls, Tls::kImplicit);
  EXPECT_EQ(first.email->from, "ews@example.com");
  EXPECT_EQ(first.email->recipients,
            (std::vector<std::string>{"ops@example.com", "boss@example.com"}));
  ASSERT_EQ(first.uploads.size(), 1u);
  EXPECT_EQ(first.uploads[0].base_url, "ftp://[fd00::5]:21/ews/exports");
  EXPECT_EQ(first.uploads[0].tls, Tls::kStartTls);
  const ReportSpec& second = out.specs[1];
  EXPECT_EQ(second.name, "monthly");
  EXPECT_EQ(second.language, Language::kEnglish);
  EXPECT_TRUE(second.devices.empty());
  EXPECT_FALSE(second.email.has_value());
  ASSERT_EQ(second.uploads.size(), 1u);
  EXPECT_EQ(second.uploads[0].base_url, "https://nas.example.com/dav/ews");
  EXPECT_EQ(second.period, ReportPeriod::kMonthly);
}

TEST(ConfigSpecsTest, UnsupportedTargetsAreNamed) {
  v1::Reports reports = Servers();
  reports.mutable_ftp()->set_protocol(v1::FTP_PROTOCOL_SFTP);
  reports.mutable_network_drive()->set_protocol(v1::SHARE_PROTOCOL_SMB);
  v1::Report* deposit = reports.add_list();
  deposit->set_name("deposit");
  deposit->set_enabled(true);
  deposit->set_period(v1::PERIOD_DAILY);
  deposit->set_deposit_ftp(true);
  deposit->set_deposit_network_drive(true);
  v1::Report* hourly = reports.add_list();
  hourly->set_name("hourly");
  hourly->set_enabled(true);
  hourly->set_period(v1::PERIOD_HOURLY);
  hourly->add_recipients("ops@example.com");
  const ConfiguredReports out = SpecsFromConfig(reports);
  EXPECT_TRUE(out.specs.empty());
  ASSERT_EQ(out.skipped.size(), 3u);
  EXPECT_EQ(out.skipped[0],
            "reports.list[0] (deposit): deposit on reports.ftp: only FTP/FTPS "
            "is supported");
  EXPECT_EQ(out.skipped[2],
            "reports.list[1] (hourly): period PERIOD_HOURLY is not supported");
}

}  // namespace
}  // namespace ews::reports
