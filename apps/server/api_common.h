// Small pieces every JSON route of the server shares: errors with a stable
// code, query strings, times and numbers in JSON.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "sdk/http/https_server.h"
#include "sdk/http/json.h"
#include "sdk/security/session/session_manager.h"

namespace ews::server {

// A route's handler: it also receives the caller's session (nullopt on a
// public route called without one), e.g. for the audit log's "who".
using SessionHandler = std::function<http::Response(
    const http::Request&, const std::optional<security::SessionInfo>&)>;

// A route an API class serves, not yet guarded: server.cc wraps every
// `handler` with SessionApi::Guarded(), which applies the route's access rule.
struct ApiRoute {
  std::string method;
  std::string path;
  SessionHandler handler;
};

// A handler calling `api`'s const member `method` (which needs no session).
template <typename Api>
SessionHandler BindRoute(const Api* api,
                         http::Response (Api::*method)(const http::Request&)
                             const) {
  return [api, method](const http::Request& request,
                       const std::optional<security::SessionInfo>&) {
    return (api->*method)(request);
  };
}

// Parses a JSON request body into `message` strictly (protobuf's JSON
// mapping): nullopt when it parsed, else the answer refusing it, 400
// "unknown_field" for a field the message does not have and 400
// "malformed_body" for anything else (not JSON, a wrong type).
std::optional<http::Response> ParseJsonBody(const std::string& body,
                                            google::protobuf::Message* message);

// {"error":{"status":400,"code":"invalid_argument","message":"..."}}: `code`
// is stable (clients switch on it), the message is for people.
http::Response ApiError(int status, absl::string_view code,
                        absl::string_view message);
// The same with more members after "message" (an exception code, a list of
// errors per field), written by `more` into the open error object.
http::Response ApiError(int status, absl::string_view code,
                        absl::string_view message,
                        const std::function<void(http::JsonWriter&)>& more);
// The same for a Status, the one mapping every route uses: InvalidArgument
// 400 "invalid_argument", OutOfRange 400 "out_of_range", Unauthenticated 401
// "unauthenticated", PermissionDenied 403 "permission_denied", NotFound 404
// "not_found", FailedPrecondition 409 "failed_precondition", AlreadyExists
// 409 "already_exists", ResourceExhausted 429 "resource_exhausted",
// Unavailable 503 "unavailable", DataLoss 500 "data_loss", others 500
// "internal".
http::Response ApiError(const absl::Status& status);

// The decoded parameters of a query string ("a=1&b=x%20y"). InvalidArgument
// for a bad %-escape or a parameter given twice.
absl::StatusOr<std::map<std::string, std::string>> ParseQuery(
    absl::string_view query);

// A parameter's value, or nullopt when absent.
std::optional<std::string> Param(
    const std::map<std::string, std::string>& params, const std::string& name);

// Refuses parameters outside `known` (InvalidArgument naming the first one).
absl::Status OnlyParams(const std::map<std::string, std::string>& params,
                        std::initializer_list<absl::string_view> known);

// A time given as RFC 3339 ("2026-03-29T01:00:00Z", "...+02:00"), a date
// ("2026-03-29": local midnight in `zone`) or Unix seconds ("1774746000").
// InvalidArgument otherwise.
absl::StatusOr<absl::Time> ParseApiTime(absl::string_view text,
                                        absl::TimeZone zone);

// "2026-03-29T03:00:00+02:00": the site's local time with its offset.
std::string IsoLocal(absl::Time time, absl::TimeZone zone);

// Significant digits of measured values in answers (JsonWriter::Number): a
// counter's Wh in full.
inline constexpr int kApiDigits = 15;

// A list of field changes ([{"field","from","to"}]): a configuration change's
// and an audit entry's are written alike (config::FieldChange and
// security::AuditChange have the same three members).
template <typename Changes>
void WriteFieldChanges(const Changes& changes, http::JsonWriter& json) {
  json.BeginArray();
  for (const auto& change : changes) {
    json.BeginObject()
        .Key("field")
        .String(change.field)
        .Key("from")
        .String(change.from)
        .Key("to")
        .String(change.to)
        .EndObject();
  }
  json.EndArray();
}

}  // namespace ews::server
