// The history part of the HTTPS API, over the public API of sdk/storage:
// series with their horizons, chart data, consumption totals with the previous
// period, the consumption tree with costs per tariff, and streamed CSV.
// docs/api.md documents the routes; SessionApi::Guarded() applies their access
// rules (server.cc).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
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

  // Takes the consumption tree, the tariffs and the pulse counters of
  // `config` (a configuration applied live): the next /tree answer uses them.
  void Reconfigure(const config::v1::DeviceConfig& config);

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
  // What /tree prices and sums: replaced whole by Reconfigure(), so that an
  // answer uses one consistent configuration.
  struct TreeConfig {
    config::v1::ConsumptionTree tree;
    std::vector<config::v1::Tariff> tariffs;
    std::vector<config::v1::PulseCounter> pulse_counters;
  };
  static std::shared_ptr<const TreeConfig> TreeConfigOf(
      const config::v1::DeviceConfig& config);

  storage::Store* const store_;
  mutable absl::Mutex mutex_;
  std::shared_ptr<const TreeConfig> tree_config_ ABSL_GUARDED_BY(mutex_);
  const Clock& clock_;
  const absl::TimeZone zone_;
};

}  // namespace ews::server
