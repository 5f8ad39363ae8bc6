#include "sdk/modbus/line_scheduler.h"

#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "sdk/base/log.h"
#include "sdk/modbus/internal/socket_io.h"

namespace ews::modbus {

struct LineScheduler::Job {
  uint8_t unit;
  Pdu request;
  CallOptions options;
  absl::Duration deadline;  // clock monotonic
  // Guarded by the scheduler's mutex_.
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
      job->result = absl::UnavailableError(name_ + ": line stopped");
      job->done = true;
      job->finished.SignalAll();
    }
    queue.clear();
  }
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
  size_t queued = 0;
  for (const auto& queue : queues_) queued += queue.size();
  if (queued >= static_cast<size_t>(options_.max_queue)) {
    ++stats_.rejected_queue_full;
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
          job->result = absl::UnavailableError(name_ + ": line stopped");
          job->done = true;
          job->finished.SignalAll();
        }
        return;
      }
      if (job->abandoned) continue;
      if (clock_->MonotonicNow() >= job->deadline) {
        ++stats_.expired_in_queue;
        job->result = absl::DeadlineExceededError(absl::StrCat(
            name_, ": unit ", job->unit, ": deadline passed while queued"));
        job->done = true;
        job->finished.SignalAll();
        continue;
      }
      stats_.busy = true;
    }
    absl::StatusOr<Pdu> result = Execute(*job);
    absl::MutexLock lock(&mutex_);
    stats_.busy = false;
    job->result = std::move(result);
    job->done = true;
    job->finished.SignalAll();
  }
}

absl::StatusOr<Pdu> LineScheduler::Execute(Job& job) {
  const bool retryable = IsReadFunction(job.request[0]);
  int attempts = job.options.max_attempts > 0 ? job.options.max_attempts
                                              : options_.read_attempts;
  if (!retryable || job.unit == kBroadcastUnit) attempts = 1;
  absl::StatusOr<Pdu> result;
  for (int attempt = 1; attempt <= attempts; ++attempt) {
    const absl::Duration left = job.deadline - clock_->MonotonicNow();
    if (left <= absl::ZeroDuration()) {
      if (attempt == 1) {
        result = absl::DeadlineExceededError("deadline passed");
      }
      break;
    }
    result = transport_->Exchange(job.unit, job.request,
                                  std::min(options_.response_timeout, left));
    const bool exception =
        result.ok() && result->size() == 2 && ((*result)[0] & 0x80) != 0;
    const bool again =
        !result.ok() && (absl::IsDeadlineExceeded(result.status()) ||
                         absl::IsDataLoss(result.status()));
    const bool final = !again || attempt == attempts;
    absl::MutexLock lock(&mutex_);
    ++stats_.attempts;
    if (attempt == 1) ++stats_.transactions;
    if (job.unit != kBroadcastUnit) {
      Record(job.unit, result.status(), final, exception);
    }
    if (final) break;
  }
  return result;
}

void LineScheduler::Record(uint8_t unit, const absl::Status& attempt,
                           bool final, bool exception) {
  DeviceHealth& health = health_[unit];
  health.unit = unit;
  const absl::Duration now = clock_->MonotonicNow();
  if (attempt.ok()) {
    ++health.answers;
    if (exception) ++health.exceptions;
    health.last_answer_at = now;
    health.consecutive_failures = 0;
    health.online = true;
  } else {
    if (absl::IsDeadlineExceeded(attempt)) {
      ++health.timeouts;
    } else if (absl::IsDataLoss(attempt)) {
      ++health.crc_errors;
    } else {
      ++health.other_errors;
    }
    health.last_error = attempt;
    health.last_error_at = now;
  }
  if (final) {
    ++health.requests;
    if (!attempt.ok()) {
      if (++health.consecutive_failures == 3) {
        EWS_LOG(WARNING) << name_ << ": unit " << int{unit}
                         << " not answering: " << attempt;
      }
      health.online = false;
    }
  }
}

std::vector<DeviceHealth> LineScheduler::Health() const {
  absl::MutexLock lock(&mutex_);
  std::vector<DeviceHealth> all;
  for (const auto& [unit, health] : health_) all.push_back(health);
  return all;
}

DeviceHealth LineScheduler::HealthOf(uint8_t unit) const {
  absl::MutexLock lock(&mutex_);
  auto it = health_.find(unit);
  if (it == health_.end()) {
    DeviceHealth none;
    none.unit = unit;
    return none;
  }
  return it->second;
}

LineStats LineScheduler::stats() const {
  absl::MutexLock lock(&mutex_);
  LineStats stats = stats_;
  stats.queued = 0;
  for (const auto& queue : queues_) stats.queued += queue.size();
  return stats;
}

}  // namespace ews::modbus
