// The audit entry for an Authenticator event (see authenticator.h):
//   auth->SetEventListener([&](const AuthEvent& e) {
//     (void)audit->Append(AuditEntryFor(e));
//   });
#pragma once

#include "sdk/security/audit/audit_log.h"
#include "sdk/security/auth/authenticator.h"

namespace ews::security {

// actor: the role the event is about; action: "auth.<kind>" (auth.login,
// auth.login_failed, auth.blocked, ...); outcome: "ok" or "denied".
AuditEntry AuditEntryFor(const AuthEvent& event);

}  // namespace ews::security
