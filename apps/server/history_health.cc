#include "apps/server/history_health.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <set>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "sdk/base/files.h"
#include "sdk/base/log.h"

namespace ews::server {
namespace {

constexpr char kAcknowledge[] = "POST /api/v1/history/acknowledge";

// "since=<unix seconds>\nmoved_aside=<path>\nproblem=<one line>\n".
std::string Serialize(const HistoryCorruption& corruption) {
  return absl::StrCat("since=", absl::ToUnixSeconds(corruption.since),
                      "\nmoved_aside=", corruption.moved_aside, "\nproblem=",
                      absl::StrReplaceAll(corruption.problem, {{"\n", " "}}),
                      "\n");
}

std::optional<HistoryCorruption> Parse(absl::string_view text) {
  HistoryCorruption corruption;
  bool has_since = false;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    std::pair<absl::string_view, absl::string_view> kv =
        absl::StrSplit(line, absl::MaxSplits('=', 1));
    int64_t seconds = 0;
    if (kv.first == "since" && absl::SimpleAtoi(kv.second, &seconds)) {
      corruption.since = absl::FromUnixSeconds(seconds);
      has_since = true;
    } else if (kv.first == "moved_aside") {
      corruption.moved_aside = std::string(kv.second);
    } else if (kv.first == "problem") {
      corruption.problem = std::string(kv.second);
    }
  }
  if (!has_since) return std::nullopt;
  return corruption;
}

// "20261207T111432Z" of "history.db.corrupt-20261207T111432Z-wal" (and of
// the copies of "-shm" and the store's sample log "-log").
std::string StampOf(absl::string_view name, absl::string_view prefix) {
  absl::string_view stamp = name.substr(prefix.size());
  for (absl::string_view suffix : {"-wal", "-shm", "-log"}) {
    if (absl::ConsumeSuffix(&stamp, suffix)) break;
  }
  return std::string(stamp);
}

}  // namespace

std::string HistoryHealth::state() const {
  if (!available) return "unavailable";
  if (corruption.has_value()) return "recovered_from_corruption";
  return "ok";
}

void HistoryHealth::WriteJson(http::JsonWriter& json) const {
  json.Key("history").Bool(ok()).Key("history_state").BeginObject();
  json.Key("state").String(state());
  if (!available) json.Key("problem").String(open_error.message());
  if (corruption.has_value()) {
    if (available) json.Key("problem").String(corruption->problem);
    json.Key("since")
        .Time(corruption->since)
        .Key("moved_aside")
        .String(corruption->moved_aside)
        .Key("acknowledge")
        .String(kAcknowledge);
  }
  json.EndObject();
}

HistoryIncidents::HistoryIncidents(std::string data_dir)
    : path_(std::move(data_dir) + "/history.incident") {
  absl::StatusOr<std::string> text = ReadFileToString(path_, 64 << 10);
  if (text.ok()) {
    corruption_ = Parse(*text);
    if (!corruption_) EWS_LOG(WARNING) << path_ << " unreadable: ignored";
  } else if (!absl::IsNotFound(text.status())) {
    EWS_LOG(WARNING) << "history incident report: " << text.status();
  }
}

absl::Status HistoryIncidents::RecordCorruption(
    const HistoryCorruption& corruption) {
  absl::MutexLock lock(&mutex_);
  corruption_ = corruption;
  return WriteFileAtomically(path_, Serialize(corruption), 0600);
}

std::optional<HistoryCorruption> HistoryIncidents::Unacknowledged() const {
  absl::MutexLock lock(&mutex_);
  return corruption_;
}

absl::Status HistoryIncidents::Acknowledge() {
  absl::MutexLock lock(&mutex_);
  if (unlink(path_.c_str()) != 0 && errno != ENOENT) {
    return ErrnoToStatus(errno, "cannot remove " + path_);
  }
  if (corruption_) {
    EWS_LOG(INFO) << "history corruption of "
                  << absl::FormatTime(corruption_->since)
                  << " acknowledged (moved-aside copy "
                  << corruption_->moved_aside << ")";
  }
  corruption_.reset();
  return absl::OkStatus();
}

namespace {

// Deletes the oldest of the files in `dir` named "<prefix><stamp>[suffix]"
// beyond the newest `keep` stamps.
void PruneCopies(const std::string& dir, const std::vector<std::string>& names,
                 const std::string& prefix, int keep) {
  // The copies by their time stamp ("20261207T111432Z" sorts by time).
  std::set<std::string> stamps;
  for (const std::string& name : names) {
    if (absl::StartsWith(name, prefix)) stamps.insert(StampOf(name, prefix));
  }
  if (static_cast<int>(stamps.size()) <= keep) return;
  std::set<std::string> doomed;
  for (auto it = stamps.begin();
       static_cast<int>(stamps.size() - doomed.size()) > keep; ++it) {
    doomed.insert(*it);
  }
  for (const std::string& name : names) {
    if (!absl::StartsWith(name, prefix) ||
        doomed.count(StampOf(name, prefix)) == 0) {
      continue;
    }
    const std::string path = dir + "/" + name;
    if (unlink(path.c_str()) != 0) {
      EWS_LOG(WARNING) << "cannot delete the old moved-aside history " << path
                       << ": " << ErrnoToStatus(errno, "unlink");
    } else {
      EWS_LOG(INFO) << "deleted the old moved-aside history " << path
                    << " (keeping the newest " << keep << ")";
    }
  }
}

}  // namespace

absl::Status PruneMovedAsideHistory(const std::string& db_path, int keep) {
  const size_t slash = db_path.rfind('/');
  const std::string dir =
      slash == std::string::npos ? "." : db_path.substr(0, slash);
  const std::string base =
      slash == std::string::npos ? db_path : db_path.substr(slash + 1);
  DIR* listing = opendir(dir.c_str());
  if (listing == nullptr) return ErrnoToStatus(errno, "cannot list " + dir);
  std::vector<std::string> names;
  while (const dirent* entry = readdir(listing))
    names.emplace_back(entry->d_name);
  closedir(listing);
  // A corrupt database (with its -wal, -shm, -log), and a damaged sample log
  // moved aside on its own while the database was kept.
  PruneCopies(dir, names, base + ".corrupt-", keep);
  PruneCopies(dir, names, base + "-log.corrupt-", keep);
  return absl::OkStatus();
}

}  // namespace ews::server
