#include "sdk/security/roles/permissions.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "sdk/http/path_pattern.h"

namespace ews::security {
namespace {

using config::v1::ROLE_ADMINISTRATOR;
using config::v1::ROLE_GREENUP;
using config::v1::ROLE_INSTALLER;
using config::v1::ROLE_USER;
using P = Permission;

struct PermissionRow {
  Permission permission;
  absl::string_view name;
  bool administrator;
  bool installer;
  bool greenup;
  bool user;
};

// The permission matrix (docs/security.md shows the same table).
// clang-format off
constexpr PermissionRow kMatrix[] = {
    //  permission              name                     admin  inst   green  user
    {P::kViewLive,            "view_live",             true,  true,  false, true},
    {P::kViewHistory,         "view_history",          true,  true,  false, true},
    {P::kExportCsv,           "export_csv",            true,  true,  false, true},
    {P::kViewEvChargers,      "view_ev_chargers",      true,  true,  true,  false},
    {P::kControlEvChargers,   "control_ev_chargers",   true,  true,  true,  false},
    {P::kConfigureDevices,    "configure_devices",     true,  true,  false, false},
    {P::kConfigureRs485,      "configure_rs485",       true,  true,  false, false},
    {P::kConfigureNetwork,    "configure_network",     true,  true,  false, false},
    {P::kConfigureIpGateways, "configure_ip_gateways", true,  true,  false, false},
    {P::kScanBus,             "scan_bus",              true,  true,  false, false},
    {P::kRegisterTest,        "register_test",         true,  true,  false, false},
    {P::kControlDevices,      "control_devices",       true,  true,  false, false},
    {P::kViewNetworkState,    "view_network_state",    true,  true,  false, false},
    {P::kConfigureSite,       "configure_site",        true,  false, false, false},
    {P::kConfigureSystem,     "configure_system",      true,  false, false, false},
    {P::kManageUsers,         "manage_users",          true,  false, false, false},
    {P::kManageCertificate,   "manage_certificate",    true,  false, false, false},
    {P::kBackupRestore,       "backup_restore",        true,  false, false, false},
    {P::kViewAudit,           "view_audit",            true,  false, false, false},
};
// clang-format on
static_assert(sizeof(kMatrix) / sizeof(kMatrix[0]) == kPermissionCount,
              "one matrix row per permission");

const PermissionRow* FindRow(Permission permission) {
  for (const PermissionRow& row : kMatrix) {
    if (row.permission == permission) return &row;
  }
  return nullptr;
}

constexpr RouteAccess Public() {
  return {RouteAccess::Kind::kPublic, P::kViewLive, true};
}
constexpr RouteAccess AnySession(bool before_code_change = false) {
  return {RouteAccess::Kind::kAnySession, P::kViewLive, before_code_change};
}
constexpr RouteAccess Needs(Permission permission) {
  return {RouteAccess::Kind::kPermission, permission, false};
}

std::vector<Route> BuildRoutes() {
  std::vector<Route> routes = {
      // session
      {"GET", "/api/v1/health", Public()},
      {"POST", "/api/v1/session/login", Public()},
      {"POST", "/api/v1/session/unblock", Public()},
      {"GET", "/api/v1/session", AnySession(true)},
      {"POST", "/api/v1/session/logout", AnySession(true)},
      {"POST", "/api/v1/session/codes", AnySession(true)},
      // live values and devices
      {"GET", "/api/v1/devices", Needs(P::kViewLive)},
      {"GET", "/api/v1/devices/*", Needs(P::kViewLive)},
      {"GET", "/api/v1/devices/*/values", Needs(P::kViewLive)},
      {"GET", "/api/v1/devices/*/health", Needs(P::kViewLive)},
      {"GET", "/api/v1/leds", Needs(P::kViewLive)},
      {"GET", "/api/v1/live", AnySession()},  // WebSocket, filtered per role
      {"POST", "/api/v1/devices", Needs(P::kConfigureDevices)},
      {"PUT", "/api/v1/devices/*", Needs(P::kConfigureDevices)},
      {"DELETE", "/api/v1/devices/*", Needs(P::kConfigureDevices)},
      {"POST", "/api/v1/scan", Needs(P::kScanBus)},
      {"GET", "/api/v1/scan", Needs(P::kScanBus)},
      {"DELETE", "/api/v1/scan", Needs(P::kScanBus)},
      {"POST", "/api/v1/devices/*/registers", Needs(P::kRegisterTest)},
      {"POST", "/api/v1/devices/*/commands/*", Needs(P::kControlDevices)},
      // the device profiles a device can be given (commissioning)
      {"GET", "/api/v1/profiles", Needs(P::kConfigureDevices)},
      // EV charging stations (greenUp)
      {"GET", "/api/v1/ev/chargers", Needs(P::kViewEvChargers)},
      {"GET", "/api/v1/ev/chargers/*", Needs(P::kViewEvChargers)},
      {"GET", "/api/v1/ev/chargers/*/sessions", Needs(P::kViewEvChargers)},
      {"GET", "/api/v1/ev/chargers/*/history", Needs(P::kViewEvChargers)},
      {"POST", "/api/v1/ev/chargers/*/start", Needs(P::kControlEvChargers)},
      {"POST", "/api/v1/ev/chargers/*/stop", Needs(P::kControlEvChargers)},
      {"PUT", "/api/v1/ev/chargers/*/current-limit",
       Needs(P::kControlEvChargers)},
      // history
      {"GET", "/api/v1/history/series", Needs(P::kViewHistory)},
      {"GET", "/api/v1/history/chart", Needs(P::kViewHistory)},
      {"GET", "/api/v1/history/totals", Needs(P::kViewHistory)},
      {"GET", "/api/v1/history/tree", Needs(P::kViewHistory)},
      {"GET", "/api/v1/history/csv", Needs(P::kExportCsv)},
      // the history was found corrupt and moved aside: seen
      {"POST", "/api/v1/history/acknowledge", Needs(P::kConfigureSystem)},
      // the history as files (docs/data-access.md): any session; each role
      // sees only the devices' folders it may see
      {"GET", "/api/v1/files", AnySession()},
      {"GET", "/api/v1/files/*", AnySession()},
      {"GET", "/api/v1/files/*/*", AnySession()},
      // automatic reports (docs/reports.md)
      {"POST", "/api/v1/reports/test", Needs(P::kConfigureSite)},
      {"GET", "/api/v1/reports/status", Needs(P::kConfigureSite)},
      // configuration as a whole
      {"GET", "/api/v1/config/backup", Needs(P::kBackupRestore)},
      {"POST", "/api/v1/config/restore", Needs(P::kBackupRestore)},
      // system
      {"GET", "/api/v1/system/version", AnySession()},
      {"GET", "/api/v1/system/time", AnySession()},
      {"PUT", "/api/v1/system/time", Needs(P::kConfigureSystem)},
      {"GET", "/api/v1/system/ntp", AnySession()},
      {"GET", "/api/v1/system/network", Needs(P::kViewNetworkState)},
      {"GET", "/api/v1/system/logs", Needs(P::kViewNetworkState)},
      {"POST", "/api/v1/system/restart", Needs(P::kConfigureSystem)},
      {"GET", "/api/v1/system/certificate", AnySession()},
      {"PUT", "/api/v1/system/certificate", Needs(P::kManageCertificate)},
      {"GET", "/api/v1/system/ca-certificate", Public()},
      {"GET", "/api/v1/audit", Needs(P::kViewAudit)},
      {"GET", "/api/v1/users", Needs(P::kManageUsers)},
      {"POST", "/api/v1/users/*/reset", Needs(P::kManageUsers)},
  };
  // Configuration by section: read, validate without applying, apply. A
  // section is read with the permission that changes it.
  struct Section {
    absl::string_view path;
    absl::string_view validate_path;
    Permission permission;
  };
  constexpr Section kSections[] = {
      {"/api/v1/config/network", "/api/v1/config/network/validate",
       P::kConfigureNetwork},
      {"/api/v1/config/site", "/api/v1/config/site/validate",
       P::kConfigureNetwork},
      {"/api/v1/config/rs485", "/api/v1/config/rs485/validate",
       P::kConfigureRs485},
      {"/api/v1/config/model", "/api/v1/config/model/validate",
       P::kConfigureSystem},
      {"/api/v1/config/devices", "/api/v1/config/devices/validate",
       P::kConfigureDevices},
      {"/api/v1/config/pulse-counters",
       "/api/v1/config/pulse-counters/validate", P::kConfigureDevices},
      {"/api/v1/config/ip-gateways", "/api/v1/config/ip-gateways/validate",
       P::kConfigureIpGateways},
      {"/api/v1/config/modbus-gateway",
       "/api/v1/config/modbus-gateway/validate", P::kConfigureIpGateways},
      {"/api/v1/config/consumption-tree",
       "/api/v1/config/consumption-tree/validate", P::kConfigureSite},
      {"/api/v1/config/tariffs", "/api/v1/config/tariffs/validate",
       P::kConfigureSite},
      {"/api/v1/config/reports", "/api/v1/config/reports/validate",
       P::kConfigureSite},
      {"/api/v1/config/storage", "/api/v1/config/storage/validate",
       P::kConfigureSite},
      {"/api/v1/config/users", "/api/v1/config/users/validate",
       P::kManageUsers},
  };
  for (const Section& section : kSections) {
    routes.push_back({"GET", section.path, Needs(section.permission)});
    routes.push_back({"PUT", section.path, Needs(section.permission)});
    routes.push_back(
        {"POST", section.validate_path, Needs(section.permission)});
  }
  return routes;
}

bool IsCanonicalPath(absl::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  for (char c : path) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7F || c == '%' || c == '\\') return false;
  }
  if (path.size() == 1) return true;
  for (absl::string_view segment :
       absl::StrSplit(path.substr(1), absl::ByChar('/'))) {
    if (segment.empty() || segment == "." || segment == "..") return false;
  }
  return true;
}

// "*" segments match one segment each; a pattern without one is the path
// itself.
bool PatternMatches(absl::string_view pattern, absl::string_view path) {
  return pattern == path || http::PathMatches(pattern, path);
}

}  // namespace

absl::string_view RoleName(Role role) {
  switch (role) {
    case ROLE_ADMINISTRATOR:
      return "administrator";
    case ROLE_INSTALLER:
      return "installer";
    case ROLE_GREENUP:
      return "greenUp";
    case ROLE_USER:
      return "user";
    default:
      return "";
  }
}

std::optional<Role> ParseRoleName(absl::string_view name) {
  for (Role role : kAllRoles) {
    if (RoleName(role) == name) return role;
  }
  return std::nullopt;
}

absl::string_view PermissionName(Permission permission) {
  const PermissionRow* row = FindRow(permission);
  return row == nullptr ? "" : row->name;
}

bool HasPermission(Role role, Permission permission) {
  const PermissionRow* row = FindRow(permission);
  if (row == nullptr) return false;
  switch (role) {
    case ROLE_ADMINISTRATOR:
      return row->administrator;
    case ROLE_INSTALLER:
      return row->installer;
    case ROLE_GREENUP:
      return row->greenup;
    case ROLE_USER:
      return row->user;
    default:
      return false;
  }
}

const std::vector<Route>& Routes() {
  static const std::vector<Route>* routes = new auto(BuildRoutes());
  return *routes;
}

absl::StatusOr<RouteAccess> LookupRoute(absl::string_view method,
                                        absl::string_view path) {
  if (!IsCanonicalPath(path)) {
    return absl::InvalidArgumentError(
        "request path is not canonical (escapes, '.', '..' or empty "
        "segments)");
  }
  bool path_known = false;
  for (const Route& route : Routes()) {
    if (!PatternMatches(route.pattern, path)) continue;
    path_known = true;
    if (route.method == method) return route.access;
  }
  if (path_known) {
    return absl::FailedPreconditionError(
        absl::StrCat("method ", method, " is not allowed on ", path));
  }
  return absl::NotFoundError(absl::StrCat("no API route ", path));
}

Decision Authorize(const RouteAccess& access,
                   const std::optional<Principal>& principal) {
  if (access.kind == RouteAccess::Kind::kPublic) return Decision::kAllow;
  if (!principal.has_value() || RoleName(principal->role).empty()) {
    return Decision::kUnauthenticated;
  }
  if (principal->must_change_codes && !access.allowed_before_code_change) {
    return Decision::kMustChangeCodes;
  }
  if (access.kind == RouteAccess::Kind::kAnySession) return Decision::kAllow;
  return HasPermission(principal->role, access.permission)
             ? Decision::kAllow
             : Decision::kForbidden;
}

}  // namespace ews::security
