// What /api/v1/health says about the history, in one place: whether a store is
// open, and a recovery from a corrupt file that the user has not acknowledged
// yet. Further conditions of the history (a full disk, the write buffer) belong
// in HistoryHealth and its WriteJson() too.
#pragma once

#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/http/json.h"

namespace ews::server {

// A corrupt history file that the store moved aside, starting a fresh one: the
// history before `since` is not in the live store any more.
struct HistoryCorruption {
  absl::Time since;
  std::string moved_aside;  // the file's new path
  std::string problem;      // the store's message
};

struct HistoryHealth {
  bool available = false;                       // a store is open and recording
  absl::Status open_error;                      // why not, when !available
  std::optional<HistoryCorruption> corruption;  // until acknowledged

  // Nothing needs the user's attention.
  bool ok() const { return available && !corruption.has_value(); }
  // "state" is "ok", "unavailable" or "recovered_from_corruption".
  std::string state() const;
  // Writes the members "history":ok() and "history_state":{"state":...,
  // "problem":..., "since":..., "moved_aside":..., "acknowledge":...} into the
  // object being written.
  void WriteJson(http::JsonWriter& json) const;
};

// The corruption reports of the history, kept in `<data_dir>/history.incident`
// so that they survive restarts until the user acknowledges them.
// Thread-safe.
class HistoryIncidents {
 public:
  explicit HistoryIncidents(std::string data_dir);

  // Remembers `corruption` (replacing an older one). Errors: those of
  // WriteFileAtomically (the report is still held in memory).
  absl::Status RecordCorruption(const HistoryCorruption& corruption);
  // The unacknowledged report (from this run or an earlier one).
  std::optional<HistoryCorruption> Unacknowledged() const;
  // Forgets the report. Errors: the file cannot be removed (Internal,
  // PermissionDenied); the report then stays.
  absl::Status Acknowledge();

 private:
  const std::string path_;
  mutable absl::Mutex mutex_;
  std::optional<HistoryCorruption> corruption_ ABSL_GUARDED_BY(mutex_);
};

// How many moved-aside copies of a corrupt history file are kept.
inline constexpr int kMovedAsideHistoryKept = 3;

// Deletes the oldest moved-aside copies of `db_path` ("<db_path>.corrupt-
// <UTC time>", each with its "-wal", "-shm" and "-log") beyond the newest
// `keep`, and so the sample logs moved aside alone ("<db_path>-log.corrupt-
// <UTC time>").
// Errors: the directory cannot be read (as ErrnoToStatus); a copy that cannot
// be deleted is logged and skipped.
absl::Status PruneMovedAsideHistory(const std::string& db_path, int keep);

}  // namespace ews::server
