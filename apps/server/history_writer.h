// Where acquisition meets storage: every writer (Modbus polls, pulse counters)
// hands its samples to one HistoryWriter, which commits them to the store once
// per commit interval — one transaction for a whole poll round of every line
// and the pulse inputs, instead of one per device poll (flash wear: each commit
// costs the flash at least a WAL frame, two 4 KiB pages of the file, whatever
// the number of samples in it; the WAL index is in memory, see
// docs/storage.md).
//
// Commits run at wall-clock times k × commit_interval + offset (offset = half
// the interval, at most 30 s): with the default interval of one minute, the
// history poll rounds start on the minute and are committed 30 s later, before
// the next round starts. A longer interval is the flash-saving mode.
//
// When the store cannot write (a full disk, an I/O error), samples wait in a
// bounded buffer (the newest are kept), the state is reported by Health(), one
// line is logged per state change plus a summary every 10 minutes, and every
// commit tick retries, so the history catches up by itself when space returns.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/storage/store.h"

namespace ews::server {

// Appends `raw` (the register's integer; value = raw × spec.scale) to the
// series of (spec.device_id, spec.quantity_id). If that series was registered
// with another scale — a meter whose CT ratio was changed reports its energy at
// a new resolution — the value raw × spec.scale is written at the series' own
// scale, so the history keeps its units. Errors: those of Store::RegisterSeries
// (InvalidArgument; AlreadyExists when the kind or counter width differs) and
// of Store::Append / AppendRaw.
absl::Status AppendRawToHistory(storage::Store& store,
                                const storage::SeriesSpec& spec,
                                absl::Time time, int64_t raw);

// The same for a value that has no exact integer form (a float32 register).
absl::Status AppendValueToHistory(storage::Store& store,
                                  const storage::SeriesSpec& spec,
                                  absl::Time time, double value);

struct HistoryWriterOptions {
  // Samples reach the disk at most this long after they were polled; on a
  // power cut (or kill -9) at most the samples of the last interval are lost,
  // on a clean stop none. One minute: each poll round is committed before the
  // next one starts. Longer (flash-saving mode): fewer, larger commits.
  absl::Duration commit_interval = absl::Minutes(1);
  // Samples kept in memory while the store cannot write; beyond it the oldest
  // are dropped (counted in HistoryWrites::dropped_samples). 50,000 samples
  // (about 2 MB) are four hours of the demo's 13 devices.
  int64_t max_buffered_samples = 50000;
  // While the store cannot write: a summary line this often.
  absl::Duration summary_period = absl::Minutes(10);
  // Commit on a thread of the writer's own (sleeping on the clock at most
  // 200 ms at a time). Tests call CommitIfDue() or Commit() instead.
  bool commit_on_schedule = true;
};

// What health reports about the history's writes.
struct HistoryWrites {
  enum class State {
    kOk = 0,        // the last commit succeeded (or none was needed yet)
    kDiskFull = 1,  // the file system is full: samples wait in memory
    kFailing = 2,   // another storage error: samples wait in memory
  };
  State state = State::kOk;
  // When the current state began (InfinitePast: ok since the start).
  absl::Time since = absl::InfinitePast();
  absl::Status problem;  // the storage error, when not ok
  // Waiting in memory for a commit (in the writer's buffer and the store's).
  int64_t buffered_samples = 0;
  int64_t committed_samples = 0;  // since the start
  // Lost because the buffer was full while the store could not write.
  int64_t dropped_samples = 0;
  // Refused by the store (not after the series' previous sample, a value out
  // of range, another kind under the same id): logged, not retried.
  int64_t rejected_samples = 0;
  absl::Time last_commit = absl::InfinitePast();
  absl::Duration commit_interval;
};

// "ok", "disk_full", "failing".
const char* HistoryStateName(HistoryWrites::State state);

// {"state":"ok","since":..,"buffered_samples":..,...} for /api/v1/health.
std::string HistoryWritesJson(const HistoryWrites& health);

class HistoryWriter {
 public:
  // `store` and `clock` must outlive the writer. Starts the commit thread when
  // options.commit_on_schedule.
  HistoryWriter(storage::Store& store, Clock& clock,
                HistoryWriterOptions options = {});
  ~HistoryWriter();
  HistoryWriter(const HistoryWriter&) = delete;
  HistoryWriter& operator=(const HistoryWriter&) = delete;

  // Stops the commit thread and commits what is buffered. Idempotent.
  void Stop();

  // Buffers one sample for the next commit (thread-safe, never blocks on the
  // disk). Problems with the sample itself are reported when it is committed.
  void AppendRaw(const storage::SeriesSpec& spec, absl::Time time, int64_t raw);
  void AppendValue(const storage::SeriesSpec& spec, absl::Time time,
                   double value);

  // Appends every buffered sample to the store and commits them in one
  // transaction (first retrying what an earlier failed commit left in the
  // store). OK: all are acknowledged (see store.h). Errors: the store's
  // (ResourceExhausted for a full disk); the samples then stay buffered.
  // Nothing buffered: OK, and Health() stays as it was.
  absl::Status Commit();
  // The raw value of the latest sample the store holds for (spec.device_id,
  // spec.quantity_id) — committed, at a start — when the series stores at
  // spec.scale; nullopt when it has none or stores at another scale. The pulse
  // inputs resume their counts from it: the counts are committed with the
  // history, in the same transaction.
  absl::StatusOr<std::optional<int64_t>> LastStoredRaw(
      const storage::SeriesSpec& spec) const;

  // Commits when the wall clock has reached the next commit time.
  void CommitIfDue();
  // The first commit time after `wall`.
  absl::Time NextCommitAfter(absl::Time wall) const;

  HistoryWrites Health() const;

 private:
  struct Pending {
    const storage::SeriesSpec* spec;  // a node of specs_ (stable)
    absl::Time time;
    bool is_raw;
    int64_t raw;
    double value;
  };

  void Buffer(const storage::SeriesSpec& spec, absl::Time time, bool is_raw,
              int64_t raw, double value);
  // Puts `samples` (older) back before what was buffered meanwhile, keeping
  // the newest max_buffered_samples.
  void Requeue(std::deque<Pending> samples) ABSL_LOCKS_EXCLUDED(mutex_);
  void RecordOutcome(const absl::Status& status, int64_t committed,
                     int64_t rejected);
  void Run();

  storage::Store& store_;
  Clock& clock_;
  const HistoryWriterOptions options_;

  absl::Mutex commit_mutex_;  // one Commit() at a time
  absl::Time next_summary_ ABSL_GUARDED_BY(commit_mutex_);

  mutable absl::Mutex mutex_;
  // Every spec seen, keyed by all its fields (a changed CT ratio is a new
  // spec; samples buffered under the old one keep it).
  std::map<std::string, storage::SeriesSpec> specs_ ABSL_GUARDED_BY(mutex_);
  std::deque<Pending> buffer_ ABSL_GUARDED_BY(mutex_);
  HistoryWrites health_ ABSL_GUARDED_BY(mutex_);
  // Appended to the store by a commit whose flush failed: they stay in the
  // store's own buffer and are committed by the next successful flush.
  // Changed by Commit() only.
  int64_t in_store_ ABSL_GUARDED_BY(mutex_) = 0;
  absl::Time next_commit_ ABSL_GUARDED_BY(mutex_);
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace ews::server
