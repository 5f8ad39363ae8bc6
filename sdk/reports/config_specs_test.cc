#include "sdk/reports/config_specs.h"

#include "gtest/gtest.h"

namespace ews::reports {
namespace {

namespace v1 = ::ews::config::v1;

TEST(ConfigSpecsTest, EachEnabledTargetBecomesAReport) {
  v1::Reports reports;
  v1::EmailReports* email = reports.mutable_email();
  email->set_enabled(true);
  email->add_recipients("ops@example.com");
  email->set_period(v1::PERIOD_WEEKLY);
  email->set_from_address("ews@example.com");
  email->set_send_at_minute(390);
  email->mutable_smtp()->set_host("mail.example.com");
  email->mutable_smtp()->set_port(465);
  email->mutable_smtp()->set_tls_mode(v1::TLS_MODE_IMPLICIT);
  email->mutable_smtp()->set_username("u");
  email->mutable_smtp()->set_password("p");
  v1::FtpExport* ftp = reports.mutable_ftp();
  ftp->set_enabled(true);
  ftp->set_protocol(v1::FTP_PROTOCOL_FTP);
  ftp->set_host("fd00::5");
  ftp->set_port(21);
  ftp->set_tls_mode(v1::TLS_MODE_STARTTLS);
  ftp->set_remote_directory("/ews/exports/");
  ftp->set_period(v1::PERIOD_DAILY);
  v1::NetworkDrive* drive = reports.mutable_network_drive();
  drive->set_enabled(true);
  drive->set_protocol(v1::SHARE_PROTOCOL_WEBDAV);
  drive->set_url("https://nas.example.com/dav/");
  drive->set_remote_directory("ews");
  drive->set_period(v1::PERIOD_MONTHLY);

  const ConfiguredReports out = SpecsFromConfig(reports, Language::kFrench);
  EXPECT_TRUE(out.skipped.empty());
  ASSERT_EQ(out.specs.size(), 3u);
  EXPECT_EQ(out.specs[0].name, "email");
  EXPECT_EQ(out.specs[0].period, ReportPeriod::kWeekly);
  EXPECT_EQ(out.specs[0].send_at_minute, 390);
  EXPECT_EQ(out.specs[0].language, Language::kFrench);
  ASSERT_TRUE(out.specs[0].email.has_value());
  EXPECT_EQ(out.specs[0].email->port, 465);
  EXPECT_EQ(out.specs[0].email->tls, Tls::kImplicit);
  EXPECT_EQ(out.specs[1].uploads[0].base_url, "ftp://[fd00::5]:21/ews/exports");
  EXPECT_EQ(out.specs[1].uploads[0].tls, Tls::kStartTls);
  EXPECT_EQ(out.specs[2].uploads[0].base_url,
            "https://nas.example.com/dav/ews");
  EXPECT_EQ(out.specs[2].period, ReportPeriod::kMonthly);
}

TEST(ConfigSpecsTest, UnsupportedTargetsAreNamed) {
  v1::Reports reports;
  reports.mutable_ftp()->set_enabled(true);
  reports.mutable_ftp()->set_protocol(v1::FTP_PROTOCOL_SFTP);
  reports.mutable_network_drive()->set_enabled(true);
  reports.mutable_network_drive()->set_protocol(v1::SHARE_PROTOCOL_SMB);
  reports.mutable_email()->set_enabled(true);
  reports.mutable_email()->set_period(v1::PERIOD_HOURLY);
  const ConfiguredReports out = SpecsFromConfig(reports, Language::kEnglish);
  EXPECT_TRUE(out.specs.empty());
  ASSERT_EQ(out.skipped.size(), 3u);
  EXPECT_EQ(out.skipped[0],
            "reports.email: period PERIOD_HOURLY is not supported");
}

}  // namespace
}  // namespace ews::reports
