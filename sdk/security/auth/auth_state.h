// The Authenticator's persistent state: per user, the consecutive wrong PINs
// and PUKs, whether the user is blocked, and whether an administrator reset
// its codes (so they must be changed at the next login).
//
// Kept in a small file of its own (auth_state, mode 0600, written
// atomically), not in the configuration: it changes on every wrong PIN, and
// the configuration is what people set — backed up, restored, diffed and
// audited as "configuration changes". Restoring a backup must not unblock a
// user, and a failed login must not rotate config.textproto.last-good.
//
// Format, one line per user that has any state (others are all zero):
//   ews-auth-state 1
//   ROLE_INSTALLER pin_failures=3 puk_failures=0 blocked=0 puk_blocked=0
//   pin_reset=0 puk_reset=0
#pragma once

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sdk/security/roles/permissions.h"

namespace ews::security {

struct UserLockState {
  int pin_failures = 0;      // consecutive wrong PINs
  int puk_failures = 0;      // consecutive wrong PUKs
  bool blocked = false;      // too many wrong PINs: only the PUK helps
  bool puk_blocked = false;  // too many wrong PUKs: only an administrator
  // An administrator set the code: it must be changed at the next login.
  bool pin_reset = false;
  bool puk_reset = false;

  bool operator==(const UserLockState& other) const;
  bool IsDefault() const { return *this == UserLockState(); }
};

using AuthState = std::map<Role, UserLockState>;

std::string SerializeAuthState(const AuthState& state);

// DataLoss for anything but a well-formed file (bad header, unknown role, a
// role twice, a missing or malformed field, counters outside 0..1000000).
absl::StatusOr<AuthState> ParseAuthState(absl::string_view text);

}  // namespace ews::security
