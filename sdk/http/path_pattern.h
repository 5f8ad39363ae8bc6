// Route patterns: a path whose "*" segments each match one non-empty segment
// ("/api/v1/devices/*/registers"). The HTTPS server's routes and the access
// table (sdk/security/roles) match requests with it.
#pragma once

#include "absl/strings/string_view.h"

namespace ews::http {

// Whether `path` matches `pattern` segment by segment, a "*" segment matching
// any one non-empty segment. False for a pattern without "*".
bool PathMatches(absl::string_view pattern, absl::string_view path);

}  // namespace ews::http
