#include "sdk/modbus/line_scheduler.h"

#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/modbus/internal/socket_io.h"

namespace ews::modbus {
namespace {

// The first probe of a unit that just became absent (then the interval
// doubles up to LineOptions::absent_probe_interval).
constexpr absl::Duration kFirstProbeAfter = absl::Seconds(1);

// What a transaction's final result says about the unit's presence.
enum class Presence {
  kAnswered,  // a normal or an exception answer of the device itself
  kMissed,    // no answer at all: a timeout, or a remote gateway's 0x0B
  kUnknown,   // a corrupt answer, an unreachable or busy path (a remote
              // gateway's 0x0A, a TCP connection that fails): says nothing
};

Presence PresenceOf(const absl::StatusOr<Pdu>& result) {
  if (result.ok()) {
    if (result->size() == 2 && ((*result)[0] & 0x80) != 0) {
      if ((*result)[1] == 0x0B) return Presence::kMissed;
      if ((*result)[1] == 0x0A) return Presence::kUnknown;
    }
    return Presence::kAnswered;
  }
  return absl::IsDeadlineExceeded(result.status()) ? Presence::kMissed
                                                   : Presence::kUnknown;
}

}  // namespace

const char* UnitStateName(UnitState state) {
  switch (state) {
    case UnitState::kUnknown:
      return "unknown";
    case UnitState::kOnline:
      return "online";
    case UnitState::kMissing:
      return "missing";
    case UnitState::kAbsent:
      return "absent";
  }
  return "unknown";
}

struct LineScheduler::Job {
  uint8_t unit;
  Pdu request;
  CallOptions options;
  absl::Duration deadline;  // clock monotonic
  // Guarded by the scheduler's mutex_.
  bool probe = false;    // the one request allowed to an absent unit
  bool started = false;  // taken by the worker (no longer queued)
  bool done = false;
  bool abandoned = false;  // the caller gave up waiting
  absl::StatusOr<Pdu> result;
  absl::CondVar finished;
};

LineScheduler::LineScheduler(std::unique_ptr<Transport> transport,
                             const LineOptions& options)
    : transport_(std::move(transport)),
      options_(options),
      name_(options.name.empty() ? transport_->Describe() : options.name),
      clock_(options.clock != nullptr ? options.clock : &SystemClock::Get()) {
  worker_ = std::thread([this] { Run(); });
}

LineScheduler::~LineScheduler() { Stop(); }

void LineScheduler::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    if (stop_ && !worker_.joinable()) return;
    stop_ = true;
    work_.SignalAll();
  }
  if (worker_.joinable()) worker_.join();
  absl::MutexLock lock(&mutex_);
  for (auto& queue : queues_) {
    for (auto& job : queue) {
      Finish(*job, absl::UnavailableError(name_ + ": line stopped"));
    }
    queue.clear();
  }
}

void LineScheduler::Finish(Job& job, absl::StatusOr<Pdu> result) {
  if (job.probe) units_[job.unit].probe_pending = false;
  job.result = std::move(result);
  job.done = true;
  job.finished.SignalAll();
}

absl::Status LineScheduler::Admit(Job& job) {
  if (job.unit == kBroadcastUnit || job.probe) return absl::OkStatus();
  auto it = units_.find(job.unit);
  if (it == units_.end()) return absl::OkStatus();
  Unit& unit = it->second;
  DeviceHealth& health = unit.health;
  if (health.state != UnitState::kAbsent) return absl::OkStatus();
  const absl::Duration now = clock_->MonotonicNow();
  if (!unit.probe_pending && now >= health.next_probe_at) {
    job.probe = true;
    unit.probe_pending = true;
    return absl::OkStatus();
  }
  ++health.fast_failed;
  ++stats_.fast_failed;
  const absl::Duration next =
      std::max(health.next_probe_at - now, absl::ZeroDuration());
  return UnitAbsentStatus(absl::StrCat(
      name_, ": unit ", job.unit, " absent since ",
      absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", health.absent_since,
                       absl::UTCTimeZone()),
      " (", health.consecutive_misses, " requests unanswered), ",
      unit.probe_pending
          ? "probe under way"
          : absl::StrCat("next probe in ", absl::FormatDuration(absl::Trunc(
                                               next, absl::Milliseconds(1))))));
}

absl::StatusOr<Pdu> LineScheduler::DoTransact(uint8_t unit, const Pdu& request,
                                              const CallOptions& options) {
  auto job = std::make_shared<Job>();
  job->unit = unit;
  job->request = request;
  job->options = options;
  job->deadline = clock_->MonotonicNow() + options.timeout;
  const int priority =
      std::clamp(static_cast<int>(options.priority), 0, kPriorityCount - 1);
  absl::MutexLock lock(&mutex_);
  if (stop_) return absl::UnavailableError(name_ + ": line stopped");
  EWS_RETURN_IF_ERROR(Admit(*job));
  size_t queued = 0;
  for (const auto& queue : queues_) queued += queue.size();
  if (queued >= static_cast<size_t>(options_.max_queue)) {
    ++stats_.rejected_queue_full;
    if (job->probe) units_[unit].probe_pending = false;
    return absl::UnavailableError(name_ + ": line queue full");
  }
  queues_[priority].push_back(job);
  work_.Signal();
  // The caller's own deadline, in real time (the wire runs in real time);
  // the worker also drops the job if it is still queued at its deadline.
  const absl::Duration give_up =
      internal::RealNow() + options.timeout + absl::Milliseconds(50);
  while (!job->done) {
    const absl::Duration left = give_up - internal::RealNow();
    if (left <= absl::ZeroDuration() ||
        job->finished.WaitWithTimeout(&mutex_, left)) {
      if (job->done) break;
      job->abandoned = true;
      if (!job->started) {
        // Never left the queue: the line was busy, the device is not to
        // blame.
        return absl::UnavailableError(
            absl::StrCat(name_, ": unit ", unit, ": line busy, still queued ",
                         "after ", absl::FormatDuration(options.timeout)));
      }
      return absl::DeadlineExceededError(
          absl::StrCat(name_, ": unit ", unit, ": no result within ",
                       absl::FormatDuration(options.timeout)));
    }
  }
  return std::move(job->result);
}

std::shared_ptr<LineScheduler::Job> LineScheduler::Next() {
  int chosen = -1;
  // A class passed over too often goes first (the least urgent such class
  // first, so background cannot be starved by gateway traffic).
  for (int p = kPriorityCount - 1; p >= 0; --p) {
    if (!queues_[p].empty() && passed_over_[p] >= options_.starvation_limit) {
      chosen = p;
      break;
    }
  }
  if (chosen < 0) {
    for (int p = 0; p < kPriorityCount; ++p) {
      if (!queues_[p].empty()) {
        chosen = p;
        break;
      }
    }
  }
  if (chosen < 0) return nullptr;
  for (int p = 0; p < kPriorityCount; ++p) {
    if (p == chosen) {
      passed_over_[p] = 0;
    } else if (p > chosen && !queues_[p].empty()) {
      ++passed_over_[p];
    }
  }
  std::shared_ptr<Job> job = std::move(queues_[chosen].front());
  queues_[chosen].pop_front();
  ++stats_.served[chosen];
  return job;
}

void LineScheduler::Run() {
  if (options_.realtime_priority > 0) {
    prctl(PR_SET_TIMERSLACK, 1UL, 0, 0, 0);
    sched_param param{};
    param.sched_priority = std::clamp(options_.realtime_priority, 1, 99);
    if (pthread_setschedparam(pthread_self(), SCHED_FIFO, &param) != 0) {
      EWS_LOG(INFO) << name_ << ": no real-time priority (not permitted)";
    }
  }
  while (true) {
    std::shared_ptr<Job> job;
    {
      absl::MutexLock lock(&mutex_);
      while (!stop_ && (job = Next()) == nullptr) work_.Wait(&mutex_);
      if (stop_) {
        if (job != nullptr) {
          Finish(*job, absl::UnavailableError(name_ + ": line stopped"));
        }
        return;
      }
      job->started = true;
      if (job->abandoned) {
        Finish(*job, absl::CancelledError("abandoned"));
        continue;
      }
      if (clock_->MonotonicNow() >= job->deadline) {
        ++stats_.expired_in_queue;
        Finish(*job, absl::UnavailableError(
                         absl::StrCat(name_, ": unit ", job->unit,
                                      ": line busy, deadline passed while "
                                      "queued")));
        continue;
      }
      // The unit may have become absent while this request waited.
      absl::Status admitted = Admit(*job);
      if (!admitted.ok()) {
        Finish(*job, admitted);
        continue;
      }
      if (job->probe) ++stats_.probes;
      stats_.busy = true;
    }
    absl::StatusOr<Pdu> result = Execute(*job);
    absl::MutexLock lock(&mutex_);
    stats_.busy = false;
    Finish(*job, std::move(result));
  }
}

absl::StatusOr<Pdu> LineScheduler::Execute(Job& job) {
  const bool retryable = IsReadFunction(job.request[0]);
  int attempts = job.options.max_attempts > 0 ? job.options.max_attempts
                                              : options_.read_attempts;
  // A probe of an absent unit costs the line one response timeout, no more.
  if (!retryable || job.unit == kBroadcastUnit || job.probe) attempts = 1;
  absl::StatusOr<Pdu> result;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    const absl::Duration left = job.deadline - clock_->MonotonicNow();
    if (left <= absl::ZeroDuration()) {
      if (attempt == 1) {
        result = absl::UnavailableError(
            absl::StrCat(name_, ": unit ", job.unit,
                         ": line busy, deadline passed while queued"));
      }
      break;
    }
    result = transport_->Exchange(job.unit, job.request,
                                  std::min(options_.response_timeout, left));
    const bool again =
        !result.ok() && (absl::IsDeadlineExceeded(result.status()) ||
                         absl::IsDataLoss(result.status()));
    const bool final = !again || attempt == attempts;
    absl::MutexLock lock(&mutex_);
    ++stats_.attempts;
    if (attempt == 1) ++stats_.transactions;
    if (job.unit != kBroadcastUnit) {
      if (job.probe) ++units_[job.unit].health.probes;
      Record(job.unit, result, final);
    }
    if (final) break;
  }
  return result;
}

void LineScheduler::Record(uint8_t unit, const absl::StatusOr<Pdu>& attempt,
                           bool final) {
  Unit& state = units_[unit];
  DeviceHealth& health = state.health;
  health.unit = unit;
  const absl::Duration now = clock_->MonotonicNow();
  if (attempt.ok()) {
    ++health.answers;
    if (attempt->size() == 2 && ((*attempt)[0] & 0x80) != 0) {
      ++health.exceptions;
    }
    health.last_answer_at = now;
    health.consecutive_failures = 0;
    health.online = true;
  } else {
    if (absl::IsDeadlineExceeded(attempt.status())) {
      ++health.timeouts;
    } else if (absl::IsDataLoss(attempt.status())) {
      ++health.crc_errors;
    } else {
      ++health.other_errors;
    }
    health.last_error = attempt.status();
    health.last_error_at = now;
  }
  if (!final) return;
  ++health.requests;
  if (!attempt.ok()) {
    if (++health.consecutive_failures == 3) {
      EWS_LOG(WARNING) << name_ << ": unit " << int{unit}
                       << " not answering: " << attempt.status();
    }
    health.online = false;
  }
  const Presence presence = PresenceOf(attempt);
  if (presence == Presence::kUnknown) return;
  if (presence == Presence::kAnswered) {
    if (health.state == UnitState::kAbsent) {
      EWS_LOG(INFO) << name_ << ": unit " << int{unit}
                    << " answers again after "
                    << absl::FormatDuration(
                           absl::Trunc(clock_->WallNow() - health.absent_since,
                                       absl::Milliseconds(1)))
                    << " absent";
      health.absent_since = absl::InfinitePast();
    }
    health.consecutive_misses = 0;
    health.state = UnitState::kOnline;
    return;
  }
  ++health.consecutive_misses;
  if (health.state == UnitState::kAbsent) {
    state.probe_interval =
        std::min(2 * state.probe_interval, options_.absent_probe_interval);
    health.next_probe_at = now + state.probe_interval;
    return;
  }
  health.state = UnitState::kMissing;
  if (options_.absent_after_misses > 0 &&
      health.consecutive_misses >= options_.absent_after_misses) {
    health.state = UnitState::kAbsent;
    health.absent_since = clock_->WallNow();
    state.probe_interval =
        std::min(kFirstProbeAfter, options_.absent_probe_interval);
    health.next_probe_at = now + state.probe_interval;
    ++health.absences;
    EWS_LOG(WARNING) << name_ << ": unit " << int{unit} << " absent after "
                     << health.consecutive_misses
                     << " requests without answer; its requests fail at once, "
                        "probes after "
                     << absl::FormatDuration(state.probe_interval)
                     << ", doubling up to "
                     << absl::FormatDuration(options_.absent_probe_interval);
  }
}

std::vector<DeviceHealth> LineScheduler::Health() const {
  absl::MutexLock lock(&mutex_);
  std::vector<DeviceHealth> all;
  for (const auto& [number, unit] : units_) all.push_back(unit.health);
  return all;
}

DeviceHealth LineScheduler::HealthOf(uint8_t unit) const {
  absl::MutexLock lock(&mutex_);
  auto it = units_.find(unit);
  if (it == units_.end()) {
    DeviceHealth none;
    none.unit = unit;
    return none;
  }
  return it->second.health;
}

LineStats LineScheduler::stats() const {
  absl::MutexLock lock(&mutex_);
  LineStats stats = stats_;
  stats.queued = 0;
  for (const auto& queue : queues_) stats.queued += queue.size();
  return stats;
}

}  // namespace ews::modbus
