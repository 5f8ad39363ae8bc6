// The session part of the HTTPS API: login, logout, who am I, change codes,
// unblock with the PUK, the administrator's user list, code resets and audit
// log; and Guarded(), which applies a route's access rule
// (sdk/security/roles) with the session cookie and CSRF token to any handler.
//
// State in the data directory: auth_state (lockout), audit/ (audit log).
// Sessions are in memory. docs/api.md documents the routes.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "apps/server/api_common.h"
#include "sdk/base/clock.h"
#include "sdk/config/config_store.h"
#include "sdk/http/https_server.h"
#include "sdk/security/audit/audit_log.h"
#include "sdk/security/auth/authenticator.h"
#include "sdk/security/session/session_manager.h"

namespace ews::server {

class SessionApi {
 public:
  // Errors: as Authenticator::Create and AuditLog::Open.
  static absl::StatusOr<std::unique_ptr<SessionApi>> Create(
      const std::string& data_dir, Clock& clock,
      security::AuthOptions auth = security::AuthOptions(),
      security::SessionOptions sessions = security::SessionOptions());

  // The routes this API serves, to be wrapped by Guarded() like every
  // other API route.
  std::vector<ApiRoute> Routes();

  // `handler` runs only if the request's route allows it: 400 for a
  // non-canonical path, 404/405 for an unknown route, 401 without a valid
  // session, 403 for a wrong CSRF token, codes still to change, or a role
  // without the permission.
  http::Handler Guarded(SessionHandler handler);
  // For routes served outside Guarded() (the WebSocket upgrade of
  // /api/v1/live): the request's session when its route's rule allows it,
  // else the error answer Guarded() would have sent.
  std::variant<security::SessionInfo, http::Response> Authorize(
      const http::Request& request);

  security::AuditLog& audit() { return *audit_; }
  // For the other ways in (FTP, WebDAV): the same users and lockout.
  security::Authenticator& authenticator() { return *auth_; }
  // The request's session from its cookie (and CSRF header for methods
  // that change state). Errors: as SessionManager::Check.
  absl::StatusOr<security::SessionInfo> CheckSession(
      const http::Request& request, absl::string_view method);

 private:
  SessionApi(Clock& clock, std::unique_ptr<config::ConfigStore> store,
             std::unique_ptr<security::ConfigCodeStore> codes,
             std::unique_ptr<security::Authenticator> auth,
             std::unique_ptr<security::AuditLog> audit,
             security::SessionOptions sessions);

  http::Response Login(const http::Request& request);
  http::Response Unblock(const http::Request& request);
  http::Response WhoAmI(const security::SessionInfo& session);
  http::Response Logout(const http::Request& request,
                        const security::SessionInfo& session);
  http::Response ChangeCodes(const http::Request& request,
                             const security::SessionInfo& session);
  http::Response Users();
  http::Response ResetCodes(const http::Request& request,
                            const security::SessionInfo& session,
                            security::Role target);
  http::Response Audit(const http::Request& request);

  Clock& clock_;
  std::unique_ptr<config::ConfigStore> store_;
  std::unique_ptr<security::ConfigCodeStore> codes_;
  std::unique_ptr<security::Authenticator> auth_;
  std::unique_ptr<security::AuditLog> audit_;
  security::SessionManager sessions_;
};

}  // namespace ews::server
