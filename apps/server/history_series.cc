#include "apps/server/history_series.h"

namespace ews::server {

absl::StatusOr<storage::SeriesId> HistorySeries::Get(
    const storage::SeriesSpec& spec) {
  if (store_ == nullptr) {
    return absl::FailedPreconditionError("no history store");
  }
  absl::MutexLock lock(&mutex_);
  auto key = std::make_pair(spec.device_id, spec.quantity_id);
  auto known = ids_.find(key);
  if (known != ids_.end()) return known->second;
  absl::StatusOr<storage::SeriesId> id = store_->RegisterSeries(spec);
  if (!id.ok()) return id.status();
  ids_.emplace(std::move(key), *id);
  return *id;
}

}  // namespace ews::server
