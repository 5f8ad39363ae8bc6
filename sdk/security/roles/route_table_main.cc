// Prints the route table (Routes()) as "METHOD PATTERN ACCESS" lines, ACCESS
// being "public", "any_session", "any_session_before_code_change" or the
// permission's name. tests/server/openapi_test.py compares docs/openapi.yaml
// with it.
#include <cstdio>
#include <string>

#include "sdk/security/roles/permissions.h"

int main() {
  using ews::security::RouteAccess;
  for (const ews::security::Route& route : ews::security::Routes()) {
    std::string access;
    switch (route.access.kind) {
      case RouteAccess::Kind::kPublic:
        access = "public";
        break;
      case RouteAccess::Kind::kAnySession:
        access = route.access.allowed_before_code_change
                     ? "any_session_before_code_change"
                     : "any_session";
        break;
      case RouteAccess::Kind::kPermission:
        access =
            std::string(ews::security::PermissionName(route.access.permission));
        break;
    }
    std::printf("%.*s %.*s %s\n", static_cast<int>(route.method.size()),
                route.method.data(), static_cast<int>(route.pattern.size()),
                route.pattern.data(), access.c_str());
  }
  return 0;
}
