#include "sdk/config/text_json.h"

#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"
#include "sdk/base/status_matchers.h"
#include "sdk/config/migrate.h"
#include "sdk/config/test_util.h"
#include "sdk/config/validate.h"

namespace ews::config {
namespace {

using ::ews::testing::IsOk;
using ::ews::testing::StatusIs;
using ::google::protobuf::util::MessageDifferencer;
using ::testing::HasSubstr;
using ::testing::StartsWith;

TEST(TextTest, RoundTrip) {
  const v1::DeviceConfig& config = testing::RichConfig();
  std::string text = ToText(config);
  EXPECT_THAT(text, StartsWith("# EWS device configuration"));
  EXPECT_THAT(text, HasSubstr("baud_rate: 19200"));
  EXPECT_THAT(text, HasSubstr("parity: PARITY_EVEN"));
  absl::StatusOr<v1::DeviceConfig> parsed = FromText(text);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_TRUE(MessageDifferencer::Equals(*parsed, config));
  EXPECT_THAT(Validate(*parsed), IsOk());
}

TEST(TextTest, AcceptsCommentsAndHandEditing) {
  absl::StatusOr<v1::DeviceConfig> parsed = FromText(R"(
    # a comment
    schema_version: 1
    rs485 {
      baud_rate: 9600   # changed by hand
      parity: PARITY_NONE
    }
  )");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->rs485().baud_rate(), 9600u);
  EXPECT_EQ(parsed->rs485().parity(), v1::PARITY_NONE);
}

TEST(TextTest, SyntaxErrorHasLineAndColumn) {
  EXPECT_THAT(FromText("schema_version: 1\nsite {\n  name \"x\"\n}\n"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("line 3, column 8:")));
}

TEST(TextTest, UnknownFieldIsAnError) {
  EXPECT_THAT(
      FromText("schema_version: 1\nsitee { name: \"x\" }\n"),
      StatusIs(absl::StatusCode::kInvalidArgument,
               ::testing::AllOf(StartsWith("line 2"), HasSubstr("sitee"))));
}

TEST(TextTest, UnknownEnumNameIsAnError) {
  EXPECT_THAT(
      FromText("rs485 { parity: PARITY_MARK }"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("PARITY_MARK")));
}

TEST(TextTest, WrongTypeIsAnError) {
  EXPECT_THAT(FromText("web { https_port: \"443\" }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       StartsWith("line 1, column")));
  EXPECT_THAT(FromText("web { https_port: -1 }"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(JsonTest, RoundTrip) {
  const v1::DeviceConfig& config = testing::RichConfig();
  absl::StatusOr<std::string> json = ToJson(config);
  ASSERT_THAT(json, IsOk());
  EXPECT_THAT(*json, HasSubstr("\"baud_rate\": 19200"));
  EXPECT_THAT(*json, HasSubstr("\"parity\": \"PARITY_EVEN\""));
  // Zero values are printed so that an editor sees every field.
  EXPECT_THAT(*json, HasSubstr("\"inter_frame_delay_ms\": 0"));
  absl::StatusOr<v1::DeviceConfig> parsed = FromJson(*json);
  ASSERT_THAT(parsed, IsOk());
  EXPECT_TRUE(MessageDifferencer::Equals(*parsed, config));
}

TEST(JsonTest, AcceptsCamelCaseNames) {
  absl::StatusOr<v1::DeviceConfig> parsed =
      FromJson(R"({"schemaVersion": 1, "rs485": {"baudRate": 38400}})");
  ASSERT_THAT(parsed, IsOk());
  EXPECT_EQ(parsed->rs485().baud_rate(), 38400u);
}

TEST(JsonTest, ErrorsAreClear) {
  EXPECT_THAT(FromJson("{\"site\": {\"name\": }"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "JSON: line 1, column 19: expected a value, found '}'"));
  EXPECT_THAT(FromJson("{\n  \"site\": {\n    \"name\": \"x\",\n  }\n}"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "JSON: line 4, column 3: trailing ',' before '}'"));
  EXPECT_THAT(FromJson(R"({"bogus": 1})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       "JSON: bogus: Cannot find field."));
  EXPECT_THAT(
      FromJson(R"({"rs485": {"parity": "PARITY_MARK"}})"),
      StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("PARITY_MARK")));
  EXPECT_THAT(FromJson(R"({"web": {"https_port": "x"}})"),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("(web.https_port)")));
  EXPECT_THAT(FromJson(""), StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(TextJsonTest, TextToJsonToTextIsLossless) {
  std::string text = ToText(testing::RichConfig());
  absl::StatusOr<v1::DeviceConfig> from_text = FromText(text);
  ASSERT_THAT(from_text, IsOk());
  absl::StatusOr<std::string> json = ToJson(*from_text);
  ASSERT_THAT(json, IsOk());
  absl::StatusOr<v1::DeviceConfig> from_json = FromJson(*json);
  ASSERT_THAT(from_json, IsOk());
  EXPECT_EQ(ToText(*from_json), text);
}

// A configuration from before reports.list: each enabled legacy block
// becomes a report, the legacy fields are cleared and the result validates.
TEST(MigrateTest, LegacyReportsBecomeTheList) {
  v1::DeviceConfig legacy = testing::FactoryConfig();
  legacy.clear_reports();
  v1::DeviceConfig old_form;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(
      R"pb(
        reports {
          email {
            enabled: true
            recipients: "energy@example.com"
            recipients: "boss@example.com"
            period: PERIOD_WEEKLY
            send_at_minute: 390
            from_address: "ews@example.com"
            smtp { host: "192.0.2.25" port: 587 tls_mode: TLS_MODE_STARTTLS }
          }
          ftp {
            enabled: true
            protocol: FTP_PROTOCOL_FTP
            host: "192.0.2.21"
            port: 21
            tls_mode: TLS_MODE_STARTTLS
            remote_directory: "/ews"
            period: PERIOD_MONTHLY
          }
          network_drive { enabled: false period: PERIOD_DAILY }
        }
      )pb",
      &old_form));
  legacy.MergeFrom(old_form);
  absl::StatusOr<v1::DeviceConfig> parsed = FromText(ToText(legacy));
  ASSERT_THAT(parsed, IsOk());
  const v1::Reports& reports = parsed->reports();
  ASSERT_EQ(reports.list_size(), 2);
  EXPECT_EQ(reports.list(0).name(), "email");
  EXPECT_TRUE(reports.list(0).enabled());
  EXPECT_EQ(reports.list(0).period(), v1::PERIOD_WEEKLY);
  EXPECT_EQ(reports.list(0).send_at_minute(), 390u);
  EXPECT_EQ(reports.list(0).language(), v1::REPORT_LANGUAGE_ENGLISH);
  EXPECT_THAT(reports.list(0).recipients(),
              ::testing::ElementsAre("energy@example.com", "boss@example.com"));
  EXPECT_FALSE(reports.list(0).deposit_ftp());
  EXPECT_EQ(reports.list(1).name(), "ftp");
  EXPECT_EQ(reports.list(1).period(), v1::PERIOD_MONTHLY);
  EXPECT_EQ(reports.list(1).send_at_minute(), 390u);
  EXPECT_TRUE(reports.list(1).deposit_ftp());
  EXPECT_EQ(reports.list(1).recipients_size(), 0);
  EXPECT_FALSE(reports.email().enabled());
  EXPECT_EQ(reports.email().recipients_size(), 0);
  EXPECT_EQ(reports.ftp().period(), v1::PERIOD_UNSPECIFIED);
  EXPECT_EQ(reports.network_drive().period(), v1::PERIOD_UNSPECIFIED);
  EXPECT_EQ(reports.email().smtp().host(), "192.0.2.25");  // kept
  EXPECT_EQ(reports.ftp().remote_directory(), "/ews");     // kept
  EXPECT_THAT(Validate(*parsed), IsOk());

  // The same through JSON (a PUT of the section, a restored backup), and
  // a second pass changes nothing.
  v1::DeviceConfig again = *parsed;
  EXPECT_FALSE(MigrateLegacyReports(again));
  absl::StatusOr<std::string> json = ToJson(legacy);
  ASSERT_THAT(json, IsOk());
  absl::StatusOr<v1::DeviceConfig> from_json = FromJson(*json);
  ASSERT_THAT(from_json, IsOk());
  EXPECT_TRUE(MessageDifferencer::Equals(*from_json, *parsed));
}

// The migrated report takes a free name when "email" is already in the list.
TEST(MigrateTest, MigratedNameDoesNotCollide) {
  v1::DeviceConfig config;
  v1::Report* existing = config.mutable_reports()->add_list();
  existing->set_name("email");
  config.mutable_reports()->mutable_email()->set_enabled(true);
  config.mutable_reports()->mutable_email()->add_recipients("a@example.com");
  EXPECT_TRUE(MigrateLegacyReports(config));
  ASSERT_EQ(config.reports().list_size(), 2);
  EXPECT_EQ(config.reports().list(1).name(), "email-2");
}

}  // namespace
}  // namespace ews::config
