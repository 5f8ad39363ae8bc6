// A small logging facade (Debian's Abseil 20220623 has no absl/log).
//
//   EWS_LOG(INFO) << "polling " << count << " devices";
//   EWS_LOG(ERROR) << "config corrupt: " << status;
//
// Lines go to the installed LogSink (stderr by default) with level, source file
// and line. Tests install a CapturingLogSink (capturing_log_sink.h) to assert
// on what was logged.
#pragma once

#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"

namespace ews::log {

enum class Level { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

absl::string_view LevelName(Level level);

struct Entry {
  Level level;
  absl::string_view file;  // basename of the source file
  int line;
  std::string message;
};

class LogSink {
 public:
  virtual ~LogSink() = default;
  virtual void Write(const Entry& entry) = 0;
};

// Installs `sink` (not owned; nullptr restores stderr). Returns the previous
// sink.
LogSink* SetSink(LogSink* sink);

// Entries below `level` are dropped before formatting. Default: kInfo.
void SetMinLevel(Level level);
bool IsEnabled(Level level);

// Writes "2026-11-25T10:00:00.123Z I file.cc:12] message" to stderr.
class StderrLogSink final : public LogSink {
 public:
  void Write(const Entry& entry) override;
};

// One log statement; writes its entry when destroyed.
class Message {
 public:
  Message(Level level, const char* file, int line);
  ~Message();
  Message(const Message&) = delete;
  Message& operator=(const Message&) = delete;
  std::ostream& stream() { return stream_; }

 private:
  Level level_;
  absl::string_view file_;
  int line_;
  std::ostringstream stream_;
};

// Swallows the stream when a level is disabled, so its operands are not
// evaluated.
struct Voidify {
  void operator&(std::ostream&) {}
};

}  // namespace ews::log

#define EWS_LOG_LEVEL_DEBUG ::ews::log::Level::kDebug
#define EWS_LOG_LEVEL_INFO ::ews::log::Level::kInfo
#define EWS_LOG_LEVEL_WARNING ::ews::log::Level::kWarning
#define EWS_LOG_LEVEL_ERROR ::ews::log::Level::kError

#define EWS_LOG(severity)                                                     \
  !::ews::log::IsEnabled(EWS_LOG_LEVEL_##severity)                            \
      ? (void)0                                                               \
      : ::ews::log::Voidify() &                                               \
            ::ews::log::Message(EWS_LOG_LEVEL_##severity, __FILE__, __LINE__) \
                .stream()
