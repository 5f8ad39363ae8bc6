#include "sdk/acquisition/poller.h"

#include <algorithm>
#include <set>

#include "absl/strings/str_cat.h"
#include "sdk/acquisition/model_limits.h"
#include "sdk/base/log.h"
#include "sdk/modbus/exception.h"

namespace ews::acquisition {

namespace v1 = ::ews::devices::v1;

absl::StatusOr<std::unique_ptr<Poller>> Poller::Create(
    modbus::Client* client, std::vector<PolledDevice> devices,
    const PollerOptions& options, Sink sink) {
  if (client == nullptr) return absl::InvalidArgumentError("no client");
  if (options.offline_after < 1 ||
      options.initial_backoff <= absl::ZeroDuration() ||
      options.max_backoff < options.initial_backoff ||
      options.call_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("bad poller options");
  }
  Clock* clock = options.clock != nullptr ? options.clock : &SystemClock::Get();
  std::set<std::string> names;
  std::vector<int> addresses;
  std::vector<Entry> entries;
  for (PolledDevice& device : devices) {
    const std::string where = absl::StrCat("device '", device.name, "'");
    if (device.name.empty()) {
      return absl::InvalidArgumentError("a device without a name");
    }
    if (!names.insert(device.name).second) {
      return absl::InvalidArgumentError(where + ": name is not unique");
    }
    if (device.address < 1 || device.address > 247) {
      return absl::InvalidArgumentError(absl::StrCat(
          where, ": address must be 1..247, got ", device.address));
    }
    if (device.profile == nullptr) {
      return absl::InvalidArgumentError(where + ": no profile");
    }
    if (device.history_period <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(where + ": history period must be > 0");
    }
    Entry entry;
    auto history =
        devices::PlanProfileReads(*device.profile, devices::PollSet::kHistory);
    if (!history.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(where, ": ", history.status().message()));
    }
    auto all =
        devices::PlanProfileReads(*device.profile, devices::PollSet::kAll);
    if (!all.ok()) return all.status();
    entry.history_reads = std::move(*history);
    entry.all_reads = std::move(*all);
    entry.state.name = device.name;
    entry.state.address = device.address;
    entry.state.last_success = absl::InfinitePast();
    entry.next_history = clock->MonotonicNow();  // first poll at once
    entry.state.next_poll = entry.next_history;
    addresses.push_back(device.address);
    entry.config = std::move(device);
    entries.push_back(std::move(entry));
  }
  if (options.model_size != 0) {
    absl::Status limit =
        CheckModelLimit(options.model_size, CountDistinctAddresses(addresses),
                        options.pulse_counters);
    if (!limit.ok()) return limit;
  }
  return std::unique_ptr<Poller>(
      new Poller(client, std::move(entries), options, clock, std::move(sink)));
}

Poller::Poller(modbus::Client* client, std::vector<Entry> entries,
               const PollerOptions& options, Clock* clock, Sink sink)
    : client_(client),
      options_(options),
      clock_(clock),
      sink_(std::move(sink)),
      entries_(std::move(entries)) {
  if (options_.align_to_wall_clock) {
    const absl::Time wall = clock_->WallNow();
    for (Entry& entry : entries_) {
      entry.next_history_wall =
          NextWallAligned(wall, entry.config.history_period);
      UpdateNextPoll(entry, clock_->MonotonicNow(), wall);
    }
  }
  for (const Entry& entry : entries_) {
    EWS_LOG(INFO) << "poll " << entry.config.name << " at "
                  << entry.config.address << " as "
                  << entry.config.profile->id() << " every "
                  << entry.config.history_period << " in "
                  << entry.history_reads.size() << " read(s)";
  }
}

Poller::~Poller() { Stop(); }

PollResult Poller::PollOne(const Entry& entry, bool history) {
  PollResult result;
  result.device = entry.config.name;
  result.address = entry.config.address;
  result.history = history;
  result.time = clock_->WallNow();
  const v1::Profile& profile = *entry.config.profile;
  modbus::CallOptions call;
  call.priority =
      history ? modbus::Priority::kBackground : modbus::Priority::kInteractive;
  call.timeout = options_.call_timeout;
  const uint8_t unit = static_cast<uint8_t>(entry.config.address);
  devices::RegisterImage image;
  const auto& reads = history ? entry.history_reads : entry.all_reads;
  bool any_answer = false;
  for (const devices::RegisterSpan& span : reads) {
    absl::StatusOr<std::vector<uint16_t>> words =
        span.table == v1::TABLE_INPUT_REGISTERS
            ? client_->ReadInputRegisters(unit, span.address, span.count, call)
            : client_->ReadHoldingRegisters(unit, span.address, span.count,
                                            call);
    if (words.ok()) {
      any_answer = true;
      image.Put(span.table, span.address, *words);
      continue;
    }
    if (modbus::ModbusExceptionCode(words.status()).has_value()) {
      any_answer = true;  // this block is lost, the device is there
      result.quantity_errors.push_back(
          {absl::StrCat("read@", span.address), words.status()});
      continue;
    }
    // No (usable) answer: the device failed this poll; do not spend more
    // wire time on it.
    result.status = words.status();
    return result;
  }
  if (!any_answer && !reads.empty()) {
    result.status = absl::UnavailableError("no read answered");
    return result;
  }
  for (const v1::Quantity& quantity : profile.quantities()) {
    if (history && quantity.live_only()) continue;
    absl::StatusOr<devices::Reading> reading =
        devices::DecodeQuantity(profile, quantity, image);
    if (!reading.ok()) {
      result.quantity_errors.push_back({quantity.id(), reading.status()});
      continue;
    }
    Sample sample;
    sample.quantity_id = quantity.id();
    sample.unit = quantity.unit();
    sample.kind = quantity.kind();
    sample.raw = reading->raw;
    sample.scale = reading->scale;
    sample.negative = reading->negative;
    sample.value = reading->value;
    result.samples.push_back(std::move(sample));
  }
  return result;
}

void Poller::RecordSuccess(Entry& e, bool history, absl::Time polled_at,
                           absl::Duration after, absl::Time wall_after) const {
  DeviceState& state = e.state;
  if (!state.online && state.consecutive_failures > 0) {
    EWS_LOG(INFO) << e.config.name << " is back online";
  }
  state.online = true;
  state.consecutive_failures = 0;
  state.last_error = absl::OkStatus();
  state.last_success = polled_at;
  e.backoff_until = absl::ZeroDuration();
  if (history) {
    if (options_.align_to_wall_clock) {
      // From the wall clock each time: a clock set meanwhile is
      // followed.
      e.next_history_wall =
          NextWallAligned(wall_after, e.config.history_period);
    } else {
      // Keep the cadence; skip the slots that were missed.
      while (e.next_history <= after) {
        e.next_history += e.config.history_period;
      }
    }
  }
  if (e.live_until > after) e.next_live = after + e.live_period;
}

void Poller::RecordFailure(Entry& e, const absl::Status& status,
                           absl::Duration after) const {
  DeviceState& state = e.state;
  ++state.failures;
  ++state.consecutive_failures;
  state.last_error = status;
  if (state.consecutive_failures >= options_.offline_after) {
    if (state.online || state.consecutive_failures == options_.offline_after) {
      EWS_LOG(WARNING) << e.config.name << " at " << e.config.address
                       << " is offline: " << status;
    }
    state.online = false;
  }
  absl::Duration backoff = options_.initial_backoff;
  for (int i = 1;
       i < state.consecutive_failures && backoff < options_.max_backoff; ++i) {
    backoff *= 2;
  }
  backoff = std::min(backoff, options_.max_backoff);
  // Retry after the back-off; a history slot missed meanwhile is
  // polled at the retry.
  e.backoff_until = after + backoff;
  e.next_history = std::max(e.next_history, e.backoff_until);
  e.next_live = e.backoff_until;
}

int Poller::PollDue() {
  // Pick the due devices, poll them without the lock, then update.
  struct Due {
    size_t index;
    bool history;
  };
  std::vector<Due> due;
  std::vector<Entry> snapshot;
  const absl::Duration now = clock_->MonotonicNow();
  const absl::Time wall = clock_->WallNow();
  {
    absl::MutexLock lock(&mutex_);
    for (size_t i = 0; i < entries_.size(); ++i) {
      const Entry& entry = entries_[i];
      if (now < entry.backoff_until) continue;
      const bool history = options_.align_to_wall_clock
                               ? wall >= entry.next_history_wall
                               : entry.next_history <= now;
      const bool live = entry.live_until > now && entry.next_live <= now;
      if (!history && !live) continue;
      due.push_back({i, history});
    }
    snapshot = entries_;  // configs and plans are immutable
  }
  for (const Due& d : due) {
    const Entry& entry = snapshot[d.index];
    PollResult result = PollOne(entry, d.history);
    {
      absl::MutexLock lock(&mutex_);
      Entry& e = entries_[d.index];
      ++e.state.polls;
      const absl::Duration after = clock_->MonotonicNow();
      const absl::Time wall_after = clock_->WallNow();
      if (result.status.ok()) {
        RecordSuccess(e, d.history, result.time, after, wall_after);
      } else {
        RecordFailure(e, result.status, after);
      }
      UpdateNextPoll(e, after, wall_after);
    }
    if (sink_) sink_(result);
  }
  return static_cast<int>(due.size());
}

absl::Time Poller::NextWallAligned(absl::Time wall, absl::Duration period) {
  const absl::Duration into_period = (wall - absl::UnixEpoch()) % period;
  return wall + (period - into_period);
}

void Poller::UpdateNextPoll(Entry& entry, absl::Duration now,
                            absl::Time wall) const {
  absl::Duration next =
      options_.align_to_wall_clock
          ? now + std::max(absl::ZeroDuration(), entry.next_history_wall - wall)
          : entry.next_history;
  if (entry.live_until > now) next = std::min(next, entry.next_live);
  entry.state.next_poll = std::max(next, entry.backoff_until);
}

absl::Duration Poller::NextDueLocked() const {
  absl::Duration next = absl::InfiniteDuration();
  for (const Entry& entry : entries_) {
    next = std::min(next, entry.state.next_poll);
  }
  return next;
}

absl::Duration Poller::NextDue() const {
  absl::MutexLock lock(&mutex_);
  return NextDueLocked();
}

absl::Status Poller::SetLive(absl::string_view device, absl::Duration period,
                             absl::Duration duration) {
  if (period <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("live period must be > 0");
  }
  absl::MutexLock lock(&mutex_);
  for (Entry& entry : entries_) {
    if (entry.config.name != device) continue;
    const absl::Duration now = clock_->MonotonicNow();
    entry.live_period = period;
    entry.live_until = now + duration;
    entry.next_live = now;
    UpdateNextPoll(entry, now, clock_->WallNow());
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("no device '", device, "'"));
}

std::vector<DeviceState> Poller::States() const {
  absl::MutexLock lock(&mutex_);
  std::vector<DeviceState> states;
  for (const Entry& entry : entries_) states.push_back(entry.state);
  return states;
}

absl::Status Poller::Start() {
  absl::MutexLock lock(&mutex_);
  if (thread_.joinable()) return absl::FailedPreconditionError("running");
  stop_ = false;
  thread_ = std::thread([this] {
    while (true) {
      {
        absl::MutexLock lock(&mutex_);
        if (stop_) return;
      }
      PollDue();
      const absl::Duration wait =
          std::min(NextDue() - clock_->MonotonicNow(), absl::Milliseconds(200));
      if (wait > absl::ZeroDuration()) clock_->SleepFor(wait);
    }
  });
  return absl::OkStatus();
}

void Poller::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
}

}  // namespace ews::acquisition
