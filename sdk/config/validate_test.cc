#include "sdk/config/validate.h"

#include <cmath>
#include <functional>
#include <limits>
#include <ostream>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/config/test_util.h"
#include "sdk/config/validate_test_cases.h"

namespace ews::config {
namespace validate_test {

std::string Describe(const std::vector<FieldError>& errors) {
  std::vector<std::string> lines;
  for (const FieldError& e : errors) lines.push_back(e.ToString());
  return absl::StrJoin(lines, "\n");
}

}  // namespace validate_test

namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using validate_test::BadCase;
using validate_test::Describe;

TEST(ValidateTest, FactoryConfigIsValid) {
  EXPECT_THAT(Validate(testing::FactoryConfig()), IsOk());
}

TEST(ValidateTest, RichConfigIsValid) {
  EXPECT_THAT(Validate(testing::RichConfig()), IsOk())
      << Describe(FindErrors(testing::RichConfig()));
}

// The identity cases here; the sections' cases in validate_<section>_test.cc.
std::vector<BadCase> BadCases() {
  using C = v1::DeviceConfig;
  std::vector<BadCase> cases = {
      // ------------------------------------------------------ identity
      {"SchemaVersionZero", [](C& c) { c.set_schema_version(0); },
       "schema_version", "must be set"},
      {"SchemaVersionNewer", [](C& c) { c.set_schema_version(2); },
       "schema_version", "newer software"},
      {"SiteNameEmpty", [](C& c) { c.mutable_site()->clear_name(); },
       "site.name", "must not be empty"},
      {"SiteNameTooLong",
       [](C& c) { c.mutable_site()->set_name(std::string(65, 'x')); },
       "site.name", "65 characters long"},
      {"SiteNameControlChar", [](C& c) { c.mutable_site()->set_name("a\nb"); },
       "site.name", "control characters"},
      {"SiteSerialBadChars",
       [](C& c) { c.mutable_site()->set_serial("EWS 01"); }, "site.serial",
       "not a serial number"},
      {"ModelSizeUnspecified",
       [](C& c) { c.set_model_size(v1::MODEL_SIZE_UNSPECIFIED); }, "model_size",
       "must be set"},
      {"ModelSizeUnknown",
       [](C& c) { c.set_model_size(static_cast<v1::ModelSize>(7)); },
       "model_size", "7 is not a known value"},
  };
  for (auto section :
       {validate_test::NetworkBadCases, validate_test::FieldBusBadCases,
        validate_test::ConsumptionBadCases,
        validate_test::UsersReportsBadCases}) {
    for (BadCase& bad : section()) cases.push_back(std::move(bad));
  }
  return cases;
}

class ValidateBadConfigTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(ValidateBadConfigTest, NamesTheField) {
  const BadCase& bad = GetParam();
  v1::DeviceConfig config = testing::RichConfig();
  bad.mutate(config);

  std::vector<FieldError> errors = FindErrors(config);
  ASSERT_EQ(errors.size(), bad.error_count) << Describe(errors);
  EXPECT_EQ(errors[0].field, bad.field) << Describe(errors);
  EXPECT_THAT(errors[0].message, HasSubstr(bad.message)) << Describe(errors);

  absl::Status status = Validate(config);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               StartsWith(bad.field + ": ")));
}

INSTANTIATE_TEST_SUITE_P(AllBadConfigs, ValidateBadConfigTest,
                         ::testing::ValuesIn(BadCases()),
                         [](const ::testing::TestParamInfo<BadCase>& info) {
                           return info.param.name;
                         });

TEST(ValidateTest, AtLeastTwentyFiveDistinctBadConfigs) {
  std::vector<BadCase> cases = BadCases();
  EXPECT_GE(cases.size(), 25u);
  std::set<std::string> fields;
  for (const BadCase& c : cases) fields.insert(c.field);
  EXPECT_GE(fields.size(), 25u);
}

// Valid variants that a too-strict validator would reject.
TEST(ValidateTest, AcceptsValidVariants) {
  std::vector<std::function<void(v1::DeviceConfig&)>> variants = {
      // DHCP instead of a static address.
      [](v1::DeviceConfig& c) { c.mutable_network()->mutable_dhcp(); },
      // DHCP without DNS servers: the DHCP server provides them.
      [](v1::DeviceConfig& c) {
        c.mutable_network()->mutable_dhcp();
        c.mutable_network()->clear_dns_servers();
      },
      // Bound to loopback only (behind a reverse proxy) or to the own address.
      [](v1::DeviceConfig& c) {
        c.mutable_web()->set_bind_address("127.0.0.1");
      },
      // The Modbus gateway: bound to one address (or all, IPv6 and IPv4),
      // zero meaning the defaults (files written before these fields
      // existed), a read-only route, broadcasts answered.
      [](v1::DeviceConfig& c) {
        auto* server = c.mutable_modbus_tcp_server();
        server->set_bind_address("192.168.1.100");
        server->set_request_timeout_ms(60000);
        server->set_broadcast_reply(true);
        auto* route = server->add_routes();
        route->set_first_unit(1);
        route->set_last_unit(247);
        route->mutable_rs485();
        route->set_read_only(true);
      },
      [](v1::DeviceConfig& c) {
        auto* server = c.mutable_modbus_tcp_server();
        server->set_bind_address("::");
        server->clear_request_timeout_ms();
        c.mutable_rs485()->clear_absent_after_misses();
        c.mutable_rs485()->clear_absent_probe_interval_s();
      },
      [](v1::DeviceConfig& c) {
        c.mutable_modbus_tcp_server()->clear_bind_address();
        c.mutable_rs485()->set_absent_after_misses(100);
        c.mutable_rs485()->set_absent_probe_interval_s(3600);
        c.mutable_ip_gateways(0)->set_absent_after_misses(1);
        c.mutable_ip_gateways(0)->set_absent_probe_interval_s(1);
      },
      [](v1::DeviceConfig& c) {
        c.mutable_web()->set_bind_address("192.168.1.100");
      },
      // A gateway on the box's address but another port is not a loop.
      [](v1::DeviceConfig& c) { c.mutable_ip_gateways(0)->set_port(5020); },
      // No default route, no NTP.
      [](v1::DeviceConfig& c) {
        c.mutable_network()->mutable_static_ipv4()->clear_gateway();
        c.mutable_network()->clear_ntp_servers();
      },
      // Redirect off; IPv6 bind; own certificate.
      [](v1::DeviceConfig& c) {
        c.mutable_web()->set_http_redirect_port(0);
        c.mutable_web()->set_bind_address("::");
        c.mutable_web()->set_tls_certificate_path("/etc/ews/cert.pem");
        c.mutable_web()->set_tls_private_key_path("/etc/ews/key.pem");
      },
      // Every supported baud rate / parity / stop bits combination.
      [](v1::DeviceConfig& c) {
        c.mutable_rs485()->set_baud_rate(115200);
        c.mutable_rs485()->set_parity(v1::PARITY_NONE);
        c.mutable_rs485()->set_stop_bits(v1::STOP_BITS_TWO);
      },
      // A disabled Modbus TCP server may keep a conflicting port.
      [](v1::DeviceConfig& c) {
        c.mutable_modbus_tcp_server()->set_enabled(false);
        c.mutable_modbus_tcp_server()->set_port(443);
      },
      // Unit id 255 through a gateway (a native Modbus TCP device).
      [](v1::DeviceConfig& c) {
        c.mutable_modbus_devices(2)->set_address(255);
      },
      // Same address on another line is fine (pv is address 1 on gw1).
      [](v1::DeviceConfig& c) {
        c.mutable_modbus_devices(1)->set_address(247);
      },
      // Exactly at the model's capacity.
      [](v1::DeviceConfig& c) {
        c.set_model_size(v1::MODEL_10);
        for (int i = 0; i < 5; ++i) {
          v1::ModbusDevice* d = c.add_modbus_devices();
          d->set_id(absl::StrCat("extra", i));
          d->set_name(absl::StrCat("Extra ", i));
          d->set_profile("generic/meter");
          d->set_address(100 + i);
          d->mutable_rs485();
        }
      },
      // A disabled report keeps incomplete settings; the e-mail server is
      // then only lightly checked.
      [](v1::DeviceConfig& c) {
        v1::Report* r = c.mutable_reports()->mutable_list(0);
        r->set_enabled(false);
        r->clear_recipients();
        r->clear_period();
        c.mutable_reports()->mutable_email()->set_from_address("nonsense");
      },
      // Deposits only: SFTP, WebDAV with a port, every device (no list).
      [](v1::DeviceConfig& c) {
        v1::Report* r = c.mutable_reports()->mutable_list(0);
        r->clear_recipients();
        r->clear_devices();
        r->set_deposit_ftp(true);
        r->set_deposit_network_drive(true);
        v1::FtpExport* ftp = c.mutable_reports()->mutable_ftp();
        ftp->set_protocol(v1::FTP_PROTOCOL_SFTP);
        ftp->set_tls_mode(v1::TLS_MODE_NONE);
        ftp->set_host("files.example.com");
        ftp->set_port(22);
        ftp->set_username("ews");
        ftp->set_password("secret");
        v1::NetworkDrive* d = c.mutable_reports()->mutable_network_drive();
        d->set_protocol(v1::SHARE_PROTOCOL_WEBDAV);
        d->set_url("https://nas.example.com:8443/dav");
        d->set_remote_directory("ews/exports");
      },
      // SMB with a domain; a second, weekly report with a pulse counter.
      [](v1::DeviceConfig& c) {
        v1::Report* r = c.mutable_reports()->add_list();
        r->set_name("weekly-gas");
        r->set_enabled(true);
        r->set_period(v1::PERIOD_WEEKLY);
        r->set_language(v1::REPORT_LANGUAGE_ENGLISH);
        r->add_devices("gas");
        r->set_deposit_network_drive(true);
        v1::NetworkDrive* d = c.mutable_reports()->mutable_network_drive();
        d->set_protocol(v1::SHARE_PROTOCOL_SMB);
        d->set_url("//nas/energy/ews");
        d->set_domain("CORP");
        d->set_username("ews");
        d->set_password("secret");
      },
      // A UTF-8 site name of 64 characters (more than 64 bytes).
      [](v1::DeviceConfig& c) {
        std::string name;
        for (int i = 0; i < 64; ++i) name += "\xc3\xa9";  // é
        c.mutable_site()->set_name(name);
      },
      // A whole-week flat tariff.
      [](v1::DeviceConfig& c) {
        v1::Tariff* t = c.add_tariffs();
        t->set_id("water");
        t->set_name("Water");
        t->set_quantity(v1::TARIFF_QUANTITY_WATER);
        t->set_currency("CHF");
        v1::TimeBand* b = t->add_bands();
        b->set_weekday_mask(127);
        b->set_start_minute(0);
        b->set_end_minute(1440);
        b->set_price_per_unit(3.1);
      },
      // Allowed clients, IPv4 and IPv6.
      [](v1::DeviceConfig& c) {
        c.mutable_modbus_tcp_server()->add_allowed_clients("192.168.1.0/24");
        c.mutable_modbus_tcp_server()->add_allowed_clients("fd00::/8");
      },
  };
  for (size_t i = 0; i < variants.size(); ++i) {
    v1::DeviceConfig config = testing::RichConfig();
    variants[i](config);
    EXPECT_THAT(Validate(config), IsOk()) << "variant " << i;
  }
}

TEST(ValidateTest, ReportsEveryProblemButCapsTheMessage) {
  v1::DeviceConfig config;  // empty: many problems
  std::vector<FieldError> errors = FindErrors(config);
  EXPECT_GT(errors.size(), 10u);
  absl::Status status = Validate(config);
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                               StartsWith("schema_version: must be set")));
  EXPECT_THAT(status.message(),
              HasSubstr(absl::StrCat("... and ", errors.size() - 10, " more")));
}

TEST(ValidateTest, ModelCapacity) {
  EXPECT_EQ(ModelCapacity(v1::MODEL_10), 10);
  EXPECT_EQ(ModelCapacity(v1::MODEL_32), 32);
  EXPECT_EQ(ModelCapacity(v1::MODEL_SIZE_UNSPECIFIED), 0);
}

}  // namespace
}  // namespace ews::config
