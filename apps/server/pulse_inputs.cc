#include "apps/server/pulse_inputs.h"

#include <algorithm>
#include <cmath>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "apps/server/history_writer.h"
#include "sdk/base/files.h"
#include "sdk/base/log.h"
#include "sdk/base/status_macros.h"
#include "sdk/http/json.h"

namespace ews::server {
namespace {

using config::v1::PulseCounter;

constexpr char kPulseLine[] = "pulse";
// Store::AppendRaw() takes |raw| < 2^52.
constexpr uint64_t kMaxRawCount = uint64_t{1} << 52;
// How often the counts file is written when the counts are committed with the
// history anyway (each write costs the flash a page or more).
constexpr absl::Duration kFileSavePeriodWithHistory = absl::Hours(1);

absl::StatusOr<acquisition::PulseUnit> UnitOf(const PulseCounter& counter) {
  switch (counter.unit()) {
    case config::v1::PULSE_UNIT_WH:
      return acquisition::PulseUnit::kWattHour;
    case config::v1::PULSE_UNIT_KWH:
      return acquisition::PulseUnit::kKilowattHour;
    case config::v1::PULSE_UNIT_LITRE:
      return acquisition::PulseUnit::kLitre;
    case config::v1::PULSE_UNIT_CUBIC_METRE:
      return acquisition::PulseUnit::kCubicMetre;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("pulse counter ", counter.id(), ": no unit"));
  }
}

const char* KindName(config::v1::PulseKind kind) {
  switch (kind) {
    case config::v1::PULSE_KIND_ENERGY:
      return "energy";
    case config::v1::PULSE_KIND_WATER:
      return "water";
    case config::v1::PULSE_KIND_GAS:
      return "gas";
    default:
      return "other";
  }
}

// The next wall-clock minute after `wall`, as the Modbus history polls.
absl::Time NextMinute(absl::Time wall) {
  const absl::Duration into = (wall - absl::UnixEpoch()) % absl::Minutes(1);
  return wall + (absl::Minutes(1) - into);
}

}  // namespace

PulseInputs::PulseInputs(const config::v1::DeviceConfig& config,
                         const PulseInputsOptions& options, Clock& clock,
                         HistoryWriter* history)
    : counters_(config.pulse_counters().begin(), config.pulse_counters().end()),
      options_(options),
      clock_(clock),
      history_(history) {}

PulseInputs::~PulseInputs() { Stop(); }

absl::StatusOr<std::unique_ptr<PulseInputs>> PulseInputs::Start(
    const config::v1::DeviceConfig& config, const PulseInputsOptions& options,
    Clock& clock, HistoryWriter* history, Board& board) {
  if (config.pulse_counters().empty()) {
    return std::unique_ptr<PulseInputs>(
        new PulseInputs(config, options, clock, history));
  }
  EWS_ASSIGN_OR_RETURN(BoardPulseCounter counter,
                       board.OpenPulseCounter(config, clock));
  if (counter.counter == nullptr) {
    std::unique_ptr<PulseInputs> inputs(
        new PulseInputs(config, options, clock, history));
    inputs->backend_ = std::move(counter.backend);
    inputs->problem_ = std::move(counter.problem);
    EWS_LOG(ERROR) << "pulse inputs unavailable: " << inputs->problem_;
    return inputs;
  }
  return StartOn(std::move(counter.counter), config, options, clock, history,
                 std::move(counter.backend));
}

absl::StatusOr<std::unique_ptr<PulseInputs>> PulseInputs::StartOn(
    std::unique_ptr<hal::PulseCounter> counter,
    const config::v1::DeviceConfig& config, const PulseInputsOptions& options,
    Clock& clock, HistoryWriter* history, std::string backend) {
  std::unique_ptr<PulseInputs> inputs(
      new PulseInputs(config, options, clock, history));
  EWS_RETURN_IF_ERROR(inputs->Open(std::move(counter), std::move(backend)));
  if (inputs->meters_ != nullptr && options.sample_every_minute) {
    // The first minute is fixed now, not when the thread gets to run.
    const absl::Time first = NextMinute(clock.WallNow());
    inputs->thread_ =
        std::thread([raw = inputs.get(), first] { raw->Run(first); });
  }
  return inputs;
}

absl::Status PulseInputs::Open(std::unique_ptr<hal::PulseCounter> counter,
                               std::string backend) {
  backend_ = std::move(backend);
  counter_ = std::move(counter);
  std::vector<hal::PulseChannelConfig> channels;
  std::vector<acquisition::PulseMeterConfig> meters;
  for (size_t i = 0; i < counters_.size(); ++i) {
    const PulseCounter& counter = counters_[i];
    channels.push_back(PulseChannelOf(counter));
    acquisition::PulseMeterConfig meter;
    meter.name = counter.id();
    meter.channel = static_cast<int>(i);
    meter.quantity_per_pulse = counter.quantity_per_pulse();
    EWS_ASSIGN_OR_RETURN(meter.unit, UnitOf(counter));
    meters.push_back(std::move(meter));
  }
  EWS_RETURN_IF_ERROR(hal::ValidatePulseChannels(channels));
  EWS_ASSIGN_OR_RETURN(std::unique_ptr<acquisition::PulseMeters> pulse_meters,
                       acquisition::PulseMeters::Create(
                           counter_.get(), std::move(meters), &clock_));
  absl::Status started = counter_->Start(channels);
  if (!started.ok()) {
    problem_ = started;
    EWS_LOG(ERROR) << "pulse inputs (" << backend_
                   << ") unavailable: " << started;
    return absl::OkStatus();
  }
  std::vector<std::string> known_ids;
  if (!options_.counts_path.empty()) {
    absl::MutexLock lock(&record_mutex_);
    hal::PulseCountPersistence::Options persistence;
    persistence.path = options_.counts_path;
    // With history the counts are committed with it (see RecordNow()); the
    // file is the fallback for a history that was lost or changed scale.
    if (history_ != nullptr) persistence.period = kFileSavePeriodWithHistory;
    persistence_ = std::make_unique<hal::PulseCountPersistence>(
        counter_.get(), &clock_, persistence);
    absl::Status restored = RestoreCounts(known_ids);
    if (!restored.ok()) {
      // Counting goes on from 0; the next save replaces the bad file.
      EWS_LOG(ERROR) << "pulse counts not restored: " << restored;
    }
  }
  EWS_RETURN_IF_ERROR(ApplyStartingIndexes(known_ids));
  if (history_ != nullptr) {
    absl::Status resumed = ResumeFromHistory();
    if (!resumed.ok()) {
      EWS_LOG(ERROR) << "pulse counts not resumed from the history: "
                     << resumed;
    }
  }
  meters_ = std::move(pulse_meters);
  std::vector<std::string> names;
  for (const PulseCounter& counter : counters_) {
    names.push_back(absl::StrCat(counter.id(), "@", counter.input()));
  }
  EWS_LOG(INFO) << "counting " << counters_.size() << " pulse input(s) ("
                << backend_ << "): " << absl::StrJoin(names, ", ");
  return absl::OkStatus();
}

// The saved counts belong to the counters named in "<path>.ids", in order: the
// same counters keep their counts when others are added or removed.
absl::Status PulseInputs::RestoreCounts(std::vector<std::string>& known_ids) {
  const std::string ids_path = options_.counts_path + ".ids";
  std::vector<std::string> ids;
  for (const PulseCounter& counter : counters_) ids.push_back(counter.id());
  const std::string ids_text = absl::StrJoin(ids, "\n") + "\n";
  absl::StatusOr<std::string> saved_ids = ReadFileToString(ids_path, 1 << 16);
  if (!saved_ids.ok() && !absl::IsNotFound(saved_ids.status())) {
    return saved_ids.status();
  }
  if (!saved_ids.ok() || *saved_ids == ids_text) {
    // First start, or the same counters as when the counts were saved.
    EWS_RETURN_IF_ERROR(persistence_->Restore());
    if (saved_ids.ok()) known_ids = ids;
  } else {
    absl::StatusOr<std::vector<uint64_t>> counts =
        hal::LoadPulseCounts(options_.counts_path);
    if (!counts.ok() && !absl::IsNotFound(counts.status())) {
      return counts.status();
    }
    const std::vector<std::string> old_ids =
        absl::StrSplit(*saved_ids, '\n', absl::SkipEmpty());
    known_ids = old_ids;
    for (size_t i = 0; counts.ok() && i < ids.size(); ++i) {
      auto old = std::find(old_ids.begin(), old_ids.end(), ids[i]);
      const size_t at = old - old_ids.begin();
      if (old == old_ids.end() || at >= counts->size()) continue;
      EWS_RETURN_IF_ERROR(
          counter_->SetCount(static_cast<int>(i), (*counts)[at]));
    }
    EWS_LOG(INFO) << "pulse counters changed: counts kept by counter id";
    // Saved in the new order before the new order is recorded. A power cut
    // between the two writes gives the counts to the wrong counters.
    EWS_RETURN_IF_ERROR(persistence_->SaveNow());
  }
  return WriteFileAtomically(ids_path, ids_text, 0600);
}

absl::Status PulseInputs::ApplyStartingIndexes(
    const std::vector<std::string>& known_ids) {
  for (size_t i = 0; i < counters_.size(); ++i) {
    const PulseCounter& counter = counters_[i];
    if (counter.starting_index() <= 0 ||
        std::find(known_ids.begin(), known_ids.end(), counter.id()) !=
            known_ids.end()) {
      continue;
    }
    const auto start = static_cast<uint64_t>(
        std::llround(counter.starting_index() / counter.quantity_per_pulse()));
    EWS_RETURN_IF_ERROR(counter_->SetCount(static_cast<int>(i), start));
    EWS_LOG(INFO) << "pulse counter " << counter.id() << " starts at " << start
                  << " pulses (starting index " << counter.starting_index()
                  << ")";
  }
  return absl::OkStatus();
}

// The history holds every committed count (raw = pulses): a count below it
// (the file is saved at most once an hour with history) is raised to it.
absl::Status PulseInputs::ResumeFromHistory() {
  EWS_ASSIGN_OR_RETURN(std::vector<uint64_t> counts, counter_->Counts());
  for (size_t i = 0; i < counters_.size() && i < counts.size(); ++i) {
    storage::SeriesSpec spec;
    spec.device_id = counters_[i].id();
    spec.quantity_id = kPulseQuantity;
    spec.scale = counters_[i].quantity_per_pulse();
    EWS_ASSIGN_OR_RETURN(std::optional<int64_t> stored,
                         history_->LastStoredRaw(spec));
    if (!stored.has_value() || *stored < 0 ||
        static_cast<uint64_t>(*stored) <= counts[i]) {
      continue;
    }
    EWS_RETURN_IF_ERROR(counter_->SetCount(static_cast<int>(i),
                                           static_cast<uint64_t>(*stored)));
    EWS_LOG(INFO) << "pulse counter " << spec.device_id << " resumed at "
                  << *stored << " from the history (saved: " << counts[i]
                  << ")";
  }
  return absl::OkStatus();
}

void PulseInputs::Run(absl::Time next) {
  while (true) {
    {
      absl::MutexLock lock(&mutex_);
      if (stop_) return;
    }
    const absl::Time wall = clock_.WallNow();
    if (wall >= next) {
      absl::Status recorded = RecordNow();
      if (!recorded.ok()) EWS_LOG(WARNING) << "pulse history: " << recorded;
      next = NextMinute(wall);
    } else if (next - wall > absl::Minutes(1)) {
      next = NextMinute(wall);  // the wall clock was set back
    }
    const absl::Duration wait =
        std::min(next - clock_.WallNow(), absl::Milliseconds(200));
    if (wait > absl::ZeroDuration()) clock_.SleepFor(wait);
  }
}

void PulseInputs::SetSampleListener(SampleListener listener) {
  absl::MutexLock lock(&record_mutex_);
  sample_listener_ = std::move(listener);
}

absl::Status PulseInputs::RecordNow() {
  if (meters_ == nullptr) {
    return absl::UnavailableError(
        absl::StrCat("pulse inputs not counting: ", problem_.message()));
  }
  absl::MutexLock lock(&record_mutex_);
  EWS_ASSIGN_OR_RETURN(std::vector<acquisition::PulseSample> samples,
                       meters_->Sample());
  if (sample_listener_) {
    for (size_t i = 0; i < samples.size(); ++i) {
      sample_listener_(counters_[i].id(), samples[i]);
    }
  }
  if (history_ == nullptr) {
    // No history: the counts are saved every minute.
    return persistence_ != nullptr ? persistence_->SaveNow() : absl::OkStatus();
  }
  // With history the counts are committed with it, and a restart resumes
  // from the history's last count (ResumeFromHistory()); the file, for a
  // history lost or rescaled, is saved once an hour (see Open()).
  if (persistence_ != nullptr) {
    absl::Status saved = persistence_->Poll();
    // Logged when it starts failing (a full disk) and when it works again.
    if (!saved.ok() && save_problem_.ok()) {
      EWS_LOG(WARNING) << "pulse counts not saved: " << saved;
    } else if (saved.ok() && !save_problem_.ok()) {
      EWS_LOG(INFO) << "pulse counts saved again";
    }
    save_problem_ = saved;
  }
  absl::Status result;
  for (size_t i = 0; i < samples.size(); ++i) {
    const acquisition::PulseSample& sample = samples[i];
    storage::SeriesSpec spec;
    spec.device_id = counters_[i].id();
    spec.quantity_id = kPulseQuantity;
    spec.kind = storage::SeriesKind::kCounter;
    spec.unit = sample.unit;
    spec.scale = counters_[i].quantity_per_pulse();
    if (sample.pulses >= kMaxRawCount) {
      result.Update(absl::OutOfRangeError(absl::StrCat(
          "history for ", spec.device_id, ": count beyond 2^52 pulses")));
      continue;
    }
    history_->AppendRaw(spec, sample.time, static_cast<int64_t>(sample.pulses));
  }
  return result;
}

void PulseInputs::Stop() {
  {
    absl::MutexLock lock(&mutex_);
    if (stopped_) return;
    stopped_ = true;
    stop_ = true;
  }
  if (thread_.joinable()) thread_.join();
  absl::MutexLock lock(&record_mutex_);
  if (persistence_ != nullptr) {
    absl::Status saved = persistence_->Shutdown();
    if (!saved.ok()) EWS_LOG(ERROR) << "pulse counts not saved: " << saved;
  }
  if (counter_ != nullptr) {
    absl::Status stopped = counter_->Stop();
    if (!stopped.ok()) EWS_LOG(WARNING) << "pulse inputs: " << stopped;
  }
}

std::string PulseInputs::LineJson() const {
  if (counters_.empty()) return "";
  http::JsonWriter json;
  json.BeginObject()
      .Key("name")
      .String(kPulseLine)
      .Key("available")
      .Bool(meters_ != nullptr)
      .Key("backend")
      .String(backend_);
  if (!problem_.ok()) json.Key("problem").String(problem_.message());
  return json.EndObject().Take();
}

std::string PulseInputs::DevicesJson() const {
  if (counters_.empty()) return "";
  absl::StatusOr<std::vector<acquisition::PulseSample>> samples =
      meters_ != nullptr
          ? meters_->Sample()
          : absl::StatusOr<std::vector<acquisition::PulseSample>>(problem_);
  std::vector<std::string> devices;
  for (size_t i = 0; i < counters_.size(); ++i) {
    const PulseCounter& counter = counters_[i];
    http::JsonWriter json;
    json.BeginObject()
        .Key("id")
        .String(counter.id())
        .Key("name")
        .String(counter.name())
        .Key("profile")
        .String("pulse_counter")
        .Key("line")
        .String(kPulseLine)
        .Key("input")
        .Int(counter.input())
        .Key("kind")
        .String(KindName(counter.kind()));
    if (!samples.ok()) {
      json.Key("online")
          .Bool(false)
          .Key("state")
          .String(samples.status().message())
          .Key("values")
          .BeginArray()
          .EndArray();
    } else {
      const acquisition::PulseSample& sample = (*samples)[i];
      json.Key("online")
          .Bool(true)
          .Key("state")
          .String("ok")
          .Key("time")
          .Time(sample.time)
          .Key("pulses")
          .Int(sample.pulses)
          .Key("index")
          .Number(sample.index)
          .Key("unit")
          .String(sample.unit)
          .Key("rate_per_hour")
          .Number(sample.rate_per_hour, 6)
          .Key("values")
          .BeginArray()
          .BeginObject()
          .Key("quantity")
          .String("index")
          .Key("name")
          .String("Index")
          .Key("value")
          .Number(sample.index)
          .Key("unit")
          .String(sample.unit)
          .EndObject()
          .BeginObject()
          .Key("quantity")
          .String("rate")
          .Key("name")
          .String("Rate")
          .Key("value")
          .Number(sample.rate_per_hour, 6)
          .Key("unit")
          .String(PulseRateUnit(sample.unit))
          .EndObject()
          .EndArray();
    }
    devices.push_back(json.EndObject().Take());
  }
  return absl::StrJoin(devices, ",");
}

std::string PulseRateUnit(const std::string& unit) {
  if (unit == "Wh") return "W";
  if (unit == "kWh") return "kW";
  return unit + "/h";
}

}  // namespace ews::server
