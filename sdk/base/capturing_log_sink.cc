#include "sdk/base/capturing_log_sink.h"

#include "absl/strings/match.h"

namespace ews::log {

void CapturingLogSink::Write(const Entry& entry) {
  absl::MutexLock lock(&mutex_);
  entries_.emplace_back(entry.level, entry.message);
}

std::vector<std::string> CapturingLogSink::Messages(Level at_least) const {
  absl::MutexLock lock(&mutex_);
  std::vector<std::string> messages;
  for (const auto& [level, message] : entries_) {
    if (level >= at_least) messages.push_back(message);
  }
  return messages;
}

bool CapturingLogSink::Contains(absl::string_view substring) const {
  absl::MutexLock lock(&mutex_);
  for (const auto& entry : entries_) {
    if (absl::StrContains(entry.second, substring)) return true;
  }
  return false;
}

}  // namespace ews::log
