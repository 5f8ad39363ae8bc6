// The SNTP client service: polls the configured servers, checks that their
// answers agree, and sets the clock through hal::TimeKeeper (so the RTC
// follows).
//
//   NtpSynchronizer ntp(options, &time_keeper, clock);
//   ntp.Start();             // a thread: Poll(), sleep NextPoll(), ...
//   NtpStatus s = ntp.Status();  // for GET /api/v1/system/ntp
//
// Sanity rules (docs/time.md):
// - each server is asked samples_per_server times; it counts only when at
//   least two of its answers agree within `agreement` (one bad answer never
//   counts); its answer is the one with the smallest delay;
// - the servers that count must agree: a majority within `agreement` of
//   their median;
// - answers are refused for kiss-o'-death (RATE: that server is polled less
//   often; DENY/RSTR: it is dropped), leap alarm, stratum 0 or >= 16, zero
//   timestamps, a wrong origin timestamp (ignored), T3 < T2, a negative or
//   excessive delay, an excessive root distance (SntpClient);
// - a result before `min_plausible` is refused;
// - while the clock is valid, a step bigger than panic_threshold needs two
//   agreeing servers, or the same offset in two consecutive rounds;
// - offsets below step_threshold are left alone (the RTC keeps whole
//   seconds; no slewing).
// Polling: min_poll after a step or a failure, doubling on each further
// failure and on each round that finds the clock right, up to max_poll.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/hal/rtc/time_keeper.h"
#include "sdk/time/sntp_client.h"

namespace ews::ntp {

struct NtpOptions {
  std::vector<std::string> servers;  // "host", "host:port", "[v6]:port"
  absl::Duration min_poll = absl::Seconds(64);
  absl::Duration max_poll = absl::Seconds(1024);
  int samples_per_server = 3;
  absl::Duration sample_spacing = absl::Seconds(2);
  absl::Duration timeout = absl::Seconds(2);
  absl::Duration agreement = absl::Milliseconds(100);
  absl::Duration step_threshold = absl::Milliseconds(128);
  absl::Duration panic_threshold = absl::Seconds(1000);
  absl::Time min_plausible = absl::FromUnixSeconds(1767225600);  // 2026-01-01
  SntpLimits limits;
};

struct NtpServerStatus {
  std::string server;
  absl::Status last_result;  // OK, or why its last round did not count
  std::optional<SntpSample> last_sample;
  uint8_t reach = 0;       // one bit per round, newest lowest: 1 = counted
  bool dropped = false;    // kiss-o'-death DENY / RSTR
  absl::Duration backoff;  // extra wait after kiss-o'-death RATE
};

struct NtpStatus {
  std::vector<NtpServerStatus> servers;
  absl::Status last_round;              // the last Poll() result
  std::optional<absl::Time> last_sync;  // wall time of the last good round
  absl::Duration last_offset;           // measured then
  bool last_round_stepped = false;      // the clock was set then
  absl::Duration poll_interval;         // until the next round
};

class NtpSynchronizer {
 public:
  // `time_keeper` and `clock` are not owned; `clock` must be the clock the
  // TimeKeeper sets.
  NtpSynchronizer(NtpOptions options, hal::TimeKeeper* time_keeper,
                  Clock& clock);
  ~NtpSynchronizer();  // Stop()s

  // One round. OK: the clock was right or has been set. Unavailable: no
  // server counted (none configured, no answers, samples disagree).
  // FailedPrecondition: servers disagree, the result is implausible, or a
  // big step awaits confirmation (the clock is unchanged). Errors of
  // TimeKeeper::SetTime.
  absl::Status Poll() ABSL_LOCKS_EXCLUDED(mutex_);

  // How long to wait before the next Poll().
  absl::Duration NextPoll() const ABSL_LOCKS_EXCLUDED(mutex_);

  NtpStatus Status() const ABSL_LOCKS_EXCLUDED(mutex_);

  // A thread that polls until Stop(). It sleeps on the clock in steps of at
  // most one second, so Stop() returns within a second (with a real clock).
  void Start() ABSL_LOCKS_EXCLUDED(mutex_);
  void Stop() ABSL_LOCKS_EXCLUDED(mutex_);

 private:
  struct Server {
    NtpServerStatus status;
    absl::Duration not_before;  // monotonic: RATE backoff
  };
  // Asks one server; its best sample if it counts.
  absl::StatusOr<SntpSample> AskServer(Server& server);
  absl::Status DecideLocked(const std::vector<SntpSample>& counted)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const NtpOptions options_;
  hal::TimeKeeper* const time_keeper_;
  Clock& clock_;
  SntpClient client_;

  mutable absl::Mutex mutex_;
  std::vector<Server> servers_ ABSL_GUARDED_BY(mutex_);
  NtpStatus status_ ABSL_GUARDED_BY(mutex_);
  int failures_ ABSL_GUARDED_BY(mutex_) = 0;
  std::optional<absl::Duration> pending_step_ ABSL_GUARDED_BY(mutex_);
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
  absl::Mutex poll_mutex_;  // one Poll() at a time
};

}  // namespace ews::ntp
