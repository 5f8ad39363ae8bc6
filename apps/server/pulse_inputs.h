// The application's pulse inputs: the configured pulse counters (S0 outputs of
// energy, water and gas meters) counted on the board's GPIO inputs, their
// counts kept across restarts, their indexes sampled into the history every
// wall-clock minute and served with the devices.
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
#include "apps/server/board.h"
#include "apps/server/history_writer.h"
#include "sdk/acquisition/pulse_meters.h"
#include "sdk/base/clock.h"
#include "sdk/config/config.pb.h"
#include "sdk/hal/pulse/pulse_count_store.h"
#include "sdk/hal/pulse/pulse_counter.h"

namespace ews::server {

struct PulseInputsOptions {
  // Where the counts are kept across restarts ("<path>.ids" beside it names
  // the counter of each saved count); empty: not kept.
  std::string counts_path;
  // Sample into the history on every wall-clock minute (a thread sleeping on
  // the clock, at most 200 ms at a time: on a SimulatedClock, Stop() returns
  // once the clock moves). Tests may call RecordNow() instead.
  bool sample_every_minute = true;
};

// The history series of a pulse counter: (its id, kPulseQuantity), a counter
// in the configured unit with scale = quantity per pulse, so that the stored
// raw value is the exact pulse count.
inline constexpr char kPulseQuantity[] = "index";

// A pulse counter's rate unit: energy per hour is a power (Wh → W, kWh →
// kW), anything else per hour (L → L/h).
std::string PulseRateUnit(const std::string& unit);

class PulseInputs {
 public:
  // Starts counting the configured pulse counters (none: an idle object) on
  // the counter `board` opens (the GPIO chip, or simulated meters), restores
  // their saved counts and starts sampling. Inputs that cannot be opened (no
  // GPIO chip, no permission, a busy line) or a corrupt counts file are
  // logged and reported by the JSON; the rest of the box runs. Errors:
  // InvalidArgument (a counter the validator refuses). `history` (null: no
  // history) and `clock` must outlive the object.
  static absl::StatusOr<std::unique_ptr<PulseInputs>> Start(
      const config::v1::DeviceConfig& config, const PulseInputsOptions& options,
      Clock& clock, HistoryWriter* history, Board& board);

  // The same on `counter` (not started yet; channel i counts the
  // configuration's i-th pulse counter), e.g. a hal::FakePulseCounter;
  // `backend` names it in LineJson().
  static absl::StatusOr<std::unique_ptr<PulseInputs>> StartOn(
      std::unique_ptr<hal::PulseCounter> counter,
      const config::v1::DeviceConfig& config, const PulseInputsOptions& options,
      Clock& clock, HistoryWriter* history, std::string backend = "gpio");

  ~PulseInputs();
  // Stops sampling, saves the counts and stops counting. Idempotent.
  void Stop();

  // Reads every counter and hands each count to the history writer, which
  // commits it with the poll round: the committed counts are what a restart
  // resumes from (a power cut loses at most the pulses of one commit
  // interval, one minute by default). The counts file is saved here too:
  // once an hour (for a history lost or rescaled; a failing save is logged),
  // or every minute when there is no history.
  // What the minute thread does. Errors: Unavailable (the inputs are not
  // open), the counter's read errors, OutOfRange (a count beyond 2^52), the
  // save's errors (without history).
  absl::Status RecordNow();

  // {"name":"pulse","available":..,"backend":..} for /api/v1/devices' lines;
  // "" when no pulse counter is configured.
  std::string LineJson() const;
  // The pulse counters as /api/v1/devices entries ("line":"pulse"), joined by
  // commas; their index and rate are read now.
  std::string DevicesJson() const;

  size_t size() const { return counters_.size(); }

  // Hears each counter's sample of every RecordNow() (live values over the
  // WebSocket), with the counter's configured id. Must not block.
  using SampleListener = std::function<void(
      const std::string& counter_id, const acquisition::PulseSample& sample)>;
  void SetSampleListener(SampleListener listener);

 private:
  PulseInputs(const config::v1::DeviceConfig& config,
              const PulseInputsOptions& options, Clock& clock,
              HistoryWriter* history);
  absl::Status Open(std::unique_ptr<hal::PulseCounter> counter,
                    std::string backend);
  // Restores the saved counts; `known_ids` gets the ids of the counters the
  // box already had a count of (empty at the first start).
  absl::Status RestoreCounts(std::vector<std::string>& known_ids);
  // Counters not in `known_ids` start at their starting_index.
  absl::Status ApplyStartingIndexes(const std::vector<std::string>& known_ids);
  absl::Status ResumeFromHistory();
  // Records on every wall-clock minute from `next` until Stop().
  void Run(absl::Time next);

  const std::vector<config::v1::PulseCounter> counters_;
  const PulseInputsOptions options_;
  Clock& clock_;
  HistoryWriter* const history_;

  std::string backend_;   // "gpio", "simulated", ...
  absl::Status problem_;  // why the inputs are not counting
  std::unique_ptr<hal::PulseCounter> counter_;
  std::unique_ptr<acquisition::PulseMeters> meters_;

  absl::Mutex record_mutex_;  // one RecordNow() at a time; Stop()
  SampleListener sample_listener_ ABSL_GUARDED_BY(record_mutex_);
  std::unique_ptr<hal::PulseCountPersistence> persistence_
      ABSL_GUARDED_BY(record_mutex_);
  absl::Status save_problem_ ABSL_GUARDED_BY(record_mutex_);

  mutable absl::Mutex mutex_;
  bool stop_ ABSL_GUARDED_BY(mutex_) = false;
  bool stopped_ ABSL_GUARDED_BY(mutex_) = false;
  std::thread thread_;
};

}  // namespace ews::server
