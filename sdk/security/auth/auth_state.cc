#include "sdk/security/auth/auth_state.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace ews::security {
namespace {

constexpr absl::string_view kHeader = "ews-auth-state 1";
constexpr int kMaxCounter = 1000000;

absl::Status Corrupt(absl::string_view line, absl::string_view why) {
  return absl::DataLossError(
      absl::StrCat("auth state line \"", line, "\": ", why));
}

bool ParseField(absl::string_view token, absl::string_view name, int* value) {
  if (!absl::ConsumePrefix(&token, name) || !absl::ConsumePrefix(&token, "=")) {
    return false;
  }
  return absl::SimpleAtoi(token, value) && *value >= 0 &&
         *value <= kMaxCounter && absl::StrCat(*value) == token;
}

bool ParseFlag(absl::string_view token, absl::string_view name, bool* flag) {
  int value = 0;
  if (!ParseField(token, name, &value) || value > 1) return false;
  *flag = value == 1;
  return true;
}

}  // namespace

bool UserLockState::operator==(const UserLockState& other) const {
  return pin_failures == other.pin_failures &&
         puk_failures == other.puk_failures && blocked == other.blocked &&
         puk_blocked == other.puk_blocked && pin_reset == other.pin_reset &&
         puk_reset == other.puk_reset;
}

std::string SerializeAuthState(const AuthState& state) {
  std::string out = absl::StrCat(kHeader, "\n");
  for (const auto& [role, user] : state) {
    if (user.IsDefault()) continue;
    absl::StrAppend(
        &out, config::v1::Role_Name(role), " pin_failures=", user.pin_failures,
        " puk_failures=", user.puk_failures, " blocked=", user.blocked ? 1 : 0,
        " puk_blocked=", user.puk_blocked ? 1 : 0,
        " pin_reset=", user.pin_reset ? 1 : 0,
        " puk_reset=", user.puk_reset ? 1 : 0, "\n");
  }
  return out;
}

absl::StatusOr<AuthState> ParseAuthState(absl::string_view text) {
  if (!absl::ConsumeSuffix(&text, "\n")) {
    return absl::DataLossError("auth state does not end with a newline");
  }
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  if (lines.empty() || lines[0] != kHeader) {
    return absl::DataLossError(
        absl::StrCat("auth state does not start with \"", kHeader, "\""));
  }
  AuthState state;
  for (size_t i = 1; i < lines.size(); ++i) {
    const absl::string_view line = lines[i];
    std::vector<absl::string_view> tokens = absl::StrSplit(line, ' ');
    if (tokens.size() != 7) return Corrupt(line, "expected 7 fields");
    config::v1::Role role;
    if (!config::v1::Role_Parse(std::string(tokens[0]), &role) ||
        RoleName(role).empty()) {
      return Corrupt(line, "unknown role");
    }
    UserLockState user;
    if (!ParseField(tokens[1], "pin_failures", &user.pin_failures) ||
        !ParseField(tokens[2], "puk_failures", &user.puk_failures) ||
        !ParseFlag(tokens[3], "blocked", &user.blocked) ||
        !ParseFlag(tokens[4], "puk_blocked", &user.puk_blocked) ||
        !ParseFlag(tokens[5], "pin_reset", &user.pin_reset) ||
        !ParseFlag(tokens[6], "puk_reset", &user.puk_reset)) {
      return Corrupt(line, "malformed field");
    }
    if (!state.emplace(role, user).second) {
      return Corrupt(line, "role listed twice");
    }
  }
  return state;
}

}  // namespace ews::security
