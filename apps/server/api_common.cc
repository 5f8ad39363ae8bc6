#include "apps/server/api_common.h"

#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "google/protobuf/util/json_util.h"

namespace ews::server {
namespace {

absl::StatusOr<std::string> Unescape(absl::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%') {
      if (i + 2 >= text.size()) {
        return absl::InvalidArgumentError("bad %-escape in the query");
      }
      const char hex[3] = {text[i + 1], text[i + 2], 0};
      if (!absl::ascii_isxdigit(hex[0]) || !absl::ascii_isxdigit(hex[1])) {
        return absl::InvalidArgumentError("bad %-escape in the query");
      }
      out += static_cast<char>(std::strtol(hex, nullptr, 16));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

}  // namespace

std::optional<http::Response> ParseJsonBody(
    const std::string& body, google::protobuf::Message* message) {
  google::protobuf::util::JsonParseOptions options;
  options.ignore_unknown_fields = false;
  const auto status =
      google::protobuf::util::JsonStringToMessage(body, message, options);
  if (status.ok()) return std::nullopt;
  const std::string text = status.message().ToString();
  return ApiError(400,
                  absl::StrContains(text, "Cannot find field")
                      ? "unknown_field"
                      : "malformed_body",
                  absl::StrCat("bad request body: ", text));
}

http::Response ApiError(int status, absl::string_view code,
                        absl::string_view message) {
  return http::Response::Error(status, code, message);
}

http::Response ApiError(int status, absl::string_view code,
                        absl::string_view message,
                        const std::function<void(http::JsonWriter&)>& more) {
  return http::Response::Error(status, code, message, more);
}

http::Response ApiError(const absl::Status& status) {
  const std::string message(status.message());
  switch (status.code()) {
    case absl::StatusCode::kInvalidArgument:
      return ApiError(400, "invalid_argument", message);
    case absl::StatusCode::kOutOfRange:
      return ApiError(400, "out_of_range", message);
    case absl::StatusCode::kUnauthenticated:
      return ApiError(401, "unauthenticated", message);
    case absl::StatusCode::kPermissionDenied:
      return ApiError(403, "permission_denied", message);
    case absl::StatusCode::kNotFound:
      return ApiError(404, "not_found", message);
    case absl::StatusCode::kFailedPrecondition:
      return ApiError(409, "failed_precondition", message);
    case absl::StatusCode::kAlreadyExists:
      return ApiError(409, "already_exists", message);
    case absl::StatusCode::kResourceExhausted:
      return ApiError(429, "resource_exhausted", message);
    case absl::StatusCode::kUnavailable:
      return ApiError(503, "unavailable", message);
    case absl::StatusCode::kDataLoss:
      return ApiError(500, "data_loss", message);
    default:
      return ApiError(500, "internal", message);
  }
}

absl::StatusOr<std::map<std::string, std::string>> ParseQuery(
    absl::string_view query) {
  std::map<std::string, std::string> params;
  for (absl::string_view part : absl::StrSplit(query, '&', absl::SkipEmpty())) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(part, absl::MaxSplits('=', 1));
    absl::StatusOr<std::string> name = Unescape(kv.first);
    if (!name.ok()) return name.status();
    absl::StatusOr<std::string> value = Unescape(kv.second);
    if (!value.ok()) return value.status();
    if (!params.emplace(*name, *value).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("parameter ", *name, " given twice"));
    }
  }
  return params;
}

std::optional<std::string> Param(
    const std::map<std::string, std::string>& params, const std::string& name) {
  auto it = params.find(name);
  if (it == params.end()) return std::nullopt;
  return it->second;
}

absl::Status OnlyParams(const std::map<std::string, std::string>& params,
                        std::initializer_list<absl::string_view> known) {
  for (const auto& [name, value] : params) {
    bool found = false;
    for (absl::string_view k : known) found = found || k == name;
    if (!found) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown parameter \"", name, "\""));
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<absl::Time> ParseApiTime(absl::string_view text,
                                        absl::TimeZone zone) {
  int64_t seconds;
  if (absl::SimpleAtoi(text, &seconds)) {
    // Beyond year 9999 absl's civil arithmetic still works, but nothing
    // sensible is stored there.
    if (seconds < 0 || seconds > 253402300799) {
      return absl::InvalidArgumentError(
          absl::StrCat("time ", text, " out of range"));
    }
    return absl::FromUnixSeconds(seconds);
  }
  absl::Time time;
  std::string error;
  if (absl::ParseTime(absl::RFC3339_full, text, &time, &error)) return time;
  absl::CivilDay day;
  if (text.size() == 10 && absl::ParseCivilTime(text, &day)) {
    return zone.At(day).pre;
  }
  return absl::InvalidArgumentError(
      absl::StrCat("bad time \"", text,
                   "\": give RFC 3339 (2026-03-29T01:00:00Z), a date "
                   "(2026-03-29) or Unix seconds"));
}

std::string IsoLocal(absl::Time time, absl::TimeZone zone) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", time, zone);
}

}  // namespace ews::server
