#include "sdk/security/audit/auth_audit.h"

#include "absl/strings/str_cat.h"

namespace ews::security {

AuditEntry AuditEntryFor(const AuthEvent& event) {
  AuditEntry entry;
  entry.actor = std::string(RoleName(event.role));
  if (entry.actor.empty()) entry.actor = "-";
  entry.client_address = event.client_address;
  entry.action = absl::StrCat("auth.", AuthEventKindName(event.kind));
  switch (event.kind) {
    case AuthEvent::Kind::kLogin:
    case AuthEvent::Kind::kUnblocked:
    case AuthEvent::Kind::kCodesChanged:
    case AuthEvent::Kind::kCodesReset:
      entry.outcome = "ok";
      break;
    default:
      entry.outcome = "denied";
  }
  entry.detail = event.detail;
  return entry;
}

}  // namespace ews::security
