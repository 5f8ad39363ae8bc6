// Roles and the permission matrix: which of the four user types may do what,
// and which permission each HTTP route needs.
//
//   EWS_ASSIGN_OR_RETURN(RouteAccess access, LookupRoute("PUT", path));
//   switch (Authorize(access, session)) { case Decision::kAllow: ... }
//
// The matrix is data (kMatrix in permissions.cc) and is documented as a table
// in docs/security.md; permissions_test.cc checks every route × every role.
#pragma once

#include <optional>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "sdk/config/config.pb.h"

namespace ews::security {

using Role = config::v1::Role;

// The four roles, in display order.
inline constexpr Role kAllRoles[] = {
    config::v1::ROLE_ADMINISTRATOR, config::v1::ROLE_INSTALLER,
    config::v1::ROLE_GREENUP, config::v1::ROLE_USER};

// "administrator", "installer", "greenUp", "user"; "" for anything else.
absl::string_view RoleName(Role role);
// The inverse of RoleName() (case-sensitive); nullopt for an unknown name.
std::optional<Role> ParseRoleName(absl::string_view name);

enum class Permission {
  kViewLive,             // dashboards, live values, device states, LEDs
  kViewHistory,          // charts, totals, consumption tree, costs
  kExportCsv,            // CSV download
  kViewEvChargers,       // EV stations: state, sessions, their history
  kControlEvChargers,    // EV stations: start/stop, current limits
  kConfigureDevices,     // devices and pulse counters: add/edit/remove
  kConfigureRs485,       // the RS485 line
  kConfigureNetwork,     // IP settings
  kConfigureIpGateways,  // IP gateways and the Modbus TCP gateway
  kScanBus,              // bus scan (start, progress, cancel)
  kRegisterTest,         // read any register range
  kControlDevices,       // device commands (breakers, outputs, chargers)
  kViewNetworkState,     // network state, logs
  kConfigureSite,        // consumption tree, tariffs, reports, storage
  kConfigureSystem,      // model, time, NTP, restart
  kManageUsers,          // reset other users' codes
  kManageCertificate,    // upload the site certificate
  kBackupRestore,        // configuration backup and restore
  kViewAudit,            // the audit log
};
inline constexpr int kPermissionCount =
    static_cast<int>(Permission::kViewAudit) + 1;

// "view_live", "configure_rs485", ... (stable, used in the API and docs).
absl::string_view PermissionName(Permission permission);

// The matrix: whether `role` holds `permission`. False for
// ROLE_UNSPECIFIED / unknown roles.
bool HasPermission(Role role, Permission permission);

// What a route needs.
struct RouteAccess {
  enum class Kind {
    kPublic,      // no session (health, login, unblock, CA download)
    kAnySession,  // any logged-in role
    kPermission,  // a session whose role holds `permission`
  };
  Kind kind = Kind::kPermission;
  Permission permission = Permission::kViewLive;  // for kPermission only
  // Allowed while the session must still change factory/reset codes
  // (who am I, logout, change codes). Public routes are always allowed.
  bool allowed_before_code_change = false;
};

struct Route {
  absl::string_view method;  // "GET", "POST", "PUT", "DELETE"
  // Absolute path; a segment "*" matches exactly one non-empty segment.
  absl::string_view pattern;
  RouteAccess access;
};

// Every API route with its access rule (the table the HTTP layer serves and
// docs/api.md documents).
const std::vector<Route>& Routes();

// The access rule for `method` + `path` (path only, no query string).
// Errors: InvalidArgument for a path that is not canonical (not starting with
// "/", empty segments "//", "." or ".." segments, any '%' escape, a
// backslash, NUL or control characters) — answer 400 and do nothing;
// NotFound when no route has that path (404); FailedPrecondition when the
// path exists but not with this method (405).
absl::StatusOr<RouteAccess> LookupRoute(absl::string_view method,
                                        absl::string_view path);

// Who is asking: nullopt for no (valid) session.
struct Principal {
  Role role = config::v1::ROLE_UNSPECIFIED;
  bool must_change_codes = false;
};

enum class Decision {
  kAllow,
  kUnauthenticated,  // 401: log in first
  kMustChangeCodes,  // 403: change the factory/reset codes first
  kForbidden,        // 403: the role lacks the permission
};

Decision Authorize(const RouteAccess& access,
                   const std::optional<Principal>& principal);

}  // namespace ews::security
