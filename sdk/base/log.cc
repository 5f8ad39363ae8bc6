#include "sdk/base/log.h"

#include <atomic>
#include <cstdio>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace ews::log {
namespace {

std::atomic<LogSink*> installed_sink{nullptr};
std::atomic<int> min_level{static_cast<int>(Level::kInfo)};

LogSink& DefaultSink() {
  static StderrLogSink* sink = new StderrLogSink;
  return *sink;
}

absl::string_view Basename(absl::string_view path) {
  size_t slash = path.rfind('/');
  return slash == absl::string_view::npos ? path : path.substr(slash + 1);
}

}  // namespace

absl::string_view LevelName(Level level) {
  switch (level) {
    case Level::kDebug:
      return "DEBUG";
    case Level::kInfo:
      return "INFO";
    case Level::kWarning:
      return "WARNING";
    case Level::kError:
      return "ERROR";
  }
  return "?";
}

LogSink* SetSink(LogSink* sink) { return installed_sink.exchange(sink); }

void SetMinLevel(Level level) { min_level = static_cast<int>(level); }

bool IsEnabled(Level level) { return static_cast<int>(level) >= min_level; }

void StderrLogSink::Write(const Entry& entry) {
  // Log lines carry UTC: the site's time zone is configuration and may not be
  // loaded yet.
  std::string line = absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(),
                                      absl::UTCTimeZone());
  line += ' ';
  line += LevelName(entry.level)[0];
  line += ' ';
  line.append(entry.file.data(), entry.file.size());
  line += ':' + std::to_string(entry.line) + "] " + entry.message + '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

Message::Message(Level level, const char* file, int line)
    : level_(level), file_(Basename(file)), line_(line) {}

Message::~Message() {
  LogSink* sink = installed_sink.load();
  Entry entry{level_, file_, line_, stream_.str()};
  (sink != nullptr ? *sink : DefaultSink()).Write(entry);
}

}  // namespace ews::log
