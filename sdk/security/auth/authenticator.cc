#include "sdk/security/auth/authenticator.h"

#include <arpa/inet.h>
#include <openssl/mem.h>
#include <stdio.h>

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sdk/base/files.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/config/defaults.h"

namespace ews::security {
namespace {

const config::FactoryCode* FactoryCodeOf(Role role) {
  for (const config::FactoryCode& code : config::kFactoryCodes) {
    if (code.role == role) return &code;
  }
  return nullptr;
}

// Constant-time equality of two codes of the same length.
bool SameCode(absl::string_view a, absl::string_view b) {
  return a.size() == b.size() &&
         CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

bool IsFactoryPin(absl::string_view pin) {
  bool factory = false;
  for (const config::FactoryCode& code : config::kFactoryCodes) {
    factory |= SameCode(pin, code.pin);
  }
  return factory;
}

bool IsFactoryPuk(absl::string_view puk) {
  absl::StatusOr<std::string> digits = NormalizePuk(puk);
  if (!digits.ok()) return false;
  bool factory = false;
  for (const config::FactoryCode& code : config::kFactoryCodes) {
    factory |= SameCode(*digits, *NormalizePuk(code.puk));
  }
  return factory;
}

absl::Status CheckRole(Role role) {
  if (RoleName(role).empty()) {
    return absl::InvalidArgumentError("not a user type");
  }
  return absl::OkStatus();
}

absl::Status CheckNewPin(absl::string_view pin) {
  if (!IsValidPin(pin)) {
    return absl::InvalidArgumentError("the new PIN must be exactly 5 digits");
  }
  if (IsFactoryPin(pin)) {
    return absl::InvalidArgumentError(
        "the new PIN is a publicly known factory PIN; choose another");
  }
  return absl::OkStatus();
}

absl::Status CheckNewPuk(absl::string_view puk) {
  if (!IsValidPuk(puk)) {
    return absl::InvalidArgumentError(
        "the new PUK must be 14 digits (\"00000 0000 00000\")");
  }
  if (IsFactoryPuk(puk)) {
    return absl::InvalidArgumentError(
        "the new PUK is a publicly known factory PUK; choose another");
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view AuthEventKindName(AuthEvent::Kind kind) {
  switch (kind) {
    case AuthEvent::Kind::kLogin:
      return "login";
    case AuthEvent::Kind::kLoginFailed:
      return "login_failed";
    case AuthEvent::Kind::kBlocked:
      return "blocked";
    case AuthEvent::Kind::kUnblocked:
      return "unblocked";
    case AuthEvent::Kind::kUnblockFailed:
      return "unblock_failed";
    case AuthEvent::Kind::kPukBlocked:
      return "puk_blocked";
    case AuthEvent::Kind::kCodesChanged:
      return "codes_changed";
    case AuthEvent::Kind::kCodesReset:
      return "codes_reset";
    case AuthEvent::Kind::kRateLimited:
      return "rate_limited";
  }
  return "unknown";
}

std::string AddressKey(absl::string_view client_address) {
  const std::string address(client_address);
  unsigned char bytes[16];
  if (inet_pton(AF_INET6, address.c_str(), bytes) == 1) {
    const bool v4_mapped =
        bytes[10] == 0xFF && bytes[11] == 0xFF &&
        std::all_of(bytes, bytes + 10, [](unsigned char b) { return b == 0; });
    if (!v4_mapped) {
      return absl::StrFormat("%02x%02x:%02x%02x:%02x%02x:%02x%02x::/64",
                             bytes[0], bytes[1], bytes[2], bytes[3], bytes[4],
                             bytes[5], bytes[6], bytes[7]);
    }
  }
  return address;
}

absl::StatusOr<std::unique_ptr<Authenticator>> Authenticator::Create(
    CodeStore* codes, std::string state_path, const Clock& clock,
    AuthOptions options) {
  if (codes == nullptr || state_path.empty()) {
    return absl::InvalidArgumentError("a code store and a state path needed");
  }
  if (options.max_pin_failures < 1 || options.max_puk_failures < 1) {
    return absl::InvalidArgumentError("failure limits must be >= 1");
  }
  EWS_ASSIGN_OR_RETURN(
      CodeHash dummy, HashCodeWithSalt("00000", std::string(kSaltBytes, '\x5a'),
                                       options.hash_iterations));
  auto auth = std::unique_ptr<Authenticator>(new Authenticator(
      codes, std::move(state_path), clock, options, std::move(dummy)));

  absl::StatusOr<std::string> text =
      ReadFileToString(auth->state_path_, 1 << 16);
  if (absl::IsNotFound(text.status())) return auth;
  if (!text.ok()) return text.status();
  absl::StatusOr<AuthState> state = ParseAuthState(*text);
  if (!state.ok()) {
    const std::string aside = auth->state_path_ + ".corrupt";
    EWS_LOG(ERROR) << auth->state_path_ << " is corrupt ("
                   << state.status().message() << "): moved to " << aside
                   << "; failure counters start from zero";
    if (rename(auth->state_path_.c_str(), aside.c_str()) != 0) {
      return ErrnoToStatus(errno, absl::StrCat("moving aside ", aside));
    }
    return auth;
  }
  absl::MutexLock lock(&auth->mutex_);
  auth->state_ = *std::move(state);
  return auth;
}

Authenticator::Authenticator(CodeStore* codes, std::string state_path,
                             const Clock& clock, AuthOptions options,
                             CodeHash dummy)
    : codes_(codes),
      state_path_(std::move(state_path)),
      options_(options),
      dummy_(std::move(dummy)),
      per_address_(options.per_address, clock),
      per_user_(options.per_user, clock) {}

void Authenticator::SetEventListener(
    std::function<void(const AuthEvent&)> listener) {
  absl::MutexLock lock(&mutex_);
  listener_ = std::move(listener);
}

void Authenticator::EmitLocked(AuthEvent::Kind kind, Role role,
                               absl::string_view client_address,
                               std::string detail) {
  EWS_LOG(INFO) << "auth: " << AuthEventKindName(kind) << " " << RoleName(role)
                << " from " << client_address << (detail.empty() ? "" : ": ")
                << detail;
  if (listener_) {
    listener_(
        AuthEvent{kind, role, std::string(client_address), std::move(detail)});
  }
}

void Authenticator::SaveStateLocked() {
  absl::Status saved =
      WriteFileAtomically(state_path_, SerializeAuthState(state_));
  if (!saved.ok()) {
    // The counters still hold in memory; only a restart would forget them.
    EWS_LOG(ERROR) << "cannot save " << state_path_ << ": " << saved;
  }
}

absl::Status Authenticator::TakeTokens(Role role,
                                       absl::string_view client_address) {
  // Reported once per flood (the first refusal of a bucket), so that a
  // flood does not turn into as many log lines and audit entries.
  bool first = false;
  absl::Status status = per_address_.Take(AddressKey(client_address), &first);
  const char* which = "per address";
  if (status.ok()) {
    status = per_user_.Take(RoleName(role), &first);
    which = "per user";
  }
  if (!status.ok() && first) {
    absl::MutexLock lock(&mutex_);
    EmitLocked(AuthEvent::Kind::kRateLimited, role, client_address,
               absl::StrCat("limit ", which,
                            " reached; further refusals not "
                            "reported until an attempt passes"));
  }
  return status;
}

absl::StatusOr<UserCodes> Authenticator::CheckPinLocked(
    Role role, absl::string_view pin, absl::string_view client_address) {
  UserLockState& lock = state_[role];
  if (lock.puk_blocked) {
    return absl::FailedPreconditionError(
        "this user is blocked and its PUK too: an administrator must reset "
        "its codes");
  }
  if (lock.blocked) {
    return absl::FailedPreconditionError(
        "this user is blocked after too many wrong PINs: unblock it with the "
        "PUK");
  }
  absl::StatusOr<UserCodes> codes = codes_->Get(role);
  if (!codes.ok() && !absl::IsNotFound(codes.status())) return codes.status();
  // An unknown user costs one verification too, and always fails.
  const bool match =
      VerifyCode(pin, codes.ok() ? codes->pin : dummy_) && codes.ok();
  if (match) {
    if (lock.pin_failures != 0) {
      lock.pin_failures = 0;
      SaveStateLocked();
    }
    return codes;
  }
  ++lock.pin_failures;
  if (lock.pin_failures >= options_.max_pin_failures) {
    lock.blocked = true;
    SaveStateLocked();
    EmitLocked(AuthEvent::Kind::kBlocked, role, client_address,
               absl::StrCat(lock.pin_failures, " wrong PINs"));
    return absl::UnauthenticatedError(
        "wrong PIN; the user is now blocked: unblock it with the PUK");
  }
  SaveStateLocked();
  EmitLocked(AuthEvent::Kind::kLoginFailed, role, client_address,
             absl::StrCat(lock.pin_failures, " of ", options_.max_pin_failures,
                          " wrong PINs"));
  return absl::UnauthenticatedError(
      absl::StrCat("wrong PIN; ", options_.max_pin_failures - lock.pin_failures,
                   " attempt(s) left before the user is blocked"));
}

bool Authenticator::PukIsFactoryLocked(Role role, const CodeHash& puk) {
  const std::string key = absl::StrCat(puk.salt, puk.hash);
  auto it = puk_factory_cache_.find(key);
  if (it != puk_factory_cache_.end()) return it->second;
  const config::FactoryCode* factory = FactoryCodeOf(role);
  const bool is_factory = factory != nullptr && VerifyPuk(factory->puk, puk);
  if (puk_factory_cache_.size() > 64) puk_factory_cache_.clear();
  puk_factory_cache_.emplace(key, is_factory);
  return is_factory;
}

absl::StatusOr<LoginResult> Authenticator::Login(
    Role role, absl::string_view pin, absl::string_view client_address) {
  EWS_RETURN_IF_ERROR(TakeTokens(role, client_address));
  EWS_RETURN_IF_ERROR(CheckRole(role));
  if (!IsValidPin(pin)) {
    return absl::InvalidArgumentError("a PIN is exactly 5 digits");
  }
  absl::MutexLock lock(&mutex_);
  EWS_ASSIGN_OR_RETURN(UserCodes codes,
                       CheckPinLocked(role, pin, client_address));
  const config::FactoryCode* factory = FactoryCodeOf(role);
  const UserLockState& user = state_[role];
  LoginResult result;
  result.role = role;
  result.must_change_pin =
      user.pin_reset || (factory != nullptr && SameCode(pin, factory->pin));
  result.must_change_puk =
      user.puk_reset || PukIsFactoryLocked(role, codes.puk);
  EmitLocked(AuthEvent::Kind::kLogin, role, client_address,
             result.must_change_codes() ? "must change codes" : "");
  return result;
}

absl::Status Authenticator::Unblock(Role role, absl::string_view puk,
                                    absl::string_view new_pin,
                                    absl::string_view client_address) {
  EWS_RETURN_IF_ERROR(TakeTokens(role, client_address));
  EWS_RETURN_IF_ERROR(CheckRole(role));
  if (!IsValidPuk(puk)) {
    return absl::InvalidArgumentError("a PUK is 14 digits");
  }
  EWS_RETURN_IF_ERROR(CheckNewPin(new_pin));
  absl::MutexLock lock(&mutex_);
  UserLockState& user = state_[role];
  if (user.puk_blocked) {
    return absl::FailedPreconditionError(
        "the PUK is blocked after too many wrong attempts: an administrator "
        "must reset the codes");
  }
  absl::StatusOr<UserCodes> codes = codes_->Get(role);
  if (!codes.ok() && !absl::IsNotFound(codes.status())) return codes.status();
  const bool match =
      VerifyPuk(puk, codes.ok() ? codes->puk : dummy_) && codes.ok();
  if (!match) {
    ++user.puk_failures;
    if (user.puk_failures >= options_.max_puk_failures) {
      user.puk_blocked = true;
      EmitLocked(AuthEvent::Kind::kPukBlocked, role, client_address,
                 absl::StrCat(user.puk_failures, " wrong PUKs"));
    } else {
      EmitLocked(AuthEvent::Kind::kUnblockFailed, role, client_address,
                 absl::StrCat(user.puk_failures, " of ",
                              options_.max_puk_failures, " wrong PUKs"));
    }
    SaveStateLocked();
    return absl::UnauthenticatedError("wrong PUK");
  }
  EWS_ASSIGN_OR_RETURN(CodeHash pin_hash,
                       HashPin(new_pin, options_.hash_iterations));
  EWS_RETURN_IF_ERROR(codes_->Set(role, UserCodes{pin_hash, codes->puk}));
  user.pin_failures = 0;
  user.puk_failures = 0;
  user.blocked = false;
  user.pin_reset = false;
  SaveStateLocked();
  EmitLocked(AuthEvent::Kind::kUnblocked, role, client_address, "new PIN set");
  return absl::OkStatus();
}

absl::Status Authenticator::ChangeCodes(Role role,
                                        absl::string_view current_pin,
                                        absl::string_view new_pin,
                                        absl::string_view new_puk,
                                        absl::string_view client_address) {
  EWS_RETURN_IF_ERROR(TakeTokens(role, client_address));
  EWS_RETURN_IF_ERROR(CheckRole(role));
  if (!IsValidPin(current_pin)) {
    return absl::InvalidArgumentError("the current PIN is exactly 5 digits");
  }
  EWS_RETURN_IF_ERROR(CheckNewPin(new_pin));
  if (!new_puk.empty()) EWS_RETURN_IF_ERROR(CheckNewPuk(new_puk));
  if (SameCode(new_pin, current_pin)) {
    return absl::InvalidArgumentError(
        "the new PIN must differ from the current one");
  }
  absl::MutexLock lock(&mutex_);
  EWS_ASSIGN_OR_RETURN(UserCodes codes,
                       CheckPinLocked(role, current_pin, client_address));
  UserLockState& user = state_[role];
  if (new_puk.empty() &&
      (user.puk_reset || PukIsFactoryLocked(role, codes.puk))) {
    return absl::FailedPreconditionError(
        "the PUK is a factory or administrator-set code: a new PUK is "
        "required");
  }
  UserCodes updated = codes;
  EWS_ASSIGN_OR_RETURN(updated.pin, HashPin(new_pin, options_.hash_iterations));
  if (!new_puk.empty()) {
    EWS_ASSIGN_OR_RETURN(updated.puk,
                         HashPuk(new_puk, options_.hash_iterations));
  }
  EWS_RETURN_IF_ERROR(codes_->Set(role, updated));
  user.pin_reset = false;
  if (!new_puk.empty()) {
    user.puk_reset = false;
    user.puk_failures = 0;
  }
  SaveStateLocked();
  EmitLocked(AuthEvent::Kind::kCodesChanged, role, client_address,
             new_puk.empty() ? "PIN" : "PIN and PUK");
  return absl::OkStatus();
}

absl::Status Authenticator::ResetCodes(Role acting, Role target,
                                       absl::string_view new_pin,
                                       absl::string_view new_puk,
                                       absl::string_view client_address) {
  if (!HasPermission(acting, Permission::kManageUsers)) {
    return absl::PermissionDeniedError(
        "only an administrator resets another user's codes");
  }
  EWS_RETURN_IF_ERROR(CheckRole(target));
  if (!IsValidPin(new_pin) || !IsValidPuk(new_puk)) {
    return absl::InvalidArgumentError("a PIN is 5 digits and a PUK 14 digits");
  }
  EWS_ASSIGN_OR_RETURN(CodeHash pin,
                       HashPin(new_pin, options_.hash_iterations));
  EWS_ASSIGN_OR_RETURN(CodeHash puk,
                       HashPuk(new_puk, options_.hash_iterations));
  absl::MutexLock lock(&mutex_);
  EWS_RETURN_IF_ERROR(codes_->Set(target, UserCodes{pin, puk}));
  UserLockState& user = state_[target];
  user = UserLockState();
  user.pin_reset = true;
  user.puk_reset = true;
  SaveStateLocked();
  EmitLocked(AuthEvent::Kind::kCodesReset, target, client_address,
             absl::StrCat("by ", RoleName(acting)));
  return absl::OkStatus();
}

std::vector<UserStatus> Authenticator::Users() const {
  absl::MutexLock lock(&mutex_);
  std::vector<UserStatus> users;
  for (Role role : kAllRoles) {
    auto it = state_.find(role);
    users.push_back(
        UserStatus{role, it == state_.end() ? UserLockState() : it->second});
  }
  return users;
}

}  // namespace ews::security
