#include "apps/server/history_writer.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/http/json.h"

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

// A failure of the store itself (full disk, I/O error, corrupt file), as
// opposed to a sample the store refuses: the sample is kept for a retry.
bool IsStorageFailure(const absl::Status& status) {
  return absl::IsResourceExhausted(status) || absl::IsUnavailable(status) ||
         absl::IsInternal(status) || absl::IsDataLoss(status);
}

std::string SpecKey(const storage::SeriesSpec& spec) {
  return absl::StrCat(spec.device_id, "\x1f", spec.quantity_id, "\x1f",
                      static_cast<int>(spec.kind), "\x1f",
                      absl::StrFormat("%.17g", spec.scale), "\x1f",
                      spec.counter_bits, "\x1f", spec.unit, "\x1f",
                      absl::StrFormat("%.17g", spec.max_rate_per_hour));
}

// A time, or null for "never" (InfinitePast/InfiniteFuture).
void WriteTime(absl::Time t, http::JsonWriter& json) {
  if (t == absl::InfinitePast() || t == absl::InfiniteFuture()) {
    json.Null();
  } else {
    json.Time(t);
  }
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

const char* HistoryStateName(HistoryWrites::State state) {
  switch (state) {
    case HistoryWrites::State::kOk:
      return "ok";
    case HistoryWrites::State::kDiskFull:
      return "disk_full";
    case HistoryWrites::State::kFailing:
      return "failing";
  }
  return "failing";
}

std::string HistoryWritesJson(const HistoryWrites& health) {
  http::JsonWriter json;
  json.BeginObject().Key("state").String(HistoryStateName(health.state));
  json.Key("since");
  WriteTime(health.since, json);
  if (!health.problem.ok())
    json.Key("problem").String(health.problem.message());
  json.Key("buffered_samples")
      .Int(health.buffered_samples)
      .Key("dropped_samples")
      .Int(health.dropped_samples)
      .Key("rejected_samples")
      .Int(health.rejected_samples)
      .Key("committed_samples")
      .Int(health.committed_samples)
      .Key("last_commit");
  WriteTime(health.last_commit, json);
  json.Key("commit_interval_s")
      .Int(absl::ToInt64Seconds(health.commit_interval))
      .EndObject();
  return json.Take();
}

absl::StatusOr<std::optional<int64_t>> HistoryWriter::LastStoredRaw(
    const storage::SeriesSpec& spec) const {
  absl::StatusOr<storage::SeriesId> id =
      store_.FindSeries(spec.device_id, spec.quantity_id);
  if (absl::IsNotFound(id.status())) return std::optional<int64_t>();
  if (!id.ok()) return id.status();
  EWS_ASSIGN_OR_RETURN(storage::SeriesSpec known, store_.GetSpec(*id));
  if (known.scale != spec.scale) return std::optional<int64_t>();
  return store_.LastSampleRaw(*id);
}

HistoryWriter::HistoryWriter(storage::Store& store, Clock& clock,
                             HistoryWriterOptions options)
    : store_(store), clock_(clock), options_(std::move(options)) {
  health_.commit_interval = options_.commit_interval;
  next_commit_ = NextCommitAfter(clock_.WallNow());
  if (options_.commit_on_schedule) {
    thread_ = std::thread([this] { Run(); });
  }
}

HistoryWriter::~HistoryWriter() { Stop(); }

void HistoryWriter::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    if (stopped_) return;
    stopped_ = true;
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
  absl::Status committed = Commit();
  if (!committed.ok()) {
    EWS_LOG(ERROR) << "history: " << Health().buffered_samples
                   << " samples not saved at stop: " << committed;
  }
}

absl::Time HistoryWriter::NextCommitAfter(absl::Time wall) const {
  const absl::Duration interval = options_.commit_interval;
  const absl::Duration offset = std::min(interval / 2, absl::Seconds(30));
  const absl::Duration since_epoch = wall - absl::UnixEpoch() - offset;
  const absl::Duration into = since_epoch - absl::Floor(since_epoch, interval);
  return wall - into + interval;
}

void HistoryWriter::Run() {
  while (true) {
    absl::Time next;
    {
      absl::MutexLock lock(&mutex_);
      if (stop_) return;
      next = next_commit_;
    }
    if (clock_.WallNow() >= next) CommitIfDue();
    const absl::Duration wait =
        std::min(next - clock_.WallNow(), absl::Milliseconds(200));
    if (wait > absl::ZeroDuration()) clock_.SleepFor(wait);
  }
}

void HistoryWriter::CommitIfDue() {
  const absl::Time wall = clock_.WallNow();
  {
    absl::MutexLock lock(&mutex_);
    const bool due = wall >= next_commit_;
    if (due || next_commit_ - wall > options_.commit_interval) {
      next_commit_ = NextCommitAfter(wall);  // or the wall clock was set back
    }
    if (!due) return;
  }
  Commit().IgnoreError();  // reported by Health() and the log
}

void HistoryWriter::AppendRaw(const storage::SeriesSpec& spec, absl::Time time,
                              int64_t raw) {
  Buffer(spec, time, /*is_raw=*/true, raw, 0);
}

void HistoryWriter::AppendValue(const storage::SeriesSpec& spec,
                                absl::Time time, double value) {
  Buffer(spec, time, /*is_raw=*/false, 0, value);
}

void HistoryWriter::Buffer(const storage::SeriesSpec& spec, absl::Time time,
                           bool is_raw, int64_t raw, double value) {
  absl::MutexLock lock(&mutex_);
  auto it = specs_.try_emplace(SpecKey(spec), spec).first;
  buffer_.push_back(Pending{&it->second, time, is_raw, raw, value});
  if (static_cast<int64_t>(buffer_.size()) > options_.max_buffered_samples) {
    buffer_.pop_front();  // the store cannot keep up: keep the newest
    ++health_.dropped_samples;
  }
}

void HistoryWriter::Requeue(std::deque<Pending> samples) {
  absl::MutexLock lock(&mutex_);
  // Older samples first, then what arrived during the commit.
  samples.insert(samples.end(), buffer_.begin(), buffer_.end());
  const int64_t excess =
      static_cast<int64_t>(samples.size()) - options_.max_buffered_samples;
  if (excess > 0) {
    samples.erase(samples.begin(), samples.begin() + excess);
    health_.dropped_samples += excess;
  }
  buffer_ = std::move(samples);
}

absl::Status HistoryWriter::Commit() {
  absl::MutexLock commit_lock(&commit_mutex_);
  std::deque<Pending> batch;
  int64_t in_store;
  {
    absl::MutexLock lock(&mutex_);
    batch.swap(buffer_);
    in_store = in_store_;
  }
  // Nothing to write tells nothing about the disk: the state stays.
  if (batch.empty() && in_store == 0) return absl::OkStatus();
  // What an earlier failed commit left in the store goes first.
  absl::Status status = store_.Flush();
  int64_t committed = status.ok() ? in_store : 0;
  if (status.ok()) in_store = 0;
  int64_t rejected = 0;
  absl::Status first_rejection;
  size_t appended = 0;
  for (; status.ok() && appended < batch.size(); ++appended) {
    const Pending& sample = batch[appended];
    absl::Status added =
        sample.is_raw
            ? AppendRawToHistory(store_, *sample.spec, sample.time, sample.raw)
            : AppendValueToHistory(store_, *sample.spec, sample.time,
                                   sample.value);
    if (added.ok()) {
      ++in_store;
    } else if (IsStorageFailure(added)) {
      status = added;
      break;
    } else {
      if (rejected++ == 0) {
        first_rejection =
            absl::Status(added.code(), absl::StrCat(sample.spec->device_id, "/",
                                                    sample.spec->quantity_id,
                                                    ": ", added.message()));
      }
    }
  }
  if (status.ok()) {
    status = store_.Flush();
    if (status.ok()) {
      committed += in_store;
      in_store = 0;
    }
  }
  {
    absl::MutexLock lock(&mutex_);
    in_store_ = in_store;
  }
  if (appended < batch.size()) {
    batch.erase(batch.begin(), batch.begin() + appended);
    Requeue(std::move(batch));
  }
  if (rejected > 0) {
    EWS_LOG(WARNING) << "history: " << rejected << " sample(s) refused, e.g. "
                     << first_rejection;
  }
  RecordOutcome(status, committed, rejected);
  return status;
}

void HistoryWriter::RecordOutcome(const absl::Status& status, int64_t committed,
                                  int64_t rejected) {
  const absl::Time now = clock_.WallNow();
  HistoryWrites before;
  HistoryWrites after;
  {
    absl::MutexLock lock(&mutex_);
    before = health_;
    health_.committed_samples += committed;
    health_.rejected_samples += rejected;
    const HistoryWrites::State state = status.ok() ? HistoryWrites::State::kOk
                                       : absl::IsResourceExhausted(status)
                                           ? HistoryWrites::State::kDiskFull
                                           : HistoryWrites::State::kFailing;
    if (status.ok()) health_.last_commit = now;
    if (state != health_.state) health_.since = now;
    health_.state = state;
    health_.problem = status;
    after = health_;
    after.buffered_samples = static_cast<int64_t>(buffer_.size()) + in_store_;
  }
  const int64_t waiting = after.buffered_samples;
  if (after.state != before.state) {
    if (after.state == HistoryWrites::State::kOk) {
      EWS_LOG(INFO) << "history is written again after "
                    << absl::FormatDuration(now - before.since) << " ("
                    << HistoryStateName(before.state) << "); "
                    << after.dropped_samples - before.dropped_samples
                    << " samples were dropped meanwhile";
    } else {
      EWS_LOG(ERROR) << "history cannot be written ("
                     << HistoryStateName(after.state) << "): " << status
                     << "; keeping up to " << options_.max_buffered_samples
                     << " samples in memory and retrying every "
                     << absl::FormatDuration(options_.commit_interval);
      next_summary_ = now + options_.summary_period;
    }
  } else if (after.state != HistoryWrites::State::kOk && now >= next_summary_) {
    EWS_LOG(WARNING) << "history still cannot be written ("
                     << HistoryStateName(after.state) << " since "
                     << absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", after.since,
                                         absl::UTCTimeZone())
                     << "): " << waiting << " samples waiting, "
                     << after.dropped_samples << " dropped";
    next_summary_ = now + options_.summary_period;
  }
}

HistoryWrites HistoryWriter::Health() const {
  absl::MutexLock lock(&mutex_);
  HistoryWrites health = health_;
  health.buffered_samples = static_cast<int64_t>(buffer_.size()) + in_store_;
  return health;
}

}  // namespace ews::server
