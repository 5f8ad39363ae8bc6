// Where the users' PIN/PUK hashes live. The Authenticator reads and replaces
// them only through this interface.
//
//   ConfigCodeStore   the users in the device configuration (config.textproto
//                     through config::ConfigStore)
#pragma once

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sdk/config/config_store.h"
#include "sdk/security/credentials.h"
#include "sdk/security/roles/permissions.h"

namespace ews::security {

struct UserCodes {
  CodeHash pin;
  CodeHash puk;
};

class CodeStore {
 public:
  virtual ~CodeStore() = default;

  // The codes of `role`. NotFound: no such user. Other codes: storage errors.
  virtual absl::StatusOr<UserCodes> Get(Role role) = 0;

  // Durably replaces both codes of `role`; on error nothing changed.
  // NotFound: no such user. Other codes: storage errors.
  virtual absl::Status Set(Role role, const UserCodes& codes) = 0;
};

// The users of the device configuration. Every Get() reads the file (a
// login is rare and must see codes changed by another process, e.g. the ctl
// tool); Set() replaces the user's codes through ConfigStore::Update()
// (one load-modify-save under the store's locks, validated, atomic). Whoever
// else changes the configuration uses Update() too, so that nobody writes a
// stale copy of the codes back.
class ConfigCodeStore final : public CodeStore {
 public:
  // `store` is not owned.
  explicit ConfigCodeStore(config::ConfigStore* store) : store_(store) {}

  absl::StatusOr<UserCodes> Get(Role role) override;
  absl::Status Set(Role role, const UserCodes& codes) override;

 private:
  config::ConfigStore* const store_;
};

}  // namespace ews::security
