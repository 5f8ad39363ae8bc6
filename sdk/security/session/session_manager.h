// Login sessions: random tokens in a cookie, idle and absolute timeouts on
// the injected monotonic clock, logout, and a CSRF token per session.
//
//   // login succeeded:
//   EWS_ASSIGN_OR_RETURN(NewSession s, sessions.Create(role, must_change, ip));
//   headers += "Set-Cookie: " + sessions.SetCookie(s.token);
//   body = {"csrf_token": s.info.csrf_token, ...}
//   // every later request:
//   absl::StatusOr<SessionInfo> who = sessions.Check(
//       {cookie_header, method, x_csrf_token_header});
//
// CSRF: the synchronizer-token pattern. The CSRF token is given to the page
// in the login (and who-am-I) answer, never in a cookie; a state-changing
// request (anything but GET, HEAD, OPTIONS) must send it in the
// X-CSRF-Token header. With SameSite=Strict on the session cookie this is
// defence in depth.
//
// Tokens are 256 random bits (BoringSSL RAND_bytes) as 64 lowercase hex
// digits. The table is keyed by SHA-256 of the token, so a lookup's timing
// says nothing about the token itself. Timeouts use monotonic time: setting
// the wall clock (NTP, a user) neither expires nor extends a session.
//
// Thread-safe.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/security/roles/permissions.h"

namespace ews::security {

struct SessionOptions {
  absl::Duration idle_timeout = absl::Minutes(15);
  absl::Duration absolute_timeout = absl::Hours(8);
  // At most this many sessions per role (so at most 4× in all). A new login
  // beyond it ends that role's least recently used session: only someone
  // who knows the same role's PIN can push a session out.
  size_t max_sessions_per_role = 8;
};

// The cookie name. The __Host- prefix makes browsers insist on Secure,
// Path=/ and no Domain.
inline constexpr char kSessionCookieName[] = "__Host-ews_session";
inline constexpr char kCsrfHeaderName[] = "X-CSRF-Token";

struct SessionInfo {
  std::string id;  // a short, non-secret handle (for logs and the audit)
  Role role = config::v1::ROLE_UNSPECIFIED;
  bool must_change_codes = false;
  std::string client_address;
  std::string csrf_token;
  absl::Time created_at;  // wall time, for display
};

struct NewSession {
  std::string token;  // the cookie value; only ever returned here
  SessionInfo info;
};

// What the HTTP layer passes from a request.
struct SessionRequest {
  absl::string_view cookie_header;  // the whole Cookie: header, may be empty
  absl::string_view method;         // "GET", "POST", ...
  absl::string_view csrf_header;    // X-CSRF-Token, may be empty
};

class SessionManager {
 public:
  // `clock` is not owned.
  SessionManager(const Clock& clock, SessionOptions options = {});

  // Errors: InvalidArgument (not a user role); Internal (RNG failure).
  absl::StatusOr<NewSession> Create(Role role, bool must_change_codes,
                                    absl::string_view client_address)
      ABSL_LOCKS_EXCLUDED(mutex_);

  // The session of a request, with its idle timer restarted.
  // Unauthenticated: no session cookie, a malformed token, an unknown,
  // ended or expired session. PermissionDenied: a state-changing method
  // without the session's CSRF token (the session stays valid).
  absl::StatusOr<SessionInfo> Check(const SessionRequest& request)
      ABSL_LOCKS_EXCLUDED(mutex_);

  // Logout. Unauthenticated if there is no such session.
  absl::Status End(absl::string_view token) ABSL_LOCKS_EXCLUDED(mutex_);

  // Ends every session of `role` except the one with `keep_token` (may be
  // empty): after its codes changed or were reset. Returns how many ended.
  int EndSessionsOf(Role role, absl::string_view keep_token = "")
      ABSL_LOCKS_EXCLUDED(mutex_);

  // The session's user changed its codes: the session is no longer
  // restricted. Unauthenticated if there is no such session.
  absl::Status ClearMustChangeCodes(absl::string_view token)
      ABSL_LOCKS_EXCLUDED(mutex_);

  // Live (not expired) sessions.
  std::vector<SessionInfo> Sessions() const ABSL_LOCKS_EXCLUDED(mutex_);

  // "Set-Cookie" values: the session cookie (Max-Age = absolute timeout) and
  // one that deletes it.
  std::string SetCookie(absl::string_view token) const;
  static std::string ClearCookie();

  // The session token from a Cookie header, if one is present.
  static std::optional<std::string> TokenFromCookieHeader(
      absl::string_view cookie_header);

  // Anything but GET, HEAD and OPTIONS.
  static bool IsStateChanging(absl::string_view method);

 private:
  struct Entry {
    SessionInfo info;
    absl::Duration created;  // monotonic
    absl::Duration last_used;
  };
  bool ExpiredLocked(const Entry& entry, absl::Duration now) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void PurgeLocked(absl::Duration now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const Clock& clock_;
  const SessionOptions options_;
  mutable absl::Mutex mutex_;
  // SHA-256(token) -> session.
  absl::flat_hash_map<std::string, Entry> sessions_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::security
