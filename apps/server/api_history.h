// The history part of the HTTPS API, over the public API of sdk/storage:
// series with their horizons, chart data, consumption totals with the previous
// period, the consumption tree with costs per tariff, and streamed CSV.
// docs/api.md documents the routes; SessionApi::Guarded() applies their access
// rules (server.cc).
#pragma once

#include <string>
#include <vector>

#include "absl/time/time.h"
#include "apps/server/api_common.h"
#include "sdk/base/clock.h"
#include "sdk/config/config.pb.h"
#include "sdk/http/https_server.h"
#include "sdk/storage/store.h"

namespace ews::server {

class HistoryApi {
 public:
  // `store` may be null (history could not be opened): every route then
  // answers 503 "history_unavailable". Days, months and years follow `zone`
  // (the site's), like the store's tiers.
  HistoryApi(storage::Store* store, const config::v1::DeviceConfig& config,
             absl::TimeZone zone, const Clock& clock);

  std::vector<ApiRoute> Routes() const;

  // GET /api/v1/history/series[?device=]
  http::Response Series(const http::Request& request) const;
  // GET /api/v1/history/chart?device=&quantity=[&from=&to=][&resolution=]
  //     [&max_points=]
  http::Response Chart(const http::Request& request) const;
  // GET /api/v1/history/totals?device=&quantity=[&resolution=][&date=]
  http::Response Totals(const http::Request& request) const;
  // GET /api/v1/history/tree?from=&to=
  http::Response Tree(const http::Request& request) const;
  // GET /api/v1/history/csv?device=&from=&to=[&quantities=][&resolution=]
  //     [&separator=]
  http::Response Csv(const http::Request& request) const;

 private:
  storage::Store* const store_;
  const config::v1::ConsumptionTree tree_;
  const std::vector<config::v1::Tariff> tariffs_;
  const std::vector<config::v1::PulseCounter> pulse_counters_;
  const Clock& clock_;
  const absl::TimeZone zone_;
};

}  // namespace ews::server
