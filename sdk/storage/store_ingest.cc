// Store: appending samples and acknowledging them (Flush).
#include <cmath>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sdk/base/status_macros.h"
#include "sdk/storage/internal/store_impl.h"
#include "sdk/storage/store.h"

namespace ews::storage {

using internal::Db;
using internal::Sample;

namespace {
// Raw values beyond this (2^52) could not round-trip through a double.
constexpr int64_t kMaxRaw = int64_t{1} << 52;
}  // namespace

// -------------------------------------------------------------------- ingest

absl::Status Store::Append(absl::string_view device_id,
                           absl::string_view quantity_id, absl::Time t,
                           double value) {
  EWS_ASSIGN_OR_RETURN(SeriesId id, FindSeries(device_id, quantity_id));
  return Append(id, t, value);
}

namespace {

// Checks the sample's time and buffers it. Requires impl.mu.
absl::Status BufferSample(Store::Impl& impl, SeriesState& state, absl::Time t,
                          int64_t raw, bool* flush)
    ABSL_EXCLUSIVE_LOCKS_REQUIRED(impl.mu) {
  const SeriesSpec& spec = state.info.spec;
  if (raw > kMaxRaw || raw < -kMaxRaw) {
    return absl::InvalidArgumentError(
        absl::StrCat("series ", spec.device_id, "/", spec.quantity_id,
                     ": raw value ", raw, " out of range"));
  }
  if (t < absl::UnixEpoch() || t == absl::InfiniteFuture()) {
    return absl::InvalidArgumentError(
        absl::StrCat("series ", spec.device_id, "/", spec.quantity_id,
                     ": sample time ", absl::FormatTime(t), " out of range"));
  }
  if (t > impl.clock->WallNow() + impl.options.max_future) {
    return absl::InvalidArgumentError(absl::StrCat(
        "series ", spec.device_id, "/", spec.quantity_id, ": sample at ",
        absl::FormatTime(t), " is in the future (clock: ",
        absl::FormatTime(impl.clock->WallNow()), ")"));
  }
  const int64_t t_ms = absl::ToUnixMillis(t);
  if (state.has_last && t_ms <= state.last_t_ms) {
    return absl::InvalidArgumentError(absl::StrCat(
        "series ", spec.device_id, "/", spec.quantity_id, ": sample at ",
        absl::FormatTime(t), " is not after the previous one at ",
        absl::FormatTime(absl::FromUnixMillis(state.last_t_ms))));
  }
  if (t_ms < state.consolidated_until_ms) {
    return absl::FailedPreconditionError(absl::StrCat(
        "series ", spec.device_id, "/", spec.quantity_id, ": sample at ",
        absl::FormatTime(t), " arrives after its hour was consolidated"));
  }
  if (state.pending.empty()) impl.dirty.push_back(&state);
  state.pending.push_back(Sample{t_ms, raw});
  state.has_last = true;
  state.last_t_ms = t_ms;
  state.last_raw = raw;
  *flush = ++impl.pending_total >= impl.options.max_pending_samples;
  return absl::OkStatus();
}

}  // namespace

absl::Status Store::Append(SeriesId id, absl::Time t, double value) {
  bool flush = false;
  {
    absl::MutexLock lock(&impl_->mu);
    auto it = impl_->series.find(id);
    if (it == impl_->series.end()) {
      return absl::NotFoundError(absl::StrCat("unknown series id ", id));
    }
    SeriesState& state = *it->second;
    const SeriesSpec& spec = state.info.spec;
    if (!std::isfinite(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat("series ", spec.device_id, "/", spec.quantity_id,
                       ": value is not a finite number"));
    }
    const double scaled = value / spec.scale;
    if (std::fabs(scaled) > static_cast<double>(kMaxRaw)) {
      return absl::InvalidArgumentError(
          absl::StrCat("series ", spec.device_id, "/", spec.quantity_id,
                       ": value ", value, " out of range"));
    }
    EWS_RETURN_IF_ERROR(
        BufferSample(*impl_, state, t, std::llround(scaled), &flush));
  }
  return flush ? Flush() : absl::OkStatus();
}

absl::Status Store::AppendRaw(SeriesId id, absl::Time t, int64_t raw) {
  bool flush = false;
  {
    absl::MutexLock lock(&impl_->mu);
    auto it = impl_->series.find(id);
    if (it == impl_->series.end()) {
      return absl::NotFoundError(absl::StrCat("unknown series id ", id));
    }
    EWS_RETURN_IF_ERROR(BufferSample(*impl_, *it->second, t, raw, &flush));
  }
  return flush ? Flush() : absl::OkStatus();
}

absl::StatusOr<absl::Time> Store::LastSampleTime(SeriesId id) const {
  absl::MutexLock lock(&impl_->mu);
  auto it = impl_->series.find(id);
  if (it == impl_->series.end()) {
    return absl::NotFoundError(absl::StrCat("unknown series id ", id));
  }
  return it->second->has_last ? absl::FromUnixMillis(it->second->last_t_ms)
                              : absl::InfinitePast();
}

absl::StatusOr<std::optional<int64_t>> Store::LastSampleRaw(SeriesId id) const {
  absl::MutexLock lock(&impl_->mu);
  auto it = impl_->series.find(id);
  if (it == impl_->series.end()) {
    return absl::NotFoundError(absl::StrCat("unknown series id ", id));
  }
  if (!it->second->has_last) return std::optional<int64_t>();
  return std::optional<int64_t>(it->second->last_raw);
}

int64_t Store::pending_samples() const {
  absl::MutexLock lock(&impl_->mu);
  return impl_->pending_total;
}

absl::Status Store::Impl::FlushLocked() {
  Impl& impl = *this;
  if (impl.dirty.empty()) return absl::OkStatus();
  std::vector<std::pair<SeriesId, std::string>> chunks;
  chunks.reserve(impl.dirty.size());
  for (SeriesState* state : impl.dirty) {
    chunks.emplace_back(state->info.id, internal::EncodeChunk(state->pending));
  }
  const std::string payload = internal::EncodeBatch(chunks);
  const int64_t log_after = impl.log->used_bytes() +
                            internal::SampleLog::kRecordHeaderBytes +
                            static_cast<int64_t>(payload.size());
  if (log_after <= impl.options.max_log_bytes) {
    // A full file system is refused at once, as SQLite would, although the
    // log's pre-allocated room might hold a few more records: the samples
    // stay buffered, the caller reports the full disk, and the log keeps its
    // room for what is buffered when space returns.
    absl::StatusOr<FileSystemSpace> space = impl.QuerySpace();
    if (space.ok() && space->free_bytes < internal::SampleLog::kGrowBytes) {
      return absl::ResourceExhaustedError(
          absl::StrCat("history store: the file system is full (",
                       space->free_bytes, " bytes free); samples not written"));
    }
    // The usual case: one record appended to the log, one page written.
    EWS_RETURN_IF_ERROR(impl.log->Append(impl.next_batch, payload));
  } else {
    // The log is full (no consolidation for a long while): every live sample
    // goes into SQLite as one staging batch, and the log starts over.
    std::vector<std::pair<SeriesId, std::string>> all;
    for (const auto& [id, state] : impl.series) {
      for (const std::string& chunk : state->staged)
        all.emplace_back(id, chunk);
    }
    all.insert(all.end(), chunks.begin(), chunks.end());
    Db& db = *impl.write_db;
    EWS_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    absl::Status status = internal::WriteStaging(db, impl.next_batch, all);
    if (status.ok()) status = db.Exec("COMMIT");
    if (!status.ok()) {
      db.Exec("ROLLBACK").IgnoreError();
      return status;
    }
    impl.log->Reset();
  }
  ++impl.next_batch;
  absl::MutexLock live_lock(&impl.live_mu);
  for (size_t i = 0; i < impl.dirty.size(); ++i) {
    SeriesState* state = impl.dirty[i];
    state->staged_count += static_cast<int64_t>(state->pending.size());
    state->staged.push_back(std::move(chunks[i].second));
    state->pending.clear();
  }
  impl.dirty.clear();
  impl.pending_total = 0;
  return absl::OkStatus();
}

absl::Status Store::Flush() {
  absl::MutexLock lock(&impl_->mu);
  return impl_->FlushLocked();
}

}  // namespace ews::storage
