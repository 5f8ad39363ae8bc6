#include "sdk/security/session/session_manager.h"

#include <openssl/mem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ews::security {
namespace {

constexpr size_t kTokenBytes = 32;  // 256 bits

absl::StatusOr<std::string> RandomHex(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<uint8_t*>(raw.data()), raw.size()) != 1) {
    return absl::InternalError("RAND_bytes failed");
  }
  return absl::BytesToHexString(raw);
}

std::string Sha256(absl::string_view data) {
  uint8_t digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const uint8_t*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof digest);
}

bool IsWellFormedToken(absl::string_view token) {
  if (token.size() != 2 * kTokenBytes) return false;
  return std::all_of(token.begin(), token.end(), [](char c) {
    return absl::ascii_isdigit(static_cast<unsigned char>(c)) ||
           (c >= 'a' && c <= 'f');
  });
}

absl::Status NoSession() {
  return absl::UnauthenticatedError("not logged in, or the session expired");
}

}  // namespace

namespace {

SessionOptions Sanitized(SessionOptions options) {
  options.max_sessions_per_role =
      std::max<size_t>(options.max_sessions_per_role, 1);
  return options;
}

}  // namespace

SessionManager::SessionManager(const Clock& clock, SessionOptions options)
    : clock_(clock), options_(Sanitized(options)) {}

bool SessionManager::ExpiredLocked(const Entry& entry,
                                   absl::Duration now) const {
  return now - entry.last_used >= options_.idle_timeout ||
         now - entry.created >= options_.absolute_timeout;
}

void SessionManager::PurgeLocked(absl::Duration now) {
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (ExpiredLocked(it->second, now)) {
      sessions_.erase(it++);
    } else {
      ++it;
    }
  }
}

absl::StatusOr<NewSession> SessionManager::Create(
    Role role, bool must_change_codes, absl::string_view client_address) {
  if (RoleName(role).empty()) {
    return absl::InvalidArgumentError("not a user type");
  }
  absl::StatusOr<std::string> token = RandomHex(kTokenBytes);
  if (!token.ok()) return token.status();
  absl::StatusOr<std::string> csrf = RandomHex(kTokenBytes);
  if (!csrf.ok()) return csrf.status();
  const std::string key = Sha256(*token);

  NewSession session;
  session.token = *std::move(token);
  session.info.id = absl::BytesToHexString(key.substr(0, 4));
  session.info.role = role;
  session.info.must_change_codes = must_change_codes;
  session.info.client_address = std::string(client_address);
  session.info.csrf_token = *std::move(csrf);
  session.info.created_at = clock_.WallNow();

  const absl::Duration now = clock_.MonotonicNow();
  absl::MutexLock lock(&mutex_);
  PurgeLocked(now);
  // Keep the role within its bound: end its least recently used sessions.
  for (;;) {
    size_t count = 0;
    auto oldest = sessions_.end();
    for (auto it = sessions_.begin(); it != sessions_.end(); ++it) {
      if (it->second.info.role != role) continue;
      ++count;
      if (oldest == sessions_.end() ||
          it->second.last_used < oldest->second.last_used) {
        oldest = it;
      }
    }
    if (count < options_.max_sessions_per_role) break;
    sessions_.erase(oldest);
  }
  sessions_.emplace(key, Entry{session.info, now, now});
  return session;
}

absl::StatusOr<SessionInfo> SessionManager::Check(
    const SessionRequest& request) {
  std::optional<std::string> token =
      TokenFromCookieHeader(request.cookie_header);
  if (!token.has_value() || !IsWellFormedToken(*token)) return NoSession();
  const absl::Duration now = clock_.MonotonicNow();
  absl::MutexLock lock(&mutex_);
  auto it = sessions_.find(Sha256(*token));
  if (it == sessions_.end()) return NoSession();
  if (ExpiredLocked(it->second, now)) {
    sessions_.erase(it);
    return NoSession();
  }
  if (IsStateChanging(request.method)) {
    const std::string& want = it->second.info.csrf_token;
    if (request.csrf_header.size() != want.size() ||
        CRYPTO_memcmp(request.csrf_header.data(), want.data(), want.size()) !=
            0) {
      return absl::PermissionDeniedError(
          absl::StrCat("missing or wrong ", kCsrfHeaderName, " header"));
    }
  }
  it->second.last_used = now;
  return it->second.info;
}

absl::Status SessionManager::End(absl::string_view token) {
  if (!IsWellFormedToken(token)) return NoSession();
  absl::MutexLock lock(&mutex_);
  if (sessions_.erase(Sha256(token)) == 0) return NoSession();
  return absl::OkStatus();
}

int SessionManager::EndSessionsOf(Role role, absl::string_view keep_token) {
  const std::string keep = keep_token.empty() ? "" : Sha256(keep_token);
  absl::MutexLock lock(&mutex_);
  int ended = 0;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.info.role == role && it->first != keep) {
      sessions_.erase(it++);
      ++ended;
    } else {
      ++it;
    }
  }
  return ended;
}

absl::Status SessionManager::ClearMustChangeCodes(absl::string_view token) {
  if (!IsWellFormedToken(token)) return NoSession();
  absl::MutexLock lock(&mutex_);
  auto it = sessions_.find(Sha256(token));
  if (it == sessions_.end()) return NoSession();
  it->second.info.must_change_codes = false;
  return absl::OkStatus();
}

std::vector<SessionInfo> SessionManager::Sessions() const {
  const absl::Duration now = clock_.MonotonicNow();
  absl::MutexLock lock(&mutex_);
  std::vector<SessionInfo> out;
  for (const auto& [key, entry] : sessions_) {
    if (!ExpiredLocked(entry, now)) out.push_back(entry.info);
  }
  return out;
}

std::string SessionManager::SetCookie(absl::string_view token) const {
  return absl::StrCat(kSessionCookieName, "=", token, "; Path=/; Max-Age=",
                      absl::ToInt64Seconds(options_.absolute_timeout),
                      "; Secure; HttpOnly; SameSite=Strict");
}

std::string SessionManager::ClearCookie() {
  return absl::StrCat(kSessionCookieName,
                      "=; Path=/; Max-Age=0; Secure; HttpOnly; "
                      "SameSite=Strict");
}

std::optional<std::string> SessionManager::TokenFromCookieHeader(
    absl::string_view cookie_header) {
  for (absl::string_view pair : absl::StrSplit(cookie_header, ';')) {
    pair = absl::StripAsciiWhitespace(pair);
    if (absl::ConsumePrefix(&pair, kSessionCookieName) &&
        absl::ConsumePrefix(&pair, "=")) {
      return std::string(pair);
    }
  }
  return std::nullopt;
}

bool SessionManager::IsStateChanging(absl::string_view method) {
  return method != "GET" && method != "HEAD" && method != "OPTIONS";
}

}  // namespace ews::security
