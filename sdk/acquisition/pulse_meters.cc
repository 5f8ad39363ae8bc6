#include "sdk/acquisition/pulse_meters.h"

#include <cmath>
#include <set>

#include "absl/strings/str_cat.h"

namespace ews::acquisition {

const char* PulseUnitSymbol(PulseUnit unit) {
  switch (unit) {
    case PulseUnit::kWattHour:
      return "Wh";
    case PulseUnit::kKilowattHour:
      return "kWh";
    case PulseUnit::kLitre:
      return "L";
    case PulseUnit::kCubicMetre:
      return "m³";
    default:
      return "";
  }
}

absl::StatusOr<PulseUnit> ParsePulseUnit(absl::string_view text) {
  if (text == "Wh") return PulseUnit::kWattHour;
  if (text == "kWh") return PulseUnit::kKilowattHour;
  if (text == "L" || text == "l") return PulseUnit::kLitre;
  if (text == "m3" || text == "m³") return PulseUnit::kCubicMetre;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown pulse unit '", text, "' (Wh, kWh, L, m3)"));
}

absl::Status ValidatePulseMeterConfig(const PulseMeterConfig& config) {
  const std::string where = absl::StrCat("pulse meter '", config.name, "': ");
  if (config.name.empty()) {
    return absl::InvalidArgumentError("pulse meter: name is empty");
  }
  if (config.channel < 0) {
    return absl::InvalidArgumentError(where + "channel must be >= 0");
  }
  if (!(config.quantity_per_pulse > 0) ||
      !std::isfinite(config.quantity_per_pulse)) {
    return absl::InvalidArgumentError(where + "quantity_per_pulse must be > 0");
  }
  if (config.unit == PulseUnit::kUnspecified) {
    return absl::InvalidArgumentError(where + "unit is unspecified");
  }
  if (!(config.initial_index >= 0) || !std::isfinite(config.initial_index)) {
    return absl::InvalidArgumentError(where + "initial_index must be >= 0");
  }
  if (config.rate_window <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(where + "rate_window must be > 0");
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<PulseMeters>> PulseMeters::Create(
    hal::PulseCounter* counter, std::vector<PulseMeterConfig> configs,
    Clock* clock) {
  if (counter == nullptr || clock == nullptr) {
    return absl::InvalidArgumentError("no counter or clock");
  }
  std::set<std::string> names;
  for (const PulseMeterConfig& config : configs) {
    absl::Status valid = ValidatePulseMeterConfig(config);
    if (!valid.ok()) return valid;
    if (!names.insert(config.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("pulse meter '", config.name, "': name is not unique"));
    }
  }
  return std::unique_ptr<PulseMeters>(
      new PulseMeters(counter, std::move(configs), clock));
}

PulseMeters::PulseMeters(hal::PulseCounter* counter,
                         std::vector<PulseMeterConfig> configs, Clock* clock)
    : counter_(counter),
      configs_(std::move(configs)),
      clock_(clock),
      history_(configs_.size()) {}

absl::StatusOr<std::vector<PulseSample>> PulseMeters::Sample() {
  absl::MutexLock lock(&mutex_);
  const absl::Duration now = clock_->MonotonicNow();
  const absl::Time wall = clock_->WallNow();
  std::vector<PulseSample> samples;
  for (size_t i = 0; i < configs_.size(); ++i) {
    const PulseMeterConfig& config = configs_[i];
    absl::StatusOr<uint64_t> pulses = counter_->Count(config.channel);
    if (!pulses.ok()) return pulses.status();
    auto& history = history_[i];
    // At most one kept reading per 1/kHistorySlots of the window, so that
    // frequent readers (every live-values request) neither grow the history
    // nor spend time on it: a reading that follows the previous kept one
    // closer than that replaces the newest.
    if (history.size() >= 2 &&
        history.back().first - history[history.size() - 2].first <
            config.rate_window / kHistorySlots) {
      history.back() = {now, *pulses};
    } else {
      history.emplace_back(now, *pulses);
    }
    // Keep the newest sample at or before the window's start, plus newer.
    while (history.size() > 2 && history[1].first <= now - config.rate_window) {
      history.pop_front();
    }
    PulseSample sample;
    sample.name = config.name;
    sample.time = wall;
    sample.pulses = *pulses;
    sample.index = config.initial_index + *pulses * config.quantity_per_pulse;
    sample.unit = PulseUnitSymbol(config.unit);
    const auto& [then, then_pulses] = history.front();
    const double hours = absl::ToDoubleHours(now - then);
    if (hours > 0 && *pulses >= then_pulses) {
      sample.rate_per_hour =
          (*pulses - then_pulses) * config.quantity_per_pulse / hours;
    }
    samples.push_back(std::move(sample));
  }
  return samples;
}

}  // namespace ews::acquisition
