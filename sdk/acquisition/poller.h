// ews::acquisition::Poller: reads every configured device on its schedule
// through a Modbus client (in the product: the line's LineScheduler).
//
//   * History: each device every `history_period` (default one minute),
//     background priority, the quantities not marked live_only.
//   * Live view: SetLive() polls one device faster, at interactive priority,
//     with every quantity, for a while.
//   * Reads are planned once per device (sdk/devices/request_planner.h):
//     adjacent registers merged into as few requests as the profile allows.
//   * A device that does not answer is marked offline after
//     `offline_after` failed polls and retried with exponential back-off
//     (initial_backoff doubling up to max_backoff); its failures cost the
//     others nothing but its own timeouts. An exception answer to one read
//     loses only the quantities of that read.
//   * Samples carry the wall (RTC) time of the read, the raw register value
//     (exact: counters are never squeezed through a float), the effective
//     scale and the scaled value.
//
// Time comes from the injected clock. PollDue() does one round (tests call it
// after advancing a SimulatedClock); Start() runs rounds on a thread.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/devices/codec.h"
#include "sdk/devices/profile.pb.h"
#include "sdk/devices/request_planner.h"
#include "sdk/modbus/client.h"

namespace ews::acquisition {

struct PolledDevice {
  std::string name;  // unique, e.g. "meter-1"
  int address = 0;   // 1..247
  // Not owned; must outlive the poller (e.g. in a ProfileRegistry).
  const ews::devices::v1::Profile* profile = nullptr;
  absl::Duration history_period = absl::Minutes(1);
};

struct PollerOptions {
  // Schedule (monotonic) and sample timestamps (wall = the RTC). Not owned;
  // nullptr: the system clock.
  Clock* clock = nullptr;
  // Deadline of one read (queue + wire + the line's retries).
  absl::Duration call_timeout = absl::Seconds(3);
  int offline_after = 1;  // failed polls before a device is marked offline
  absl::Duration initial_backoff = absl::Seconds(10);
  absl::Duration max_backoff = absl::Minutes(10);
  // History polls at wall-clock multiples of the period (every minute at
  // hh:mm:00, every 15 min at :00, :15, ...), re-aligned after each poll so
  // a clock set by NTP or the user is followed; else the first poll is at
  // once and the cadence monotonic.
  bool align_to_wall_clock = false;
  // If set (10 or 32): Create() checks CheckModelLimit() with the distinct
  // addresses polled plus `pulse_counters`.
  int model_size = 0;
  int pulse_counters = 0;
};

struct Sample {
  std::string quantity_id;
  std::string unit;
  ews::devices::v1::Kind kind = ews::devices::v1::KIND_UNSPECIFIED;
  devices::RawValue raw;  // as read
  double scale = 1;       // effective scale
  bool negative = false;  // sign from a sign register
  double value = 0;       // scaled, signed
};

struct PollResult {
  std::string device;
  int address = 0;
  absl::Time time;       // wall (RTC) time of the poll
  bool history = false;  // the scheduled history poll (else live)
  // OK, or why the device failed (no samples then).
  absl::Status status;
  std::vector<Sample> samples;
  // Quantities lost to an exception answer or a decoding error.
  std::vector<std::pair<std::string, absl::Status>> quantity_errors;
};

struct DeviceState {
  std::string name;
  int address = 0;
  bool online = false;  // answered its last poll
  int consecutive_failures = 0;
  absl::Status last_error;
  uint64_t polls = 0;
  uint64_t failures = 0;
  absl::Duration next_poll;  // monotonic
  absl::Time last_success;   // wall; InfinitePast if never
};

class Poller {
 public:
  using Sink = std::function<void(const PollResult&)>;

  // `client` (not owned) must outlive the poller. `sink` receives every
  // poll's result (from the polling thread).
  // InvalidArgument: a device without profile, a bad address or period, a
  // duplicate name, bad options, or the model limit exceeded.
  static absl::StatusOr<std::unique_ptr<Poller>> Create(
      modbus::Client* client, std::vector<PolledDevice> devices,
      const PollerOptions& options, Sink sink);

  ~Poller();  // Stop()s

  // Polls every device that is due now; returns how many were polled.
  int PollDue();
  // When the next device is due (monotonic).
  absl::Duration NextDue() const;

  // Polls `device` every `period` (all quantities, interactive priority)
  // for `duration` from now. NotFound: no such device. InvalidArgument:
  // period <= 0.
  absl::Status SetLive(absl::string_view device, absl::Duration period,
                       absl::Duration duration);

  std::vector<DeviceState> States() const;

  // Runs PollDue() on a thread until Stop(). FailedPrecondition if running.
  absl::Status Start();
  void Stop();

 private:
  struct Entry {
    PolledDevice config;
    std::vector<devices::RegisterSpan> history_reads;
    std::vector<devices::RegisterSpan> all_reads;
    DeviceState state;
    absl::Duration next_history;   // monotonic cadence
    absl::Time next_history_wall;  // align_to_wall_clock
    absl::Duration backoff_until = absl::ZeroDuration();
    absl::Duration live_period = absl::ZeroDuration();
    absl::Duration live_until = absl::ZeroDuration();
    absl::Duration next_live;
  };

  Poller(modbus::Client* client, std::vector<Entry> entries,
         const PollerOptions& options, Clock* clock, Sink sink);
  PollResult PollOne(const Entry& entry, bool history);
  absl::Duration NextDueLocked() const ABSL_SHARED_LOCKS_REQUIRED(mutex_);
  // The next wall-clock multiple of `period` after `wall`.
  static absl::Time NextWallAligned(absl::Time wall, absl::Duration period);
  // Refreshes entry.state.next_poll (the monotonic estimate NextDue() uses).
  void UpdateNextPoll(Entry& entry, absl::Duration now, absl::Time wall) const;
  // A poll's outcome into `entry` (an element of entries_, under mutex_):
  // online again and the next slots, or offline after `offline_after`
  // failures and the back-off before the retry.
  void RecordSuccess(Entry& entry, bool history, absl::Time polled_at,
                     absl::Duration after, absl::Time wall_after) const;
  void RecordFailure(Entry& entry, const absl::Status& status,
                     absl::Duration after) const;

  modbus::Client* const client_;
  const PollerOptions options_;
  Clock* const clock_;
  const Sink sink_;

  mutable absl::Mutex mutex_;
  std::vector<Entry> entries_ ABSL_GUARDED_BY(mutex_);
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace ews::acquisition
