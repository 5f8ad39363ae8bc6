#include "sdk/hal/rtc/time_keeper.h"

#include "absl/strings/str_cat.h"
#include "sdk/base/log.h"

namespace ews::hal {
namespace {

absl::string_view SourceName(TimeKeeper::Source source) {
  switch (source) {
    case TimeKeeper::Source::kRtc:
      return "RTC";
    case TimeKeeper::Source::kNtp:
      return "NTP";
    case TimeKeeper::Source::kUser:
      return "user";
  }
  return "?";
}

}  // namespace

absl::Status TimeKeeper::Start() {
  absl::StatusOr<absl::Time> time = rtc_->Read();
  if (!time.ok()) {
    absl::MutexLock lock(&mutex_);
    valid_ = false;
    EWS_LOG(ERROR) << "time invalid until set: " << time.status();
    if (absl::IsDataLoss(time.status())) {
      return absl::FailedPreconditionError(time.status().message());
    }
    return time.status();
  }
  if (absl::Status s = wall_->SetWallTime(*time); !s.ok()) return s;
  absl::MutexLock lock(&mutex_);
  valid_ = true;
  last_source_ = Source::kRtc;
  EWS_LOG(INFO) << "time from RTC: "
                << absl::FormatTime(*time, absl::UTCTimeZone());
  return absl::OkStatus();
}

absl::Status TimeKeeper::SetTime(absl::Time time, Source source) {
  if (time < RealTimeClock::MinTime() || time >= RealTimeClock::MaxTime()) {
    return absl::InvalidArgumentError(
        absl::StrCat("time ", absl::FormatTime(time, absl::UTCTimeZone()),
                     " is outside 2000..2099"));
  }
  if (absl::Status s = wall_->SetWallTime(time); !s.ok()) return s;
  {
    absl::MutexLock lock(&mutex_);
    valid_ = true;
    last_source_ = source;
  }
  EWS_LOG(INFO) << "time set by " << SourceName(source) << ": "
                << absl::FormatTime(time, absl::UTCTimeZone());
  return rtc_->Set(time);
}

bool TimeKeeper::time_valid() const {
  absl::MutexLock lock(&mutex_);
  return valid_;
}

TimeKeeper::Source TimeKeeper::last_source() const {
  absl::MutexLock lock(&mutex_);
  return last_source_;
}

}  // namespace ews::hal
