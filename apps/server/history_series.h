// The history series the application writes (Modbus quantities, pulse
// counters), registered with the store on first use and remembered, so that
// every writer registers the same way.
#pragma once

#include <map>
#include <string>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "sdk/storage/store.h"

namespace ews::server {

class HistorySeries {
 public:
  // `store` (not owned) must outlive this object; null = no history.
  explicit HistorySeries(storage::Store* store) : store_(store) {}

  // The series of (spec.device_id, spec.quantity_id), registered with `spec`
  // on first use. Errors: FailedPrecondition (no store), and those of
  // Store::RegisterSeries() (InvalidArgument, AlreadyExists with another kind
  // or scale); a failed registration is tried again on the next call.
  absl::StatusOr<storage::SeriesId> Get(const storage::SeriesSpec& spec);

  storage::Store* store() const { return store_; }

 private:
  storage::Store* const store_;
  absl::Mutex mutex_;
  std::map<std::pair<std::string, std::string>, storage::SeriesId> ids_
      ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::server
