#include "sdk/config/text_json.h"

#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "sdk/config/internal/json_syntax.h"
#include "sdk/config/migrate.h"

namespace ews::config {
namespace {

constexpr char kTextHeader[] =
    "# EWS device configuration (protobuf text format, message\n"
    "# ews.config.v1.DeviceConfig in sdk/config/config.proto).\n"
    "# See docs/configuration.md. The device validates it on load.\n";

// Keeps the first error protobuf reports, with 1-based positions.
class FirstErrorCollector final : public google::protobuf::io::ErrorCollector {
 public:
  void AddError(int line, google::protobuf::io::ColumnNumber column,
                const std::string& message) override {
    if (!error_.empty()) return;
    error_ =
        absl::StrCat("line ", line + 1, ", column ", column + 1, ": ", message);
  }
  void AddWarning(int, google::protobuf::io::ColumnNumber,
                  const std::string&) override {}

  const std::string& error() const { return error_; }

 private:
  std::string error_;
};

}  // namespace

std::string ToText(const v1::DeviceConfig& config) {
  std::string body;
  google::protobuf::TextFormat::Printer printer;
  printer.PrintToString(config, &body);
  return absl::StrCat(kTextHeader, body);
}

absl::StatusOr<v1::DeviceConfig> FromText(absl::string_view text) {
  v1::DeviceConfig config;
  google::protobuf::TextFormat::Parser parser;
  FirstErrorCollector errors;
  parser.RecordErrorsTo(&errors);
  if (!parser.ParseFromString(std::string(text), &config)) {
    return absl::InvalidArgumentError(
        errors.error().empty() ? "text format does not parse" : errors.error());
  }
  MigrateLegacyReports(config);
  return config;
}

absl::StatusOr<std::string> ToJson(const v1::DeviceConfig& config) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  options.always_print_primitive_fields = true;
  std::string json;
  auto status =
      google::protobuf::util::MessageToJsonString(config, &json, options);
  if (!status.ok()) {
    return absl::InternalError(
        absl::StrCat("cannot print JSON: ", status.message().ToString()));
  }
  return json;
}

absl::StatusOr<v1::DeviceConfig> FromJson(absl::string_view json) {
  // Strict RFC 8259 first: protobuf 3.21 accepts some non-JSON (trailing
  // commas) and reports syntax errors without a position.
  std::optional<internal::JsonSyntaxError> syntax =
      internal::FindJsonSyntaxError(json);
  if (syntax.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat("JSON: line ", syntax->line,
                                                   ", column ", syntax->column,
                                                   ": ", syntax->message));
  }
  v1::DeviceConfig config;
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  auto status = google::protobuf::util::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &config,
      options);
  if (!status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("JSON: ", status.message().ToString()));
  }
  MigrateLegacyReports(config);
  return config;
}

}  // namespace ews::config
