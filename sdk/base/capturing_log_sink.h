// A log sink that keeps every entry, for tests that assert on what was logged:
//
//   ews::log::CapturingLogSink sink;
//   ews::log::LogSink* previous = ews::log::SetSink(&sink);
//   ...
//   EXPECT_TRUE(sink.Contains("is offline"));
//   ews::log::SetSink(previous);
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "sdk/base/log.h"

namespace ews::log {

// Keeps every entry, for tests.
class CapturingLogSink final : public LogSink {
 public:
  void Write(const Entry& entry) override;
  std::vector<std::string> Messages(Level at_least = Level::kDebug) const;
  bool Contains(absl::string_view substring) const;

 private:
  mutable absl::Mutex mutex_;
  std::vector<std::pair<Level, std::string>> entries_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::log
