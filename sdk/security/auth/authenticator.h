// Login by user type + PIN, PUK unblock, code changes and administrator
// resets, with lockout and rate limits.
//
//   ConfigCodeStore codes(&config_store);
//   EWS_ASSIGN_OR_RETURN(auto auth, Authenticator::Create(
//       &codes, data_dir + "/auth_state", clock, AuthOptions()));
//   absl::StatusOr<LoginResult> login = auth->Login(role, pin, address);
//
// Rules (docs/security.md):
// - Codes are checked against the stored PBKDF2 hashes in constant time; an
//   unknown user costs the same as a known one.
// - max_pin_failures consecutive wrong PINs block the user. Only the PUK
//   unblocks it, and only together with a new PIN. max_puk_failures
//   consecutive wrong PUKs block the PUK too: then only an administrator's
//   ResetCodes() helps.
// - A user whose PIN or PUK is still a factory code (config/defaults.h), or
//   was set by an administrator, logs in with must_change_pin/puk: the HTTP
//   layer allows nothing but changing the codes (roles/permissions.h).
// - Every attempt takes a token per client address and per user
//   (RateLimiter): a flood is refused before any hashing.
// - Codes are never logged, stored in clear or put in an event.
// - Failure counters and blocks persist in `state_path` (auth_state.h says
//   why not in the configuration).
//
// Thread-safe; attempts are serialised (each costs one PBKDF2).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "sdk/base/clock.h"
#include "sdk/security/auth/auth_state.h"
#include "sdk/security/auth/code_store.h"
#include "sdk/security/auth/rate_limiter.h"
#include "sdk/security/credentials.h"
#include "sdk/security/roles/permissions.h"

namespace ews::security {

struct AuthOptions {
  int max_pin_failures = 5;
  int max_puk_failures = 10;
  // PBKDF2 iterations for new codes.
  uint32_t hash_iterations = kDefaultIterations;
  // Per client address (IPv6: per /64): 10 at once, then one every 6 s.
  RateLimit per_address = {10, absl::Seconds(6), 4096};
  // Per user type: 10 at once, then one every 3 s.
  RateLimit per_user = {10, absl::Seconds(3), 16};
};

struct LoginResult {
  Role role = config::v1::ROLE_UNSPECIFIED;
  // The PIN / PUK is a factory code or was set by an administrator: it must
  // be changed (ChangeCodes) before anything else.
  bool must_change_pin = false;
  bool must_change_puk = false;
  bool must_change_codes() const { return must_change_pin || must_change_puk; }
};

// What happened, for the audit log. Never carries a code.
struct AuthEvent {
  enum class Kind {
    kLogin,
    kLoginFailed,    // wrong PIN
    kBlocked,        // the wrong PIN that blocked the user
    kUnblocked,      // PUK accepted, new PIN set
    kUnblockFailed,  // wrong PUK
    kPukBlocked,     // the wrong PUK that blocked the PUK
    kCodesChanged,   // by the user
    kCodesReset,     // by an administrator
    kRateLimited,    // the first refused attempt of a flood
  };
  Kind kind;
  Role role;
  std::string client_address;
  std::string detail;  // e.g. "3 of 5 wrong PINs"
};
absl::string_view AuthEventKindName(AuthEvent::Kind kind);  // "login", ...

// Where the administrator's view of a user comes from (no codes).
struct UserStatus {
  Role role = config::v1::ROLE_UNSPECIFIED;
  UserLockState lock;
};

class Authenticator {
 public:
  // `codes` and `clock` are not owned. Reads `state_path` (missing: all
  // users unblocked). A corrupt state file is logged as an ERROR, moved
  // aside as <state_path>.corrupt and replaced by an empty state.
  // Errors: InvalidArgument for bad options; I/O errors reading the state.
  static absl::StatusOr<std::unique_ptr<Authenticator>> Create(
      CodeStore* codes, std::string state_path, const Clock& clock,
      AuthOptions options = AuthOptions());

  // Called (under the Authenticator's lock: keep it short) for each event.
  void SetEventListener(std::function<void(const AuthEvent&)> listener)
      ABSL_LOCKS_EXCLUDED(mutex_);

  // Errors: ResourceExhausted (rate limit; nothing checked), InvalidArgument
  // (not a user role, or not 5 digits; not counted as a wrong PIN),
  // FailedPrecondition (blocked: unblock with the PUK; or the PUK is blocked
  // too: an administrator must reset the codes), Unauthenticated (wrong PIN;
  // counted), NotFound is never returned (an unknown user is a wrong PIN),
  // others from the CodeStore.
  absl::StatusOr<LoginResult> Login(Role role, absl::string_view pin,
                                    absl::string_view client_address)
      ABSL_LOCKS_EXCLUDED(mutex_);

  // PUK + new PIN: unblocks the user (or replaces a forgotten PIN). The new
  // PIN must be 5 digits and not a factory PIN.
  // Errors: ResourceExhausted; InvalidArgument (bad role, malformed PUK or new
  // PIN, factory PIN; nothing counted); FailedPrecondition (PUK blocked);
  // Unauthenticated (wrong PUK; counted); CodeStore errors.
  absl::Status Unblock(Role role, absl::string_view puk,
                       absl::string_view new_pin,
                       absl::string_view client_address)
      ABSL_LOCKS_EXCLUDED(mutex_);

  // The user changes its own codes, proving the current PIN. `new_puk` may
  // be empty (keep the PUK) unless the PUK must be changed. New codes must
  // be well-formed, not factory codes, and the new PIN must differ from the
  // current one.
  // Errors: ResourceExhausted; InvalidArgument (as above);
  // FailedPrecondition (blocked; or a new PUK is required);
  // Unauthenticated (wrong current PIN; counted like a login);
  // CodeStore errors.
  absl::Status ChangeCodes(Role role, absl::string_view current_pin,
                           absl::string_view new_pin, absl::string_view new_puk,
                           absl::string_view client_address)
      ABSL_LOCKS_EXCLUDED(mutex_);

  // An administrator sets `target`'s codes: clears its failures and blocks;
  // the target must change both codes at its next login. End the target's
  // sessions afterwards (SessionManager::EndSessionsOf).
  // Errors: PermissionDenied (`acting` lacks manage_users); InvalidArgument
  // (bad target role or malformed codes); CodeStore errors (NotFound).
  absl::Status ResetCodes(Role acting, Role target, absl::string_view new_pin,
                          absl::string_view new_puk,
                          absl::string_view client_address)
      ABSL_LOCKS_EXCLUDED(mutex_);

  // Lock state of each of the four users.
  std::vector<UserStatus> Users() const ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  Authenticator(CodeStore* codes, std::string state_path, const Clock& clock,
                AuthOptions options, CodeHash dummy);

  absl::Status TakeTokens(Role role, absl::string_view client_address)
      ABSL_LOCKS_EXCLUDED(mutex_);
  // Verifies `pin` against the stored PIN (or a dummy hash when the user
  // does not exist) and counts a failure. Unauthenticated / FailedPrecondition.
  absl::StatusOr<UserCodes> CheckPinLocked(Role role, absl::string_view pin,
                                           absl::string_view client_address)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  bool PukIsFactoryLocked(Role role, const CodeHash& puk)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void SaveStateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void EmitLocked(AuthEvent::Kind kind, Role role,
                  absl::string_view client_address, std::string detail)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  CodeStore* const codes_;
  const std::string state_path_;
  const AuthOptions options_;
  const CodeHash dummy_;  // verified against when the user does not exist
  RateLimiter per_address_;
  RateLimiter per_user_;

  mutable absl::Mutex mutex_;
  AuthState state_ ABSL_GUARDED_BY(mutex_);
  // PUK hash -> whether it is the factory PUK (one PBKDF2 per stored PUK).
  std::map<std::string, bool> puk_factory_cache_ ABSL_GUARDED_BY(mutex_);
  std::function<void(const AuthEvent&)> listener_ ABSL_GUARDED_BY(mutex_);
};

// The rate-limit key of a client address: an IPv6 address counts per /64
// (one host owns a whole /64); anything else as given.
std::string AddressKey(absl::string_view client_address);

}  // namespace ews::security
