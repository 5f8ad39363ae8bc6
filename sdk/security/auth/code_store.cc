#include "sdk/security/auth/code_store.h"

#include "absl/strings/str_cat.h"
#include "sdk/base/status_macros.h"
#include "sdk/config/users.h"

namespace ews::security {
namespace {

absl::Status NoUser(Role role) {
  return absl::NotFoundError(
      absl::StrCat("no user of type \"", RoleName(role), "\""));
}

}  // namespace

absl::StatusOr<UserCodes> ConfigCodeStore::Get(Role role) {
  EWS_ASSIGN_OR_RETURN(config::v1::DeviceConfig config, store_->Load());
  const config::v1::User* user = config::FindUser(config, role);
  if (user == nullptr) return NoUser(role);
  return UserCodes{config::ToCodeHash(user->pin()),
                   config::ToCodeHash(user->puk())};
}

absl::Status ConfigCodeStore::Set(Role role, const UserCodes& codes) {
  return store_
      ->Update([&](config::v1::DeviceConfig& config) {
        config::v1::User* user = config::FindMutableUser(config, role);
        if (user == nullptr) return NoUser(role);
        *user->mutable_pin() = config::ToHashedCode(codes.pin);
        *user->mutable_puk() = config::ToHashedCode(codes.puk);
        return absl::OkStatus();
      })
      .status();
}

}  // namespace ews::security
