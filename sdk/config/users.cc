#include "sdk/config/users.h"

#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace ews::config {

v1::HashedCode ToHashedCode(const security::CodeHash& hash) {
  v1::HashedCode code;
  code.set_algorithm(v1::HASH_ALGORITHM_PBKDF2_HMAC_SHA256);
  code.set_iterations(hash.iterations);
  code.set_salt(hash.salt);
  code.set_hash(hash.hash);
  return code;
}

security::CodeHash ToCodeHash(const v1::HashedCode& code) {
  security::CodeHash hash;
  if (code.algorithm() != v1::HASH_ALGORITHM_PBKDF2_HMAC_SHA256) {
    return hash;  // iterations 0: never verifies
  }
  hash.iterations = code.iterations();
  hash.salt = code.salt();
  hash.hash = code.hash();
  return hash;
}

absl::StatusOr<v1::User> MakeUser(v1::Role role, absl::string_view pin,
                                  absl::string_view puk, uint32_t iterations) {
  if (role == v1::ROLE_UNSPECIFIED || !v1::Role_IsValid(role)) {
    return absl::InvalidArgumentError(
        absl::StrCat("role ", static_cast<int>(role), " is not a user role"));
  }
  absl::StatusOr<security::CodeHash> pin_hash =
      security::HashPin(pin, iterations);
  if (!pin_hash.ok()) return pin_hash.status();
  absl::StatusOr<security::CodeHash> puk_hash =
      security::HashPuk(puk, iterations);
  if (!puk_hash.ok()) return puk_hash.status();
  v1::User user;
  user.set_role(role);
  *user.mutable_pin() = ToHashedCode(*pin_hash);
  *user.mutable_puk() = ToHashedCode(*puk_hash);
  return user;
}

namespace {

absl::Status NoUser(v1::Role role) {
  return absl::NotFoundError(absl::StrCat(
      "no user has role ",
      v1::Role_IsValid(role) ? v1::Role_Name(role) : absl::StrCat(role)));
}

}  // namespace

absl::Status SetPin(v1::DeviceConfig& config, v1::Role role,
                    absl::string_view pin, uint32_t iterations) {
  v1::User* user = FindMutableUser(config, role);
  if (user == nullptr) return NoUser(role);
  absl::StatusOr<security::CodeHash> hash = security::HashPin(pin, iterations);
  if (!hash.ok()) return hash.status();
  *user->mutable_pin() = ToHashedCode(*hash);
  return absl::OkStatus();
}

absl::Status SetPuk(v1::DeviceConfig& config, v1::Role role,
                    absl::string_view puk, uint32_t iterations) {
  v1::User* user = FindMutableUser(config, role);
  if (user == nullptr) return NoUser(role);
  absl::StatusOr<security::CodeHash> hash = security::HashPuk(puk, iterations);
  if (!hash.ok()) return hash.status();
  *user->mutable_puk() = ToHashedCode(*hash);
  return absl::OkStatus();
}

const v1::User* FindUser(const v1::DeviceConfig& config, v1::Role role) {
  for (const v1::User& user : config.users()) {
    if (user.role() == role) return &user;
  }
  return nullptr;
}

v1::User* FindMutableUser(v1::DeviceConfig& config, v1::Role role) {
  for (v1::User& user : *config.mutable_users()) {
    if (user.role() == role) return &user;
  }
  return nullptr;
}

bool CheckPin(const v1::DeviceConfig& config, v1::Role role,
              absl::string_view pin) {
  const v1::User* user = FindUser(config, role);
  if (user == nullptr || !security::IsValidPin(pin)) return false;
  return security::VerifyCode(pin, ToCodeHash(user->pin()));
}

bool CheckPuk(const v1::DeviceConfig& config, v1::Role role,
              absl::string_view puk) {
  const v1::User* user = FindUser(config, role);
  if (user == nullptr) return false;
  return security::VerifyPuk(puk, ToCodeHash(user->puk()));
}

}  // namespace ews::config
