#include "sdk/http/path_pattern.h"

#include <algorithm>

namespace ews::http {

bool PathMatches(absl::string_view pattern, absl::string_view path) {
  if (pattern.find('*') == absl::string_view::npos) return false;
  // Segment by segment in place: it runs per request.
  while (true) {
    const size_t want_end = std::min(pattern.find('/'), pattern.size());
    const size_t have_end = std::min(path.find('/'), path.size());
    const absl::string_view want = pattern.substr(0, want_end);
    const absl::string_view have = path.substr(0, have_end);
    if (want == "*" ? have.empty() : want != have) return false;
    const bool pattern_done = want_end == pattern.size();
    const bool path_done = have_end == path.size();
    if (pattern_done || path_done) return pattern_done && path_done;
    pattern.remove_prefix(want_end + 1);
    path.remove_prefix(have_end + 1);
  }
}

}  // namespace ews::http
