// LineScheduler: the single owner of one Modbus line — one RS485 port (over
// an RtuTransport) or one IP gateway (over a TcpTransport). Everything that
// talks to devices on that line (gateway clients, the poller, the web test
// page) goes through it as an ews::modbus::Client; one worker thread is the
// only user of the transport, so requests never overlap on the wire.
//
// Order: three queues by Priority, FIFO within each (so gateway clients, one
// request in flight each, are served round-robin). The most urgent non-empty
// queue goes first, but a waiting lower-priority request is served after it
// has been passed over `starvation_limit` times: background polling keeps at
// least 1 slot in (starvation_limit + 1) however busy the gateway is.
//
// Deadlines: CallOptions::timeout counts from the call; a request still
// queued at its deadline returns DeadlineExceeded without touching the wire;
// each attempt waits at most min(response_timeout, time left).
// Retries: read functions (1, 2, 3, 4, 43) only, after a timeout or a
// corrupt answer; writes go out exactly once (a write that timed out may or
// may not have been applied).
// Health: per unit, what the UI shows (answers, timeouts, CRC errors, last
// error, state).
// Absent units: a unit that missed `absent_after_misses` transactions in a
// row (no answer at all: a timeout, or exception 0x0B from a remote gateway)
// is absent. Its requests fail at once with Unavailable (see IsUnitAbsent(),
// exception.h) without touching the wire, except for probes: once a probe is
// due, the first request to the unit (queued or new) goes out, once, without
// retry. The first probe is due 1 s after the unit became absent, and the
// interval doubles after each failed probe up to `absent_probe_interval`: a
// unit that was absent for a moment is back within a second, a switched-off
// one costs the line one response timeout per interval instead of one per
// request. Any answer (a normal or an exception answer) restores the unit at
// once. A corrupt answer (CRC) and an unavailable path (a TCP connection that
// fails, a remote gateway's 0x0A) neither count as a miss nor restore;
// broadcasts (unit 0) never change a unit's state.
// Queued too long: a request still queued at its deadline fails with
// Unavailable (the line was busy), never DeadlineExceeded (which means the
// device did not answer in time).
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/modbus/client.h"
#include "sdk/modbus/transport.h"

namespace ews::modbus {

struct LineOptions {
  // For logs and the UI; default: the transport's Describe().
  std::string name;
  // Per attempt: how long a device may take to answer (the product's
  // default is 300 ms).
  absl::Duration response_timeout = absl::Milliseconds(300);
  // Attempts for reads when CallOptions::max_attempts is 0.
  int read_attempts = 2;
  // Requests waiting (all priorities); beyond: Unavailable.
  int max_queue = 1024;
  // A waiting lower-priority request is served after being passed over this
  // many times.
  int starvation_limit = 4;
  // Deadlines and timestamps; nullptr: the system clock.
  Clock* clock = nullptr;
  // Run the line's worker under SCHED_FIFO at this priority (1..99) with
  // 1 ns timer slack, best effort (ignored without the privilege): the line
  // is a real-time resource and t3.5 is 1.75 ms at 115200. 0: normal.
  int realtime_priority = 0;
  // Transactions without an answer in a row after which a unit is absent;
  // 0: never (every request to a silent unit holds the line for the
  // response timeout).
  int absent_after_misses = 3;
  // An absent unit is asked again (one real request) 1 s after it became
  // absent, then at doubling intervals up to this one; each probe costs the
  // line one response timeout.
  absl::Duration absent_probe_interval = absl::Seconds(10);
};

// What the line knows of a unit.
enum class UnitState {
  kUnknown,  // no transaction finished yet
  kOnline,   // answered its last transaction
  kMissing,  // did not answer its last transaction(s), not yet absent
  kAbsent,   // missed absent_after_misses in a row: fast-failed, probed
};
// "unknown", "online", "missing", "absent".
const char* UnitStateName(UnitState state);

struct DeviceHealth {
  uint8_t unit = 0;
  uint64_t requests = 0;    // transactions (retries count once)
  uint64_t answers = 0;     // normal or exception answers
  uint64_t exceptions = 0;  // of which exception answers
  uint64_t timeouts = 0;    // attempts without answer
  uint64_t crc_errors = 0;  // attempts with a corrupt answer
  uint64_t other_errors = 0;
  int consecutive_failures = 0;  // transactions without any answer
  absl::Status last_error;       // OK if none yet
  absl::Duration last_answer_at = absl::ZeroDuration();  // clock monotonic
  absl::Duration last_error_at = absl::ZeroDuration();
  // Answered its last transaction (false before the first).
  bool online = false;
  UnitState state = UnitState::kUnknown;
  int consecutive_misses = 0;  // transactions in a row without any answer
  // While absent (state kAbsent): since when (wall), the next probe
  // (monotonic).
  absl::Time absent_since = absl::InfinitePast();
  absl::Duration next_probe_at = absl::ZeroDuration();
  uint64_t absences = 0;     // times the unit became absent
  uint64_t probes = 0;       // probe requests sent while absent
  uint64_t fast_failed = 0;  // requests answered at once while absent
};

struct LineStats {
  uint64_t transactions = 0;
  uint64_t attempts = 0;
  uint64_t expired_in_queue = 0;
  uint64_t rejected_queue_full = 0;
  uint64_t served[kPriorityCount] = {0, 0, 0};
  uint64_t fast_failed = 0;  // requests to absent units, answered at once
  uint64_t probes = 0;       // requests sent to absent units
  size_t queued = 0;
  bool busy = false;  // a transaction is on the line
};

class LineScheduler final : public Client {
 public:
  // Starts the worker thread. `transport` is owned.
  LineScheduler(std::unique_ptr<Transport> transport,
                const LineOptions& options = {});
  // Stops: queued requests fail with Unavailable.
  ~LineScheduler() override;

  void Stop();

  const std::string& name() const { return name_; }
  std::vector<DeviceHealth> Health() const;
  DeviceHealth HealthOf(uint8_t unit) const;
  LineStats stats() const;

 private:
  struct Job;
  // Per-unit health plus what the absent logic needs.
  struct Unit {
    DeviceHealth health;
    bool probe_pending = false;     // a probe is queued or on the wire
    absl::Duration probe_interval;  // the current one, while absent
  };

  absl::StatusOr<Pdu> DoTransact(uint8_t unit, const Pdu& request,
                                 const CallOptions& options) override;
  void Run();
  std::shared_ptr<Job> Next() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Whether `job` may go on the wire; false: its unit is absent and no probe
  // is due (the job is to fail at once with the returned status).
  absl::Status Admit(Job& job) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Completes `job` with `result` and wakes its caller.
  void Finish(Job& job, absl::StatusOr<Pdu> result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<Pdu> Execute(Job& job);
  void Record(uint8_t unit, const absl::StatusOr<Pdu>& attempt, bool final)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const std::unique_ptr<Transport> transport_;
  const LineOptions options_;
  const std::string name_;
  Clock* const clock_;

  mutable absl::Mutex mutex_;
  absl::CondVar work_;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  std::deque<std::shared_ptr<Job>> queues_[kPriorityCount] ABSL_GUARDED_BY(
      mutex_);
  int passed_over_[kPriorityCount] ABSL_GUARDED_BY(mutex_) = {0, 0, 0};
  std::map<uint8_t, Unit> units_ ABSL_GUARDED_BY(mutex_);
  LineStats stats_ ABSL_GUARDED_BY(mutex_);
  std::thread worker_;
};

}  // namespace ews::modbus
