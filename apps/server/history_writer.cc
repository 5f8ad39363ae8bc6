#include "apps/server/history_writer.h"

#include "absl/strings/str_cat.h"
#include "sdk/base/status_macros.h"

namespace ews::server {
namespace {

// The series for `spec`, and whether it stores at spec.scale.
absl::StatusOr<std::pair<storage::SeriesId, bool>> SeriesFor(
    storage::Store& store, const storage::SeriesSpec& spec) {
  absl::StatusOr<storage::SeriesId> id = store.RegisterSeries(spec);
  if (id.ok()) return std::make_pair(*id, true);
  if (!absl::IsAlreadyExists(id.status())) return id.status();
  EWS_ASSIGN_OR_RETURN(storage::SeriesId existing,
                       store.FindSeries(spec.device_id, spec.quantity_id));
  EWS_ASSIGN_OR_RETURN(storage::SeriesSpec known, store.GetSpec(existing));
  if (known.kind != spec.kind || known.counter_bits != spec.counter_bits) {
    return id.status();  // another kind of quantity under the same id: refuse
  }
  return std::make_pair(existing, false);
}

}  // namespace

absl::Status AppendRawToHistory(storage::Store& store,
                                const storage::SeriesSpec& spec,
                                absl::Time time, int64_t raw) {
  EWS_ASSIGN_OR_RETURN(auto series, SeriesFor(store, spec));
  if (series.second) return store.AppendRaw(series.first, time, raw);
  return store.Append(series.first, time,
                      static_cast<double>(raw) * spec.scale);
}

absl::Status AppendValueToHistory(storage::Store& store,
                                  const storage::SeriesSpec& spec,
                                  absl::Time time, double value) {
  EWS_ASSIGN_OR_RETURN(auto series, SeriesFor(store, spec));
  return store.Append(series.first, time, value);
}

}  // namespace ews::server
