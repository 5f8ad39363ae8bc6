#include "sdk/config/redact.h"

#include <string>

#include "gtest/gtest.h"
#include "sdk/config/test_util.h"

namespace ews::config {
namespace {

TEST(RedactSecretsTest, BlanksPasswordsSaltsAndHashes) {
  v1::DeviceConfig config = testing::RichConfig();
  config.mutable_reports()->mutable_ftp()->set_password("ftp-secret");
  config.mutable_reports()->mutable_network_drive()->set_password("smb-secret");

  v1::DeviceConfig redacted = RedactSecrets(config);

  EXPECT_EQ(redacted.reports().email().smtp().password(), kRedacted);
  EXPECT_EQ(redacted.reports().ftp().password(), kRedacted);
  EXPECT_EQ(redacted.reports().network_drive().password(), kRedacted);
  ASSERT_EQ(redacted.users_size(), 4);
  for (const v1::User& user : redacted.users()) {
    EXPECT_EQ(user.pin().salt(), kRedacted);
    EXPECT_EQ(user.pin().hash(), kRedacted);
    EXPECT_EQ(user.puk().salt(), kRedacted);
    EXPECT_EQ(user.puk().hash(), kRedacted);
    // Not secret: kept.
    EXPECT_EQ(user.pin().iterations(), config.users(0).pin().iterations());
    EXPECT_NE(user.role(), v1::ROLE_UNSPECIFIED);
  }
  // Everything else is untouched.
  EXPECT_EQ(redacted.reports().email().smtp().username(), "ews");
  EXPECT_EQ(redacted.modbus_devices_size(), config.modbus_devices_size());
  EXPECT_EQ(redacted.network().static_ipv4().address(), "192.168.1.100");

  std::string text = redacted.DebugString();
  EXPECT_EQ(text.find("smtp-secret"), std::string::npos);
  EXPECT_EQ(text.find("ftp-secret"), std::string::npos);
  EXPECT_EQ(text.find("smb-secret"), std::string::npos);
  EXPECT_EQ(text.find(config.users(0).pin().hash()), std::string::npos);
}

TEST(RedactSecretsTest, LeavesEmptySecretsEmpty) {
  v1::DeviceConfig redacted = RedactSecrets(testing::FactoryConfig());
  EXPECT_TRUE(redacted.reports().email().smtp().password().empty());
  EXPECT_TRUE(redacted.reports().ftp().password().empty());
}

TEST(RedactSecretsTest, DoesNotModifyTheInput) {
  v1::DeviceConfig config = testing::RichConfig();
  RedactSecrets(config);
  EXPECT_EQ(config.reports().email().smtp().password(), "smtp-secret");
}

}  // namespace
}  // namespace ews::config
