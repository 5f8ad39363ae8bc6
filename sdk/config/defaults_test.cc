#include "sdk/config/defaults.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/config/users.h"
#include "sdk/config/validate.h"
#include "sdk/security/credentials.h"

namespace ews::config {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;

DefaultConfigOptions FastOptions(v1::ModelSize size = v1::MODEL_10) {
  DefaultConfigOptions options;
  options.model_size = size;
  options.hash_iterations = security::kMinIterations;
  return options;
}

TEST(DefaultConfigTest, ValidatesForBothModels) {
  for (v1::ModelSize size : {v1::MODEL_10, v1::MODEL_32}) {
    absl::StatusOr<v1::DeviceConfig> config = DefaultConfig(FastOptions(size));
    ASSERT_THAT(config, IsOk());
    EXPECT_THAT(Validate(*config), IsOk());
    EXPECT_EQ(config->model_size(), size);
  }
}

TEST(DefaultConfigTest, ReferenceProductDefaults) {
  absl::StatusOr<v1::DeviceConfig> config = DefaultConfig(FastOptions());
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->schema_version(), kSchemaVersion);
  EXPECT_EQ(config->network().static_ipv4().address(), "192.168.1.100");
  EXPECT_EQ(config->network().static_ipv4().netmask(), "255.255.255.0");
  EXPECT_EQ(config->network().static_ipv4().gateway(), "192.168.1.1");
  EXPECT_EQ(config->rs485().baud_rate(), 19200u);
  EXPECT_EQ(config->rs485().parity(), v1::PARITY_EVEN);
  EXPECT_EQ(config->rs485().stop_bits(), v1::STOP_BITS_ONE);
  EXPECT_EQ(config->rs485().response_timeout_ms(), 300u);
  EXPECT_EQ(config->web().https_port(), 443u);
  EXPECT_EQ(config->web().http_redirect_port(), 80u);
  EXPECT_EQ(config->web().bind_address(), "0.0.0.0");
  EXPECT_TRUE(config->web().tls_certificate_path().empty());
  EXPECT_TRUE(config->modbus_tcp_server().enabled());
  EXPECT_EQ(config->modbus_tcp_server().port(), 502u);
  EXPECT_EQ(config->storage().minute_tier_days(), 60u);
  EXPECT_EQ(config->storage().hour_tier_days(), 3u * 365u);
  EXPECT_EQ(config->storage().non_counter_budget_bytes(), 256u << 20);
  EXPECT_EQ(config->modbus_devices_size(), 0);
  EXPECT_EQ(config->pulse_counters_size(), 0);
  EXPECT_EQ(config->reports().list_size(), 0);
}

TEST(DefaultConfigTest, FactoryCodesAreHashedNotStored) {
  absl::StatusOr<v1::DeviceConfig> config = DefaultConfig(FastOptions());
  ASSERT_THAT(config, IsOk());
  ASSERT_EQ(config->users_size(), 4);
  std::string serialized = config->SerializeAsString();
  for (const FactoryCode& code : kFactoryCodes) {
    SCOPED_TRACE(v1::Role_Name(code.role));
    EXPECT_TRUE(CheckPin(*config, code.role, code.pin));
    EXPECT_TRUE(CheckPuk(*config, code.role, code.puk));
    EXPECT_FALSE(CheckPin(*config, code.role, "12345"));
    const v1::User* user = FindUser(*config, code.role);
    ASSERT_NE(user, nullptr);
    EXPECT_EQ(user->pin().algorithm(), v1::HASH_ALGORITHM_PBKDF2_HMAC_SHA256);
    EXPECT_EQ(user->pin().iterations(), security::kMinIterations);
    EXPECT_EQ(user->pin().salt().size(), security::kSaltBytes);
    // No code in clear anywhere in the stored form.
    EXPECT_EQ(serialized.find(std::string(code.pin)), std::string::npos);
    EXPECT_EQ(serialized.find(*security::NormalizePuk(code.puk)),
              std::string::npos);
  }
  // The administrator's PIN is not the user's.
  EXPECT_FALSE(CheckPin(*config, v1::ROLE_USER, "99999"));
}

TEST(DefaultConfigTest, FreshSaltsOnEveryCall) {
  absl::StatusOr<v1::DeviceConfig> a = DefaultConfig(FastOptions());
  absl::StatusOr<v1::DeviceConfig> b = DefaultConfig(FastOptions());
  ASSERT_THAT(a, IsOk());
  ASSERT_THAT(b, IsOk());
  EXPECT_NE(a->users(0).pin().salt(), b->users(0).pin().salt());
  EXPECT_NE(a->users(0).pin().hash(), b->users(0).pin().hash());
}

TEST(DefaultConfigTest, SerialAndBadOptions) {
  DefaultConfigOptions options = FastOptions();
  options.serial = "EWS32-000123";
  absl::StatusOr<v1::DeviceConfig> config = DefaultConfig(options);
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->site().serial(), "EWS32-000123");

  options.serial = "bad serial!";
  EXPECT_THAT(DefaultConfig(options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       ::testing::HasSubstr("site.serial")));

  options = FastOptions(v1::MODEL_SIZE_UNSPECIFIED);
  EXPECT_THAT(DefaultConfig(options),
              StatusIs(absl::StatusCode::kInvalidArgument));

  options = FastOptions();
  options.hash_iterations = 1;
  EXPECT_THAT(DefaultConfig(options),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(DefaultConfigTest, DefaultIterationsAreTheSecurityDefault) {
  absl::StatusOr<v1::DeviceConfig> config = DefaultConfig();
  ASSERT_THAT(config, IsOk());
  EXPECT_EQ(config->users(0).pin().iterations(), security::kDefaultIterations);
  EXPECT_EQ(config->model_size(), v1::MODEL_10);
}

TEST(FactorySettingsTest, TextParsesWithoutUsers) {
  v1::DeviceConfig config = FactorySettingsWithoutUsers();
  EXPECT_EQ(config.schema_version(), kSchemaVersion);
  EXPECT_EQ(config.users_size(), 0);
}

TEST(UsersTest, MakeUserRejectsBadInput) {
  EXPECT_THAT(MakeUser(v1::ROLE_UNSPECIFIED, "12345", "00000 0000 00000",
                       security::kMinIterations),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeUser(v1::ROLE_USER, "1234", "00000 0000 00000",
                       security::kMinIterations),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(MakeUser(v1::ROLE_USER, "12345", "0000 0000 00000",
                       security::kMinIterations),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(UsersTest, ChangedCodeReplacesTheOldOne) {
  absl::StatusOr<v1::DeviceConfig> config = DefaultConfig(FastOptions());
  ASSERT_THAT(config, IsOk());
  absl::StatusOr<v1::User> user =
      MakeUser(v1::ROLE_INSTALLER, "24680", "12345 6789 01234",
               security::kMinIterations);
  ASSERT_THAT(user, IsOk());
  *FindMutableUser(*config, v1::ROLE_INSTALLER) = *user;
  EXPECT_TRUE(CheckPin(*config, v1::ROLE_INSTALLER, "24680"));
  EXPECT_FALSE(CheckPin(*config, v1::ROLE_INSTALLER, "55555"));
  EXPECT_TRUE(CheckPuk(*config, v1::ROLE_INSTALLER, "12345678901234"));
  EXPECT_THAT(Validate(*config), IsOk());
}

TEST(UsersTest, SetPinAndPukReplaceOneCode) {
  absl::StatusOr<v1::DeviceConfig> config = DefaultConfig(FastOptions());
  ASSERT_THAT(config, IsOk());
  EXPECT_TRUE(HasFactoryCodes(*config, v1::ROLE_ADMINISTRATOR));

  ASSERT_THAT(SetPin(*config, v1::ROLE_ADMINISTRATOR, "13579",
                     security::kMinIterations),
              IsOk());
  EXPECT_TRUE(CheckPin(*config, v1::ROLE_ADMINISTRATOR, "13579"));
  EXPECT_FALSE(CheckPin(*config, v1::ROLE_ADMINISTRATOR, "99999"));
  // The PUK is still the factory one.
  EXPECT_TRUE(CheckPuk(*config, v1::ROLE_ADMINISTRATOR, "00000 9999 00000"));
  EXPECT_TRUE(HasFactoryCodes(*config, v1::ROLE_ADMINISTRATOR));

  ASSERT_THAT(SetPuk(*config, v1::ROLE_ADMINISTRATOR, "98765 4321 01234",
                     security::kMinIterations),
              IsOk());
  EXPECT_TRUE(CheckPuk(*config, v1::ROLE_ADMINISTRATOR, "98765432101234"));
  EXPECT_FALSE(HasFactoryCodes(*config, v1::ROLE_ADMINISTRATOR));
  EXPECT_TRUE(HasFactoryCodes(*config, v1::ROLE_USER));
  EXPECT_THAT(Validate(*config), IsOk());
}

TEST(UsersTest, SetPinRejectsBadInputAndLeavesTheConfig) {
  absl::StatusOr<v1::DeviceConfig> config = DefaultConfig(FastOptions());
  ASSERT_THAT(config, IsOk());
  const v1::DeviceConfig before = *config;
  EXPECT_THAT(SetPin(*config, v1::ROLE_USER, "1234", security::kMinIterations),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(SetPuk(*config, v1::ROLE_USER, "1234", security::kMinIterations),
              StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(config->SerializeAsString(), before.SerializeAsString());
  config->mutable_users()->DeleteSubrange(3, 1);  // no ROLE_USER any more
  EXPECT_THAT(SetPin(*config, v1::ROLE_USER, "12345", security::kMinIterations),
              StatusIs(absl::StatusCode::kNotFound));
  EXPECT_FALSE(HasFactoryCodes(*config, v1::ROLE_USER));
}

TEST(UsersTest, UnknownAlgorithmNeverVerifies) {
  absl::StatusOr<v1::DeviceConfig> config = DefaultConfig(FastOptions());
  ASSERT_THAT(config, IsOk());
  FindMutableUser(*config, v1::ROLE_USER)
      ->mutable_pin()
      ->set_algorithm(v1::HASH_ALGORITHM_UNSPECIFIED);
  EXPECT_FALSE(CheckPin(*config, v1::ROLE_USER, "11111"));
}

}  // namespace
}  // namespace ews::config
