#include "apps/server/api_session.h"

#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "apps/server/api_common.h"
#include "apps/server/api_session.pb.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/http/json.h"
#include "sdk/security/audit/auth_audit.h"
#include "sdk/security/roles/permissions.h"

namespace ews::server {
namespace {

using security::Decision;
using security::Role;
using security::SessionInfo;

absl::StatusOr<Role> RoleFromName(const std::string& name) {
  std::optional<Role> role = security::ParseRoleName(name);
  if (!role.has_value()) {
    return absl::InvalidArgumentError(
        "role must be administrator, installer, greenUp or user");
  }
  return *role;
}

// A header's value (empty when absent), not copied: it runs per request.
absl::string_view Header(const http::Request& request,
                         const std::string& name) {
  auto it = request.headers.find(name);
  return it == request.headers.end() ? absl::string_view() : it->second;
}

// The session object of login and who-am-I answers, written into `json`.
void WriteSession(const SessionInfo& session, http::JsonWriter& json) {
  json.BeginObject()
      .Key("role")
      .String(security::RoleName(session.role))
      .Key("must_change_codes")
      .Bool(session.must_change_codes)
      .Key("csrf_token")
      .String(session.csrf_token)
      .Key("session_id")
      .String(session.id)
      .Key("created_at")
      .Time(session.created_at)
      .EndObject();
}

}  // namespace

absl::StatusOr<std::unique_ptr<SessionApi>> SessionApi::Create(
    const std::string& data_dir, Clock& clock, security::AuthOptions auth,
    security::SessionOptions sessions) {
  auto store = std::make_unique<config::ConfigStore>(data_dir, clock);
  auto codes = std::make_unique<security::ConfigCodeStore>(store.get());
  EWS_ASSIGN_OR_RETURN(std::unique_ptr<security::Authenticator> authenticator,
                       security::Authenticator::Create(
                           codes.get(), data_dir + "/auth_state", clock, auth));
  EWS_ASSIGN_OR_RETURN(std::unique_ptr<security::AuditLog> audit,
                       security::AuditLog::Open(data_dir + "/audit", clock));
  security::AuditLog* log = audit.get();
  authenticator->SetEventListener([log](const security::AuthEvent& event) {
    absl::StatusOr<uint64_t> appended =
        log->Append(security::AuditEntryFor(event));
    if (!appended.ok()) EWS_LOG(ERROR) << "audit: " << appended.status();
  });
  return std::unique_ptr<SessionApi>(
      new SessionApi(clock, std::move(store), std::move(codes),
                     std::move(authenticator), std::move(audit), sessions));
}

SessionApi::SessionApi(Clock& clock, std::unique_ptr<config::ConfigStore> store,
                       std::unique_ptr<security::ConfigCodeStore> codes,
                       std::unique_ptr<security::Authenticator> auth,
                       std::unique_ptr<security::AuditLog> audit,
                       security::SessionOptions sessions)
    : clock_(clock),
      store_(std::move(store)),
      codes_(std::move(codes)),
      auth_(std::move(auth)),
      audit_(std::move(audit)),
      sessions_(clock, sessions) {}

absl::StatusOr<SessionInfo> SessionApi::CheckSession(
    const http::Request& request, absl::string_view method) {
  return sessions_.Check(
      {Header(request, "cookie"), method, Header(request, "x-csrf-token")});
}

std::variant<SessionInfo, http::Response> SessionApi::Authorize(
    const http::Request& request) {
  std::optional<SessionInfo> allowed;
  http::Response refusal = Guarded(
      [&allowed](const http::Request&, const std::optional<SessionInfo>& s) {
        allowed = s;
        return http::Response::Json(200, "{}");
      })(request);
  if (allowed.has_value()) return *allowed;
  if (refusal.status == 200) {  // a public route: no session to give
    return http::Response::Error(401, "log in first");
  }
  return refusal;
}

http::Handler SessionApi::Guarded(SessionHandler handler) {
  return [this, handler = std::move(handler)](const http::Request& request) {
    absl::StatusOr<security::RouteAccess> access =
        security::LookupRoute(request.method, request.path);
    if (!access.ok()) {  // 400 non-canonical, 404 unknown, 405 method
      return absl::IsFailedPrecondition(access.status())
                 ? ApiError(405, "method_not_allowed",
                            access.status().message())
                 : ApiError(access.status());
    }
    const absl::string_view cookie = Header(request, "cookie");
    std::optional<SessionInfo> session;
    std::optional<security::Principal> principal;
    const bool is_public = access->kind == security::RouteAccess::Kind::kPublic;
    // A public route called without a cookie has no session to look up.
    if (!is_public || !cookie.empty()) {
      absl::StatusOr<SessionInfo> checked = sessions_.Check(
          {cookie, request.method, Header(request, "x-csrf-token")});
      if (checked.ok()) {
        principal =
            security::Principal{checked->role, checked->must_change_codes};
        session = *std::move(checked);
      } else if (!is_public) {
        return ApiError(checked.status());  // 401, or 403 for CSRF
      }
    }
    switch (security::Authorize(*access, principal)) {
      case Decision::kAllow:
        return handler(request, session);
      case Decision::kUnauthenticated:
        return http::Response::Error(401, "log in first");
      case Decision::kMustChangeCodes:
        return http::Response::Error(
            403, "change the factory or administrator-set codes first");
      case Decision::kForbidden:
        return http::Response::Error(
            403, absl::StrCat("the ", security::RoleName(principal->role),
                              " user may not do this"));
    }
    return http::Response::Error(500, "unreachable");
  };
}

std::vector<ApiRoute> SessionApi::Routes() {
  std::vector<ApiRoute> routes = {
      {"POST", "/api/v1/session/login",
       [this](const http::Request& r, const auto&) { return Login(r); }},
      {"POST", "/api/v1/session/unblock",
       [this](const http::Request& r, const auto&) { return Unblock(r); }},
      {"GET", "/api/v1/session",
       [this](const http::Request&, const auto& s) { return WhoAmI(*s); }},
      {"POST", "/api/v1/session/logout",
       [this](const http::Request& r, const auto& s) { return Logout(r, *s); }},
      {"POST", "/api/v1/session/codes",
       [this](const http::Request& r, const auto& s) {
         return ChangeCodes(r, *s);
       }},
      {"GET", "/api/v1/users",
       [this](const http::Request&, const auto&) { return Users(); }},
      {"GET", "/api/v1/audit",
       [this](const http::Request& r, const auto&) { return Audit(r); }},
  };
  for (Role role : security::kAllRoles) {
    routes.push_back(
        {"POST",
         absl::StrCat("/api/v1/users/", security::RoleName(role), "/reset"),
         [this, role](const http::Request& r, const auto& s) {
           return ResetCodes(r, *s, role);
         }});
  }
  return routes;
}

http::Response SessionApi::Login(const http::Request& request) {
  v1::LoginRequest body;
  if (auto error = ParseJsonBody(request.body, &body)) return *error;
  absl::StatusOr<Role> role = RoleFromName(body.role());
  if (!role.ok()) return ApiError(role.status());
  absl::StatusOr<security::LoginResult> login =
      auth_->Login(*role, body.pin(), request.remote_address);
  if (!login.ok()) return ApiError(login.status());
  absl::StatusOr<security::NewSession> session = sessions_.Create(
      *role, login->must_change_codes(), request.remote_address);
  if (!session.ok()) return ApiError(session.status());
  http::JsonWriter json;
  json.BeginObject().Key("session");
  WriteSession(session->info, json);
  json.Key("must_change_pin")
      .Bool(login->must_change_pin)
      .Key("must_change_puk")
      .Bool(login->must_change_puk)
      .EndObject();
  http::Response response = http::Response::Json(200, json.Take());
  response.headers.emplace_back("Set-Cookie",
                                sessions_.SetCookie(session->token));
  return response;
}

http::Response SessionApi::Unblock(const http::Request& request) {
  v1::UnblockRequest body;
  if (auto error = ParseJsonBody(request.body, &body)) return *error;
  absl::StatusOr<Role> role = RoleFromName(body.role());
  if (!role.ok()) return ApiError(role.status());
  absl::Status unblocked =
      auth_->Unblock(*role, body.puk(), body.new_pin(), request.remote_address);
  if (!unblocked.ok()) return ApiError(unblocked);
  sessions_.EndSessionsOf(*role);
  return http::Response::Json(200, R"({"status":"unblocked"})");
}

http::Response SessionApi::WhoAmI(const SessionInfo& session) {
  http::JsonWriter json;
  WriteSession(session, json);
  return http::Response::Json(200, json.Take());
}

http::Response SessionApi::Logout(const http::Request& request,
                                  const SessionInfo& session) {
  std::optional<std::string> token =
      security::SessionManager::TokenFromCookieHeader(
          Header(request, "cookie"));
  (void)sessions_.End(token.value_or(""));
  security::AuditEntry entry;
  entry.actor = std::string(security::RoleName(session.role));
  entry.client_address = request.remote_address;
  entry.action = "session.logout";
  entry.outcome = "ok";
  (void)audit_->Append(entry);
  http::Response response =
      http::Response::Json(200, R"({"status":"logged_out"})");
  response.headers.emplace_back("Set-Cookie",
                                security::SessionManager::ClearCookie());
  return response;
}

http::Response SessionApi::ChangeCodes(const http::Request& request,
                                       const SessionInfo& session) {
  v1::ChangeCodesRequest body;
  if (auto error = ParseJsonBody(request.body, &body)) return *error;
  absl::Status changed =
      auth_->ChangeCodes(session.role, body.current_pin(), body.new_pin(),
                         body.new_puk(), request.remote_address);
  if (!changed.ok()) return ApiError(changed);
  const std::string token =
      security::SessionManager::TokenFromCookieHeader(Header(request, "cookie"))
          .value_or("");
  (void)sessions_.ClearMustChangeCodes(token);
  sessions_.EndSessionsOf(session.role, token);
  return http::Response::Json(200, R"({"status":"codes_changed"})");
}

http::Response SessionApi::Users() {
  http::JsonWriter json;
  json.BeginObject().Key("users").BeginArray();
  for (const security::UserStatus& user : auth_->Users()) {
    json.BeginObject()
        .Key("role")
        .String(security::RoleName(user.role))
        .Key("blocked")
        .Bool(user.lock.blocked)
        .Key("puk_blocked")
        .Bool(user.lock.puk_blocked)
        .Key("pin_failures")
        .Int(user.lock.pin_failures)
        .Key("puk_failures")
        .Int(user.lock.puk_failures)
        .Key("must_change_codes")
        .Bool(user.lock.pin_reset || user.lock.puk_reset)
        .EndObject();
  }
  json.EndArray().EndObject();
  return http::Response::Json(200, json.Take());
}

http::Response SessionApi::ResetCodes(const http::Request& request,
                                      const SessionInfo& session, Role target) {
  v1::ResetCodesRequest body;
  if (auto error = ParseJsonBody(request.body, &body)) return *error;
  absl::Status reset =
      auth_->ResetCodes(session.role, target, body.new_pin(), body.new_puk(),
                        request.remote_address);
  if (!reset.ok()) return ApiError(reset);
  sessions_.EndSessionsOf(target);
  return http::Response::Json(200, R"({"status":"codes_reset"})");
}

http::Response SessionApi::Audit(const http::Request& request) {
  absl::StatusOr<std::map<std::string, std::string>> params =
      ParseQuery(request.query);
  if (!params.ok()) return ApiError(params.status());
  absl::Status known = OnlyParams(*params, {"limit", "before"});
  if (!known.ok()) return ApiError(known);
  size_t limit = 100;
  uint64_t before = 0;
  if (std::optional<std::string> text = Param(*params, "limit")) {
    if (!absl::SimpleAtoi(*text, &limit) || limit == 0 || limit > 1000) {
      return ApiError(400, "invalid_argument", "limit must be 1..1000");
    }
  }
  if (std::optional<std::string> text = Param(*params, "before")) {
    if (!absl::SimpleAtoi(*text, &before)) {
      return ApiError(400, "invalid_argument",
                      "before must be a sequence number");
    }
  }
  absl::StatusOr<std::vector<security::AuditEntry>> entries =
      audit_->Read(limit, before);
  if (!entries.ok()) return ApiError(entries.status());
  http::JsonWriter json;
  json.BeginObject().Key("entries").BeginArray();
  for (const security::AuditEntry& entry : *entries) {
    json.BeginObject()
        .Key("sequence")
        .Int(static_cast<int64_t>(entry.sequence))
        .Key("time")
        .Time(entry.time)
        .Key("actor")
        .String(entry.actor)
        .Key("address")
        .String(entry.client_address)
        .Key("action")
        .String(entry.action)
        .Key("outcome")
        .String(entry.outcome)
        .Key("detail")
        .String(entry.detail)
        .Key("changes");
    WriteFieldChanges(entry.changes, json);
    json.EndObject();
  }
  json.EndArray().EndObject();
  return http::Response::Json(200, json.Take());
}

}  // namespace ews::server
