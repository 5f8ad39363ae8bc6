#include "sdk/time/ntp_synchronizer.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "sdk/base/log.h"

namespace ews::ntp {
namespace {

// The sample with the shortest round trip (the most accurate offset).
const SntpSample& LowestDelay(const std::vector<SntpSample>& samples) {
  return *std::min_element(samples.begin(), samples.end(),
                           [](const SntpSample& a, const SntpSample& b) {
                             return a.delay < b.delay;
                           });
}

}  // namespace

NtpSynchronizer::NtpSynchronizer(NtpOptions options,
                                 hal::TimeKeeper* time_keeper, Clock& clock)
    : options_(std::move(options)),
      time_keeper_(time_keeper),
      clock_(clock),
      client_(clock, options_.limits) {
  absl::MutexLock lock(&mutex_);
  for (const std::string& server : options_.servers) {
    Server entry;
    entry.status.server = server;
    servers_.push_back(entry);
  }
  status_.poll_interval = options_.min_poll;
  status_.last_round = absl::UnavailableError("not polled yet");
}

NtpSynchronizer::~NtpSynchronizer() { Stop(); }

absl::StatusOr<SntpSample> NtpSynchronizer::AskServer(Server& server) {
  const std::string& name = server.status.server;
  std::vector<SntpSample> samples;
  absl::Status last = absl::OkStatus();
  for (int i = 0; i < options_.samples_per_server; ++i) {
    if (i > 0 && options_.sample_spacing > absl::ZeroDuration()) {
      clock_.SleepFor(options_.sample_spacing);
    }
    absl::StatusOr<SntpSample> sample = client_.Query(name, options_.timeout);
    if (sample.ok()) {
      samples.push_back(*sample);
      continue;
    }
    last = sample.status();
    if (absl::IsResourceExhausted(last)) {
      server.status.backoff =
          std::min(std::max(2 * server.status.backoff, options_.min_poll),
                   8 * options_.max_poll);
      server.not_before = clock_.MonotonicNow() + server.status.backoff;
      EWS_LOG(WARNING) << "NTP server " << name << ": " << last.message()
                       << "; backing off "
                       << absl::FormatDuration(server.status.backoff);
      return last;
    }
    if (absl::IsPermissionDenied(last)) {
      server.status.dropped = true;
      EWS_LOG(WARNING) << "NTP server " << name << ": " << last.message()
                       << "; no longer used";
      return last;
    }
    if (absl::IsFailedPrecondition(last) || absl::IsInvalidArgument(last)) {
      return last;  // asking again now would not help
    }
  }
  if (samples.size() < 2) {
    return absl::UnavailableError(absl::StrCat(
        samples.size(), " of ", options_.samples_per_server,
        " answers, 2 needed", last.ok() ? "" : ": ", last.message()));
  }
  const SntpSample best = LowestDelay(samples);
  const auto agreeing = std::count_if(
      samples.begin(), samples.end(), [&](const SntpSample& sample) {
        return absl::AbsDuration(sample.offset - best.offset) <=
               options_.agreement;
      });
  if (agreeing < 2) {
    return absl::FailedPreconditionError(
        "its answers disagree with each other");
  }
  server.status.backoff = absl::ZeroDuration();
  return best;
}

absl::Status NtpSynchronizer::DecideLocked(
    const std::vector<SntpSample>& counted) {
  status_.last_round_stepped = false;
  if (counted.empty()) {
    return absl::UnavailableError(
        options_.servers.empty() ? "no NTP server configured"
                                 : "no NTP server gave consistent answers");
  }
  std::vector<absl::Duration> offsets;
  for (const SntpSample& sample : counted) offsets.push_back(sample.offset);
  std::nth_element(offsets.begin(), offsets.begin() + offsets.size() / 2,
                   offsets.end());
  const absl::Duration median = offsets[offsets.size() / 2];
  std::vector<SntpSample> agreeing;
  for (const SntpSample& sample : counted) {
    if (absl::AbsDuration(sample.offset - median) <= options_.agreement) {
      agreeing.push_back(sample);
    }
  }
  if (agreeing.size() * 2 <= counted.size()) {
    return absl::FailedPreconditionError(
        absl::StrCat("NTP servers disagree: ", agreeing.size(), " of ",
                     counted.size(), " agree"));
  }
  const SntpSample best = LowestDelay(agreeing);
  const absl::Time now = clock_.WallNow();
  if (now + best.offset < options_.min_plausible) {
    return absl::FailedPreconditionError(
        absl::StrCat("NTP time ", absl::FormatTime(now + best.offset),
                     " is before ", absl::FormatTime(options_.min_plausible)));
  }
  const bool valid = time_keeper_->time_valid();
  if (valid && absl::AbsDuration(best.offset) > options_.panic_threshold) {
    const bool confirmed =
        agreeing.size() >= 2 ||
        (pending_step_.has_value() &&
         absl::AbsDuration(*pending_step_ - best.offset) <= options_.agreement);
    if (!confirmed) {
      pending_step_ = best.offset;
      return absl::FailedPreconditionError(absl::StrCat(
          "a step of ", absl::FormatDuration(best.offset),
          " from one server needs confirmation by the next round"));
    }
  }
  pending_step_.reset();
  if (!valid || absl::AbsDuration(best.offset) > options_.step_threshold) {
    absl::Status set = time_keeper_->SetTime(clock_.WallNow() + best.offset,
                                             hal::TimeKeeper::Source::kNtp);
    if (!set.ok()) return set;
    EWS_LOG(INFO) << "NTP: clock stepped by "
                  << absl::FormatDuration(best.offset) << " ("
                  << agreeing.size() << " server(s) agree, stratum "
                  << best.stratum << ")";
    status_.last_round_stepped = true;
  }
  status_.last_sync = clock_.WallNow();
  status_.last_offset = best.offset;
  return absl::OkStatus();
}

absl::Status NtpSynchronizer::Poll() {
  absl::MutexLock poll_lock(&poll_mutex_);
  std::vector<Server> servers;
  {
    absl::MutexLock lock(&mutex_);
    servers = servers_;
  }
  std::vector<SntpSample> counted;
  for (Server& server : servers) {
    absl::StatusOr<SntpSample> result;
    if (server.status.dropped) {
      result = absl::PermissionDeniedError("dropped after kiss-o'-death");
    } else if (clock_.MonotonicNow() < server.not_before) {
      result = absl::ResourceExhaustedError("backing off after RATE");
    } else {
      result = AskServer(server);
    }
    server.status.reach = static_cast<uint8_t>((server.status.reach << 1) |
                                               (result.ok() ? 1 : 0));
    server.status.last_result = result.status();
    if (result.ok()) {
      server.status.last_sample = *result;
      counted.push_back(*result);
    }
  }
  absl::MutexLock lock(&mutex_);
  servers_ = std::move(servers);
  const absl::Status result = DecideLocked(counted);
  status_.last_round = result;
  if (result.ok()) {
    failures_ = 0;
    status_.poll_interval =
        status_.last_round_stepped
            ? options_.min_poll
            : std::min(std::max(2 * status_.poll_interval, options_.min_poll),
                       options_.max_poll);
  } else if (pending_step_.has_value()) {
    status_.poll_interval = options_.min_poll;
  } else {
    ++failures_;
    absl::Duration interval = options_.min_poll;
    for (int i = 1; i < failures_ && interval < options_.max_poll; ++i) {
      interval *= 2;
    }
    status_.poll_interval = std::min(interval, options_.max_poll);
    EWS_LOG(WARNING) << "NTP: " << result.message() << "; next try in "
                     << absl::FormatDuration(status_.poll_interval);
  }
  return result;
}

absl::Duration NtpSynchronizer::NextPoll() const {
  absl::MutexLock lock(&mutex_);
  return status_.poll_interval;
}

NtpStatus NtpSynchronizer::Status() const {
  absl::MutexLock lock(&mutex_);
  NtpStatus status = status_;
  for (const Server& server : servers_) status.servers.push_back(server.status);
  return status;
}

void NtpSynchronizer::Start() {
  {
    absl::MutexLock lock(&mutex_);
    if (thread_.joinable()) return;
    stop_ = false;
  }
  thread_ = std::thread([this] {
    for (;;) {
      (void)Poll();
      absl::Duration remaining = NextPoll();
      while (remaining > absl::ZeroDuration()) {
        {
          absl::MutexLock lock(&mutex_);
          if (stop_) return;
        }
        const absl::Duration step = std::min(remaining, absl::Seconds(1));
        clock_.SleepFor(step);
        remaining -= step;
      }
      absl::MutexLock lock(&mutex_);
      if (stop_) return;
    }
  });
}

void NtpSynchronizer::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace ews::ntp
