// Shared by the api_history*.cc files (not part of the API): query parsing
// every history route uses.
#pragma once

#include <initializer_list>
#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "sdk/http/https_server.h"

namespace ews::server::api_history_internal {

using Params = std::map<std::string, std::string>;

struct Period {
  absl::Time from;
  absl::Time to;
};

// 503 "history_unavailable": the store is not open.
http::Response Unavailable();

// Parses the query and refuses unknown parameters.
absl::StatusOr<Params> Query(const http::Request& request,
                             std::initializer_list<absl::string_view> known);

// from/to from the query; `default_span` before now when both are absent
// (required when it is zero).
absl::StatusOr<Period> ParsePeriod(const Params& params, absl::TimeZone zone,
                                   absl::Time now, absl::Duration default_span);

}  // namespace ews::server::api_history_internal
