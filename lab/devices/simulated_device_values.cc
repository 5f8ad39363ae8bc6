// SimulatedDevice: the value of each quantity, read from the model's state.
// Fixed quantity ids are looked up in a table; families of ids ("v2n",
// "thd_i3", "contact4_state", "input2_index") are matched by pattern.
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "lab/devices/internal/simulated_device_units.h"
#include "lab/devices/simulated_device.h"

namespace ews::lab {
namespace {

using devices::RawValue;

// Wh (or varh) per unit of a counter's unit.
double UnitFactor(absl::string_view unit) {
  if (absl::StartsWith(unit, "k")) return 1e3;
  if (absl::StartsWith(unit, "M")) return 1e6;
  return 1;
}

int PhaseIndex(absl::string_view id, absl::string_view prefix) {
  // "v2n" -> 1, "i3" -> 2, "thd_v1" -> 0.
  if (!absl::StartsWith(id, prefix) || id.size() <= prefix.size()) return -1;
  const char c = id[prefix.size()];
  if (c < '1' || c > '3') return -1;
  return c - '1';
}

}  // namespace

absl::StatusOr<RawValue> SimulatedDevice::ValueLocked(const v1::Quantity& q) {
  const std::string& id = q.id();
  // Counters: exact integer division of the integrated energy.
  if (q.kind() == v1::KIND_COUNTER) {
    static const auto* const kEnergy =
        new std::map<std::string, unsigned __int128 SimulatedDevice::*,
                     std::less<>>{
            {"ea_import", &SimulatedDevice::ea_import_uj_},
            {"ea_import_total", &SimulatedDevice::ea_import_uj_},
            {"energy", &SimulatedDevice::ea_import_uj_},
            {"ea_export", &SimulatedDevice::ea_export_uj_},
            {"er_import", &SimulatedDevice::er_import_uj_},
            {"er_export", &SimulatedDevice::er_export_uj_},
        };
    auto energy = kEnergy->find(id);
    if (energy != kEnergy->end()) {
      const unsigned __int128 micro = this->*(energy->second);
      devices::RegisterImage& image = image_;
      absl::StatusOr<double> scale =
          devices::EffectiveScale(profile_, q, image);
      if (!scale.ok()) return scale.status();
      const double per_count = *scale * UnitFactor(q.unit()) * kMicroJoulePerWh;
      const unsigned __int128 denominator =
          static_cast<unsigned __int128>(std::llround(per_count));
      const uint64_t counts = static_cast<uint64_t>(micro / denominator);
      if (q.type() == v1::DATA_TYPE_U32) {
        return RawValue::Unsigned(counts & 0xFFFFFFFFu);  // wraps like a meter
      }
      return RawValue::Unsigned(counts);
    }
    uint64_t count = 0;
    if (id == "trip_count") {
      count = trip_count_;
    } else if (absl::StartsWith(id, "contact") &&
               absl::EndsWith(id, "_changes")) {
      count = contact_changes_[(id[7] - '1') & 3];
    } else if (absl::StartsWith(id, "relay") &&
               absl::EndsWith(id, "_operations")) {
      count = relay_operations_[(id[5] - '1') & 1];
    } else if (absl::StartsWith(id, "input") && absl::EndsWith(id, "_index")) {
      const int n = id[5] - '1';
      if (n >= 0 && n < static_cast<int>(pulse_inputs_.size())) {
        count = pulse_inputs_[n]->PulseCount();
      }
    }
    return RawValue::Unsigned(count);
  }

  // Everything else: a physical value, rounded to the register resolution,
  // or (raw_integer) a word already in register form.
  struct Reading {
    double (*value)(const SimulatedDevice& d);
    bool raw_integer = false;
  };
  static const auto* const kReadings = new std::map<std::string, Reading,
                                                    std::less<>>{
      {"in", {[](const SimulatedDevice& d) {
         const double a = d.i_ma_[0], b = d.i_ma_[1], c = d.i_ma_[2];
         return std::sqrt(std::max(
                    0.0, a * a + b * b + c * c - a * b - b * c - c * a)) /
                1000.0;
       }}},
      {"u12", {[](const SimulatedDevice& d) { return d.LineVoltage(0, 1); }}},
      {"u23", {[](const SimulatedDevice& d) { return d.LineVoltage(1, 2); }}},
      {"u31", {[](const SimulatedDevice& d) { return d.LineVoltage(2, 0); }}},
      {"p_total", {[](const SimulatedDevice& d) { return d.p_uw_ / 1e6; }}},
      {"power", {[](const SimulatedDevice& d) { return d.p_uw_ / 1e6; }}},
      {"q_total", {[](const SimulatedDevice& d) { return d.q_uvar_ / 1e6; }}},
      {"s_total", {[](const SimulatedDevice& d) { return d.s_uva_ / 1e6; }}},
      {"p_sign",
       {[](const SimulatedDevice& d) { return d.p_uw_ < 0 ? 1.0 : 0.0; }}},
      {"q_sign",
       {[](const SimulatedDevice& d) { return d.q_uvar_ < 0 ? 1.0 : 0.0; }}},
      {"pf",
       {[](const SimulatedDevice& d) { return d.pf_hundredths_ / 100.0; }}},
      {"frequency",
       {[](const SimulatedDevice& d) { return d.frequency_dhz_ / 10.0; }}},
      {"i1_max",
       {[](const SimulatedDevice& d) { return d.i1_max_ma_ / 1000.0; }}},
      {"i1_avg", {[](const SimulatedDevice& d) {
         return d.step_ > 0 ? d.i1_sum_ma_ / 1000.0 / d.step_
                            : d.i_ma_[0] / 1000.0;
       }}},
      {"v1n_min",
       {[](const SimulatedDevice& d) { return d.v1_min_mv_ / 1000.0; }}},
      {"ct_ratio", {[](const SimulatedDevice& d) {
         return static_cast<double>(d.ct_ratio_);
       }}},
      {"status",
       {[](const SimulatedDevice& d) {
          return static_cast<double>(d.StatusWordLocked());
        },
        /*raw_integer=*/true}},
      {"state", {[](const SimulatedDevice& d) {
         return static_cast<double>(d.ev_state_);
       }}},
      {"cable_state", {[](const SimulatedDevice& d) {
         return static_cast<double>(d.ev_cable_);
       }}},
      {"current_limit",
       {[](const SimulatedDevice& d) {
          return static_cast<double>(d.ev_limit_da_);
        },
        /*raw_integer=*/true}},
      {"failsafe_current",
       {[](const SimulatedDevice& d) {
          return static_cast<double>(d.ev_failsafe_da_);
        },
        /*raw_integer=*/true}},
      {"failsafe_timeout",
       {[](const SimulatedDevice& d) {
          return static_cast<double>(d.ev_failsafe_timeout_s_);
        },
        /*raw_integer=*/true}},
      {"charging_enabled",
       {[](const SimulatedDevice& d) { return d.ev_enabled_ ? 1.0 : 0.0; }}},
      {"session_energy", {[](const SimulatedDevice& d) {
         return d.ev_state_ == 0
                    ? 0.0
                    : static_cast<double>(static_cast<uint64_t>(
                          (d.ea_import_uj_ - d.ev_session_start_uj_) /
                          static_cast<unsigned __int128>(kMicroJoulePerWh)));
       }}},
      {"io_state",
       {[](const SimulatedDevice& d) {
          uint64_t word = 0;
          for (size_t k = 0; k < d.pulse_inputs_.size(); ++k) {
            if (d.pulse_inputs_[k]->PulseCount() % 2) word |= 1u << k;
          }
          return static_cast<double>(word);
        },
        /*raw_integer=*/true}},
      {"voltage",
       {[](const SimulatedDevice& d) { return d.v_mv_[0] / 1000.0; }}},
      {"current",
       {[](const SimulatedDevice& d) { return d.i_ma_[0] / 1000.0; }}},
      {"temperature", {[](const SimulatedDevice& d) {
         return 25 + 5 * std::sin(2 * kPi * d.step_ / 3600.0);
       }}},
  };

  double value = 0;
  bool raw_integer = false;  // `value` is already raw
  int n;
  if (auto reading = kReadings->find(id); reading != kReadings->end()) {
    value = reading->second.value(*this);
    raw_integer = reading->second.raw_integer;
  } else if ((n = PhaseIndex(id, "v")) >= 0 && absl::EndsWith(id, "n") &&
             id.size() == 3) {
    value = v_mv_[n] / 1000.0;
  } else if ((n = PhaseIndex(id, "i")) >= 0 && id.size() == 2) {
    value = i_ma_[n] / 1000.0;
  } else if ((n = PhaseIndex(id, "thd_v")) >= 0) {
    value = thd_v_dpct_[n] / 10.0;
  } else if ((n = PhaseIndex(id, "thd_i")) >= 0) {
    value = thd_i_dpct_[n] / 10.0;
  } else if (absl::StartsWith(id, "i1_h")) {
    int order = 0;
    if (absl::SimpleAtoi(id.substr(4), &order) && order > 1) {
      value = thd_i_dpct_[0] / 10.0 * 2.4 / order;
    }
  } else if (absl::StartsWith(id, "contact") && absl::EndsWith(id, "_state")) {
    value = contact_[(id[7] - '1') & 3];
  } else if (absl::StartsWith(id, "relay") && absl::EndsWith(id, "_state")) {
    value = relay_[(id[5] - '1') & 1];
  } else if (absl::StartsWith(id, "input") && absl::EndsWith(id, "_weight")) {
    const int k = id[5] - '1';
    if (k >= 0 && k < static_cast<int>(pulse_inputs_.size())) {
      value = pulse_inputs_[k]->options().quantity_per_pulse;
    }
  }
  if (raw_integer) {
    if (devices::IsSignedType(q.type())) {
      return RawValue::Signed(static_cast<int64_t>(value));
    }
    return RawValue::Unsigned(static_cast<uint64_t>(value));
  }
  absl::StatusOr<double> scale = devices::EffectiveScale(profile_, q, image_);
  if (!scale.ok()) return scale.status();
  if (!q.sign_from().quantity().empty()) value = std::fabs(value);
  return devices::RawFromScaled(value, *scale, q.offset(), q.type());
}

// Line-to-line voltage between phases a and b, in V.
double SimulatedDevice::LineVoltage(int a, int b) const {
  const double va = v_mv_[a], vb = v_mv_[b];
  return std::sqrt(va * va + vb * vb + va * vb) / 1000.0;
}

// The status word: breaker position, trip cause and overload for breakers,
// overload alone for the others.
uint64_t SimulatedDevice::StatusWordLocked() const {
  uint64_t word = 0;
  const bool overload = i_ma_[0] > options_.nominal_current_a * 1200;
  if (profile_.family() == v1::FAMILY_MOULDED_CASE_BREAKER ||
      profile_.family() == v1::FAMILY_AIR_CIRCUIT_BREAKER) {
    word |= breaker_ == BreakerState::kClosed ? 1u : 0u;
    word |= breaker_ == BreakerState::kOpen ? 2u : 0u;
    word |= breaker_ == BreakerState::kTripped ? 4u : 0u;
    word |= (static_cast<uint64_t>(trip_cause_) & 0xF) << 4;
    word |= overload ? 1u << 8 : 0u;
    word |= 1u << 12;  // motor operator present
  } else {
    word |= overload ? 1u : 0u;
  }
  return word;
}

}  // namespace ews::lab
