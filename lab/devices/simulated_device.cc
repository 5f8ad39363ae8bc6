#include "lab/devices/simulated_device.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lab/devices/register_tables.h"
#include "sdk/base/log.h"
#include "sdk/hal/serial/termios_serial_port.h"

namespace ews::lab {
namespace {

using devices::RawValue;

constexpr double kPi = 3.14159265358979323846;
constexpr double kMicroJoulePerWh = 3.6e9;

// Wh (or varh) per unit of a counter's unit.
double UnitFactor(absl::string_view unit) {
  if (absl::StartsWith(unit, "k")) return 1e3;
  if (absl::StartsWith(unit, "M")) return 1e6;
  return 1;
}

bool HasQuantitiesIn(const v1::Profile& profile, v1::Table table) {
  for (const auto& q : profile.quantities()) {
    if (q.table() == table) return true;
  }
  return false;
}

int PhaseIndex(absl::string_view id, absl::string_view prefix) {
  // "v2n" -> 1, "i3" -> 2, "thd_v1" -> 0.
  if (!absl::StartsWith(id, prefix) || id.size() <= prefix.size()) return -1;
  const char c = id[prefix.size()];
  if (c < '1' || c > '3') return -1;
  return c - '1';
}

void Put16(std::vector<uint8_t>& out, uint16_t value) {
  out.push_back(value >> 8);
  out.push_back(value & 0xFF);
}

modbus::Pdu Exception(uint8_t function, modbus::ExceptionCode code) {
  return modbus::ExceptionResponse(function, static_cast<uint8_t>(code));
}

// The lab's own table for a built-in profile; an installer's profile (no lab
// table) is served as it is written.
v1::Profile ServedProfileFor(const v1::Profile& profile) {
  const RegisterTable* table = FindRegisterTable(profile.id());
  return table != nullptr ? ServedProfile(*table) : profile;
}

}  // namespace

absl::StatusOr<std::unique_ptr<SimulatedDevice>> SimulatedDevice::Create(
    const v1::Profile& profile, const SimulatedDeviceOptions& options,
    Clock* clock) {
  if (options.address < 1 || options.address > 247) {
    return absl::InvalidArgumentError(
        absl::StrCat("address must be 1..247, got ", options.address));
  }
  if (!(options.power_factor > 0 && options.power_factor <= 1)) {
    return absl::InvalidArgumentError("power factor must be in (0, 1]");
  }
  if (!(options.initial_energy_kwh >= 0 && options.initial_energy_kwh < 1e9)) {
    return absl::InvalidArgumentError("initial energy must be 0..1e9 kWh");
  }
  if (options.nominal_current_a < 0 || options.nominal_voltage_v <= 0) {
    return absl::InvalidArgumentError("bad nominal current or voltage");
  }
  if (clock == nullptr) return absl::InvalidArgumentError("no clock");
  return std::unique_ptr<SimulatedDevice>(
      new SimulatedDevice(profile, options, clock));
}

SimulatedDevice::SimulatedDevice(const v1::Profile& profile,
                                 const SimulatedDeviceOptions& options,
                                 Clock* clock)
    : profile_(ServedProfileFor(profile)),
      options_(options),
      clock_(clock),
      reply_delay_(options.reply_delay),
      start_(clock->MonotonicNow()),
      ct_ratio_(options.ct_ratio) {
  for (const auto& q : profile_.quantities()) {
    for (int i = 0; i < devices::RegisterCount(q.type()); ++i) {
      mapped_[{q.table(), q.address() + i}] = true;
    }
  }
  if (profile_.identification().has_model_register()) {
    const auto& reg = profile_.identification().model_register();
    for (int i = 0; i < devices::RegisterCount(reg.type()); ++i) {
      mapped_[{reg.table(), reg.address() + i}] = true;
    }
  }
  if (profile_.ems().module_kind() ==
      v1::EmsAddressing::MODULE_KIND_PULSE_CONCENTRATOR) {
    for (int n = 0; n < 7; ++n) {
      PulseMeterOptions meter;
      meter.quantity_per_pulse = n < 3 ? 10 : 1;  // L / Wh per pulse
      meter.mean_rate_per_hour = 300.0 * (n + 1);
      meter.seed = options.seed * 7 + n;
      pulse_inputs_.push_back(
          std::make_unique<SimulatedPulseMeter>(meter, clock));
    }
  }
  absl::MutexLock lock(&mutex_);
  ev_limit_da_ = 160;
  StepLocked();  // computes the load of the first interval, no energy yet
  step_ = 0;
  ea_import_uj_ = ea_export_uj_ = er_import_uj_ = er_export_uj_ = 0;
  // kWh -> µJ (3.6e12 per kWh), in integers.
  const unsigned __int128 initial =
      static_cast<unsigned __int128>(
          std::llround(options_.initial_energy_kwh * 1000)) *
      static_cast<unsigned __int128>(3600000000ull);
  (options_.exporting ? ea_export_uj_ : ea_import_uj_) = initial;
  i1_sum_ma_ = 0;
  for (uint32_t& changes : contact_changes_) changes = 0;
  i1_max_ma_ = i_ma_[0];
  v1_min_mv_ = v_mv_[0];
}

bool SimulatedDevice::ConductingLocked() const {
  switch (profile_.family()) {
    case v1::FAMILY_MOULDED_CASE_BREAKER:
    case v1::FAMILY_AIR_CIRCUIT_BREAKER:
      return breaker_ == BreakerState::kClosed;
    case v1::FAMILY_EV_CHARGER:
      return ev_state_ == 2;  // charging
    default:
      return true;
  }
}

// Integrates the interval [step_, step_ + 1) with the current load, then
// computes the load of the next interval. The constructor calls it once to
// compute the first load (and then resets the integrals).
void SimulatedDevice::StepLocked() {
  // 1. Integrate the interval that ends now.
  if (p_uw_ >= 0) {
    ea_import_uj_ += static_cast<uint64_t>(p_uw_);
  } else {
    ea_export_uj_ += static_cast<uint64_t>(-p_uw_);
  }
  if (q_uvar_ >= 0) {
    er_import_uj_ += static_cast<uint64_t>(q_uvar_);
  } else {
    er_export_uj_ += static_cast<uint64_t>(-q_uvar_);
  }
  i1_sum_ma_ += i_ma_[0];
  ++step_;
  const int64_t k = step_;

  // 2. State machines.
  if (profile_.family() == v1::FAMILY_EV_CHARGER) {
    const int64_t in_state = k - ev_state_since_;
    const int64_t available_for = 1200 + (options_.seed % 5) * 60;
    int next = ev_state_;
    switch (ev_state_) {
      case 0:  // available
        if (in_state >= available_for) next = 1;
        break;
      case 1:  // preparing
        if (in_state >= 60) next = ev_enabled_ ? 2 : 3;
        break;
      case 2:  // charging
        if (!ev_enabled_) {
          next = 3;
        } else if (in_state >= 5400) {
          next = 5;
        }
        break;
      case 3:  // suspended by the station
        if (ev_enabled_) next = 2;
        break;
      case 5:  // finishing
        if (in_state >= 60) next = 0;
        break;
      default:
        break;
    }
    if (next != ev_state_) {
      if (next == 1) ev_session_start_uj_ = ea_import_uj_;
      ev_state_ = next;
      ev_state_since_ = k;
    }
    ev_cable_ = ev_state_ == 0 ? 0 : (ev_state_ == 1 || ev_state_ == 5 ? 1 : 2);
  }
  if (profile_.ems().module_kind() ==
      v1::EmsAddressing::MODULE_KIND_SIGNALLING) {
    for (int n = 0; n < 4; ++n) {
      const int64_t period = 600 + 137 * n + 31 * options_.seed;
      const int state = (k / period) % 2 == 0 ? 1 : 0;  // closed, open
      if (state != contact_[n] && k > 0) ++contact_changes_[n];
      contact_[n] = state;
    }
  }

  // 3. The load of the next interval, at register resolution.
  const double t = static_cast<double>(k);
  const double phase_seed = options_.seed * 0.7;
  const bool conducting = ConductingLocked();
  for (int n = 0; n < 3; ++n) {
    const double phi = phase_seed + n * 2.1;
    const double v = options_.nominal_voltage_v *
                     (1 + 0.01 * std::sin(2 * kPi * t / 600 + phi));
    v_mv_[n] = std::llround(v * 1000);
    double i = 0;
    if (profile_.family() == v1::FAMILY_EV_CHARGER) {
      const bool failsafe = ev_failsafe_timeout_s_ > 0 &&
                            k - ev_limit_written_at_ > ev_failsafe_timeout_s_;
      const uint16_t limit =
          failsafe ? std::min(ev_failsafe_da_, ev_limit_da_) : ev_limit_da_;
      i = std::min(limit / 10.0, 32.0) * (1 - 0.02 * n);
    } else {
      i = options_.nominal_current_a *
          (0.6 + 0.3 * std::sin(2 * kPi * t / 3600 + phi) +
           0.08 * std::sin(2 * kPi * t / 60 + 2 * phi));
    }
    i_ma_[n] = conducting ? std::max<int64_t>(0, std::llround(i * 1000)) : 0;
    thd_v_dpct_[n] = std::llround(25 + 8 * std::sin(2 * kPi * t / 900 + phi));
    thd_i_dpct_[n] =
        conducting ? std::llround(110 + 35 * std::sin(2 * kPi * t / 700 + phi))
                   : 0;
  }
  const double pf =
      profile_.family() == v1::FAMILY_EV_CHARGER
          ? 0.99
          : std::min(1.0, options_.power_factor +
                              0.03 * std::sin(2 * kPi * t / 1800 + phase_seed));
  pf_hundredths_ = std::llround(pf * 100);
  frequency_dhz_ = 500 + std::llround(std::sin(2 * kPi * t / 300 + phase_seed));
  // P, Q, S from the register-resolution values, so the served registers are
  // consistent: P = V × I × PF per phase.
  int64_t p = 0, q = 0, s = 0;
  for (int n = 0; n < 3; ++n) {
    const int64_t s_n = v_mv_[n] * i_ma_[n];  // µVA
    const int64_t p_n = s_n * pf_hundredths_ / 100;
    const double q_n = std::sqrt(std::max<double>(
        0, static_cast<double>(s_n) * s_n - static_cast<double>(p_n) * p_n));
    s += s_n;
    p += p_n;
    q += std::llround(q_n);
  }
  s_uva_ = s;
  p_uw_ = options_.exporting ? -p : p;
  q_uvar_ = options_.exporting ? -q : q;
  i1_max_ma_ = std::max(i1_max_ma_, i_ma_[0]);
  v1_min_mv_ = std::min(v1_min_mv_, v_mv_[0]);
}

void SimulatedDevice::UpdateLocked() {
  if (held_) return;
  const int64_t target = absl::ToInt64Seconds(clock_->MonotonicNow() - start_);
  while (step_ < target) StepLocked();
}

void SimulatedDevice::Update() {
  absl::MutexLock lock(&mutex_);
  UpdateLocked();
}

void SimulatedDevice::SetHeld(bool held) {
  absl::MutexLock lock(&mutex_);
  held_ = held;
}

absl::StatusOr<RawValue> SimulatedDevice::ValueLocked(const v1::Quantity& q) {
  const std::string& id = q.id();
  // Counters: exact integer division of the integrated energy.
  if (q.kind() == v1::KIND_COUNTER) {
    unsigned __int128 micro = 0;
    bool energy = true;
    if (id == "ea_import" || id == "ea_import_total" || id == "energy") {
      micro = ea_import_uj_;
    } else if (id == "ea_export") {
      micro = ea_export_uj_;
    } else if (id == "er_import") {
      micro = er_import_uj_;
    } else if (id == "er_export") {
      micro = er_export_uj_;
    } else {
      energy = false;
    }
    if (energy) {
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

  // Everything else: a physical value, rounded to the register resolution.
  double value = 0;
  bool raw_integer = false;  // `value` is already raw
  int n;
  if ((n = PhaseIndex(id, "v")) >= 0 && absl::EndsWith(id, "n") &&
      id.size() == 3) {
    value = v_mv_[n] / 1000.0;
  } else if ((n = PhaseIndex(id, "i")) >= 0 && id.size() == 2) {
    value = i_ma_[n] / 1000.0;
  } else if (id == "in") {
    const double a = i_ma_[0], b = i_ma_[1], c = i_ma_[2];
    value = std::sqrt(
                std::max(0.0, a * a + b * b + c * c - a * b - b * c - c * a)) /
            1000.0;
  } else if (id == "u12" || id == "u23" || id == "u31") {
    const double a = v_mv_[id[1] - '1'], b = v_mv_[id[2] - '1'];
    value = std::sqrt(a * a + b * b + a * b) / 1000.0;
  } else if (id == "p_total" || id == "power") {
    value = p_uw_ / 1e6;
  } else if (id == "q_total") {
    value = q_uvar_ / 1e6;
  } else if (id == "s_total") {
    value = s_uva_ / 1e6;
  } else if (id == "p_sign") {
    value = p_uw_ < 0 ? 1 : 0;
  } else if (id == "q_sign") {
    value = q_uvar_ < 0 ? 1 : 0;
  } else if (id == "pf") {
    value = pf_hundredths_ / 100.0;
  } else if (id == "frequency") {
    value = frequency_dhz_ / 10.0;
  } else if ((n = PhaseIndex(id, "thd_v")) >= 0) {
    value = thd_v_dpct_[n] / 10.0;
  } else if ((n = PhaseIndex(id, "thd_i")) >= 0) {
    value = thd_i_dpct_[n] / 10.0;
  } else if (absl::StartsWith(id, "i1_h")) {
    int order = 0;
    if (absl::SimpleAtoi(id.substr(4), &order) && order > 1) {
      value = thd_i_dpct_[0] / 10.0 * 2.4 / order;
    }
  } else if (id == "i1_max") {
    value = i1_max_ma_ / 1000.0;
  } else if (id == "i1_avg") {
    value = step_ > 0 ? i1_sum_ma_ / 1000.0 / step_ : i_ma_[0] / 1000.0;
  } else if (id == "v1n_min") {
    value = v1_min_mv_ / 1000.0;
  } else if (id == "ct_ratio") {
    value = ct_ratio_;
  } else if (id == "status") {
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
    value = static_cast<double>(word);
    raw_integer = true;
  } else if (id == "state") {
    value = ev_state_;
  } else if (id == "cable_state") {
    value = ev_cable_;
  } else if (id == "current_limit") {
    value = ev_limit_da_;
    raw_integer = true;
  } else if (id == "failsafe_current") {
    value = ev_failsafe_da_;
    raw_integer = true;
  } else if (id == "failsafe_timeout") {
    value = ev_failsafe_timeout_s_;
    raw_integer = true;
  } else if (id == "charging_enabled") {
    value = ev_enabled_ ? 1 : 0;
  } else if (id == "session_energy") {
    value = ev_state_ == 0
                ? 0
                : static_cast<double>(static_cast<uint64_t>(
                      (ea_import_uj_ - ev_session_start_uj_) /
                      static_cast<unsigned __int128>(kMicroJoulePerWh)));
  } else if (absl::StartsWith(id, "contact") && absl::EndsWith(id, "_state")) {
    value = contact_[(id[7] - '1') & 3];
  } else if (absl::StartsWith(id, "relay") && absl::EndsWith(id, "_state")) {
    value = relay_[(id[5] - '1') & 1];
  } else if (absl::StartsWith(id, "input") && absl::EndsWith(id, "_weight")) {
    const int k = id[5] - '1';
    if (k >= 0 && k < static_cast<int>(pulse_inputs_.size())) {
      value = pulse_inputs_[k]->options().quantity_per_pulse;
    }
  } else if (id == "io_state") {
    uint64_t word = 0;
    for (size_t k = 0; k < pulse_inputs_.size(); ++k) {
      if (pulse_inputs_[k]->PulseCount() % 2) word |= 1u << k;
    }
    value = static_cast<double>(word);
    raw_integer = true;
  } else if (id == "voltage") {
    value = v_mv_[0] / 1000.0;
  } else if (id == "current") {
    value = i_ma_[0] / 1000.0;
  } else if (id == "temperature") {
    value = 25 + 5 * std::sin(2 * kPi * step_ / 3600.0);
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

void SimulatedDevice::RefreshImageLocked() {
  UpdateLocked();
  if (profile_.identification().has_model_register()) {
    const auto& reg = profile_.identification().model_register();
    uint16_t words[4] = {};
    (void)devices::EncodeRegisters(RawValue::Unsigned(reg.values(0)),
                                   reg.type(), v1::WORD_ORDER_ABCD,
                                   absl::MakeSpan(words));
    image_.Put(reg.table(), reg.address(),
               absl::MakeConstSpan(words, devices::RegisterCount(reg.type())));
  }
  // Scale selectors first: the others' scales depend on them.
  for (int pass = 0; pass < 2; ++pass) {
    for (const auto& q : profile_.quantities()) {
      const bool dependent = !q.scale_by().quantity().empty();
      if (dependent != (pass == 1)) continue;
      absl::StatusOr<RawValue> raw = ValueLocked(q);
      if (!raw.ok()) {
        raw = devices::IsSignedType(q.type())     ? RawValue::Signed(0)
              : q.type() == v1::DATA_TYPE_FLOAT32 ? RawValue::Float(0)
                                                  : RawValue::Unsigned(0);
      }
      if (!devices::EncodeQuantity(profile_, q, *raw, image_).ok()) {
        // Out of range for the register: serve the largest value.
        (void)devices::EncodeQuantity(
            profile_, q,
            devices::IsSignedType(q.type())
                ? RawValue::Signed(devices::RegisterCount(q.type()) == 1
                                       ? 32767
                                       : 2147483647)
                : RawValue::Unsigned(devices::RegisterCount(q.type()) == 1
                                         ? 0xFFFF
                                         : 0xFFFFFFFF),
            image_);
      }
    }
  }
}

bool SimulatedDevice::ReadableLocked(v1::Table table, uint32_t address,
                                     uint32_t count) const {
  // The first and last register must exist; holes inside a read are served
  // as 0 (as meters do inside a register group) up to 16 registers long.
  auto mapped = [&](uint32_t a) { return mapped_.count({table, a}) > 0; };
  if (!mapped(address) || !mapped(address + count - 1)) return false;
  uint32_t hole = 0;
  for (uint32_t a = address; a < address + count; ++a) {
    hole = mapped(a) ? 0 : hole + 1;
    if (hole > 16) return false;
  }
  return true;
}

std::optional<modbus::ExceptionCode> SimulatedDevice::WriteLocked(
    uint32_t address, absl::Span<const uint16_t> words) {
  UpdateLocked();
  // A command with a fixed value at this address?
  for (const auto& c : profile_.commands()) {
    if (c.address() != address) continue;
    if (c.value_case() == v1::Command::kFixedValue) {
      if (words.size() != 1 || words[0] != c.fixed_value()) continue;
      const std::string& id = c.id();
      if (id == "open") {
        if (breaker_ == BreakerState::kClosed) breaker_ = BreakerState::kOpen;
      } else if (id == "close") {
        if (breaker_ == BreakerState::kTripped) {
          return modbus::ExceptionCode::kServerDeviceFailure;  // reset first
        }
        breaker_ = BreakerState::kClosed;
      } else if (id == "reset_trip") {
        if (breaker_ == BreakerState::kTripped) {
          breaker_ = BreakerState::kOpen;
          trip_cause_ = 0;
        }
      } else if (id == "start") {
        ev_enabled_ = true;
      } else if (id == "stop") {
        ev_enabled_ = false;
      } else if (absl::StartsWith(id, "relay")) {
        const int n = (id[5] - '1') & 1;
        const int state = absl::EndsWith(id, "_on") ? 1 : 0;
        if (relay_[n] != state) ++relay_operations_[n];
        relay_[n] = state;
      }
      // Currents follow a breaker's state at once (a new interval starts).
      const bool conducting = ConductingLocked();
      if (!conducting) {
        for (int n = 0; n < 3; ++n) i_ma_[n] = 0;
        p_uw_ = q_uvar_ = s_uva_ = 0;
      }
      return std::nullopt;
    }
    if (c.has_argument()) {
      const double scale = c.argument().has_scale() ? c.argument().scale() : 1;
      const double value = words.empty() ? 0 : words[0] * scale;
      if (words.size() != 1 || value < c.argument().min() ||
          value > c.argument().max()) {
        return modbus::ExceptionCode::kIllegalDataValue;
      }
      break;  // a setting: written below
    }
  }
  // A writable quantity.
  for (const auto& q : profile_.quantities()) {
    if (q.address() != address || !q.writable() ||
        q.table() != v1::TABLE_HOLDING_REGISTERS) {
      continue;
    }
    if (static_cast<int>(words.size()) != devices::RegisterCount(q.type())) {
      return modbus::ExceptionCode::kIllegalDataValue;
    }
    const uint16_t value = words[0];
    if (q.id() == "current_limit") {
      ev_limit_da_ = value;
      ev_limit_written_at_ = step_;
    } else if (q.id() == "failsafe_current") {
      ev_failsafe_da_ = value;
    } else if (q.id() == "failsafe_timeout") {
      ev_failsafe_timeout_s_ = value;
      ev_limit_written_at_ = step_;
    } else if (q.id() == "charging_enabled") {
      if (value > 1) return modbus::ExceptionCode::kIllegalDataValue;
      ev_enabled_ = value == 1;
    }
    return std::nullopt;
  }
  return profile_.commands_size() > 0
             ? modbus::ExceptionCode::kIllegalDataValue
             : modbus::ExceptionCode::kIllegalDataAddress;
}

std::vector<uint8_t> SimulatedDevice::HandlePdu(absl::Span<const uint8_t> pdu) {
  absl::MutexLock lock(&mutex_);
  ++requests_;
  if (pdu.empty()) return {};
  const uint8_t function = pdu[0];
  auto u16 = [&](size_t at) -> uint32_t {
    return at + 1 < pdu.size() ? (pdu[at] << 8 | pdu[at + 1]) : 0;
  };
  switch (function) {
    case 3:
    case 4: {
      if (pdu.size() != 5) {
        return Exception(function, modbus::ExceptionCode::kIllegalDataValue);
      }
      const v1::Table table = function == 3 ? v1::TABLE_HOLDING_REGISTERS
                                            : v1::TABLE_INPUT_REGISTERS;
      if (function == 4 && !HasQuantitiesIn(profile_, table)) {
        return Exception(function, modbus::ExceptionCode::kIllegalFunction);
      }
      const uint32_t address = u16(1), count = u16(3);
      if (count < 1 || count > 125) {
        return Exception(function, modbus::ExceptionCode::kIllegalDataValue);
      }
      if (!ReadableLocked(table, address, count)) {
        return Exception(function, modbus::ExceptionCode::kIllegalDataAddress);
      }
      RefreshImageLocked();
      std::vector<uint16_t> words = image_.GetOrZero(table, address, count);
      std::vector<uint8_t> out = {function, static_cast<uint8_t>(count * 2)};
      for (uint16_t w : words) Put16(out, w);
      return out;
    }
    case 6: {
      if (pdu.size() != 5) {
        return Exception(function, modbus::ExceptionCode::kIllegalDataValue);
      }
      const uint16_t value = u16(3);
      std::optional<modbus::ExceptionCode> e =
          WriteLocked(u16(1), absl::MakeConstSpan(&value, 1));
      if (e) return Exception(function, *e);
      return std::vector<uint8_t>(pdu.begin(), pdu.end());
    }
    case 16: {
      const uint32_t count = u16(3);
      if (pdu.size() < 6 || count < 1 || count > 123 || pdu[5] != count * 2 ||
          pdu.size() != 6 + count * 2) {
        return Exception(function, modbus::ExceptionCode::kIllegalDataValue);
      }
      std::vector<uint16_t> words(count);
      for (uint32_t i = 0; i < count; ++i) words[i] = u16(6 + 2 * i);
      std::optional<modbus::ExceptionCode> e = WriteLocked(u16(1), words);
      if (e) return Exception(function, *e);
      return std::vector<uint8_t>(pdu.begin(), pdu.begin() + 5);
    }
    case 43: {
      if (pdu.size() != 4 || pdu[1] != 14 ||
          !profile_.identification().has_device_identification()) {
        return Exception(function, modbus::ExceptionCode::kIllegalFunction);
      }
      const auto& id = profile_.identification().device_identification();
      const std::string objects[3] = {id.vendor_name(),
                                      id.product_code_prefix(), "1.0"};
      std::vector<uint8_t> out = {43, 14, 1, 0x01, 0, 0, 3};
      for (int i = 0; i < 3; ++i) {
        out.push_back(static_cast<uint8_t>(i));
        out.push_back(static_cast<uint8_t>(objects[i].size()));
        out.insert(out.end(), objects[i].begin(), objects[i].end());
      }
      return out;
    }
    default:
      return Exception(function, modbus::ExceptionCode::kIllegalFunction);
  }
}

bool SimulatedDevice::Serves(absl::Span<const uint8_t> pdu) const {
  absl::MutexLock lock(&mutex_);
  if (pdu.size() < 5) return false;
  const uint32_t address = pdu[1] << 8 | pdu[2];
  switch (pdu[0]) {
    case 3:
    case 4: {
      const uint32_t count = pdu[3] << 8 | pdu[4];
      return count >= 1 && count <= 125 &&
             ReadableLocked(pdu[0] == 3 ? v1::TABLE_HOLDING_REGISTERS
                                        : v1::TABLE_INPUT_REGISTERS,
                            address, count);
    }
    case 6:
    case 16:
      for (const auto& c : profile_.commands()) {
        if (c.address() == address) return true;
      }
      for (const auto& q : profile_.quantities()) {
        if (q.address() == address && q.writable()) return true;
      }
      return false;
    default:
      return false;
  }
}

modbus::RtuReply SimulatedDevice::HandleRequest(const modbus::Pdu& request) {
  modbus::RtuReply reply;
  const Fault fault = TakeFault();
  if (fault.kind == FaultKind::kSilent) return reply;
  if (fault.kind == FaultKind::kException) {
    reply.pdu = Exception(request[0], fault.exception);
  } else {
    reply.pdu = HandlePdu(request);
  }
  reply.corrupt_crc = fault.kind == FaultKind::kBadCrc;
  reply.reply_delay = reply_delay();
  return reply;
}

void SimulatedDevice::HandleBroadcast(const modbus::Pdu& request) {
  (void)HandlePdu(request);
}

Fault SimulatedDevice::TakeFault() {
  absl::MutexLock lock(&mutex_);
  Fault fault = fault_;
  if (fault_.kind != FaultKind::kNone && fault_.count > 0) {
    if (--fault_.count == 0) fault_ = Fault{};
  }
  return fault;
}

void SimulatedDevice::SetFault(const Fault& fault) {
  absl::MutexLock lock(&mutex_);
  fault_ = fault;
  if (fault_.count == 0) fault_ = Fault{};
}

absl::Duration SimulatedDevice::reply_delay() const {
  absl::MutexLock lock(&mutex_);
  return reply_delay_;
}

void SimulatedDevice::SetReplyDelay(absl::Duration delay) {
  absl::MutexLock lock(&mutex_);
  reply_delay_ = delay;
}

absl::Status SimulatedDevice::Trip(int cause) {
  if (profile_.family() != v1::FAMILY_MOULDED_CASE_BREAKER &&
      profile_.family() != v1::FAMILY_AIR_CIRCUIT_BREAKER) {
    return absl::FailedPreconditionError("only a breaker trips");
  }
  if (cause < 1 || cause > 15) {
    return absl::InvalidArgumentError("trip cause must be 1..15");
  }
  absl::MutexLock lock(&mutex_);
  UpdateLocked();
  if (breaker_ != BreakerState::kTripped) ++trip_count_;
  breaker_ = BreakerState::kTripped;
  trip_cause_ = cause;
  for (int n = 0; n < 3; ++n) i_ma_[n] = 0;
  p_uw_ = q_uvar_ = s_uva_ = 0;
  return absl::OkStatus();
}

absl::StatusOr<RawValue> SimulatedDevice::RawValueOf(
    absl::string_view quantity_id) {
  const v1::Quantity* q = devices::FindQuantity(profile_, quantity_id);
  if (q == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no quantity '", quantity_id, "' in ", profile_.id()));
  }
  absl::MutexLock lock(&mutex_);
  RefreshImageLocked();
  absl::StatusOr<std::vector<uint16_t>> words =
      image_.Get(q->table(), q->address(), devices::RegisterCount(q->type()));
  if (!words.ok()) return words.status();
  return devices::DecodeRegisters(*words, q->type(),
                                  devices::EffectiveWordOrder(profile_, *q));
}

double SimulatedDevice::EnergyWh(absl::string_view which) {
  absl::MutexLock lock(&mutex_);
  UpdateLocked();
  unsigned __int128 micro = 0;
  if (which == "ea_import") micro = ea_import_uj_;
  if (which == "ea_export") micro = ea_export_uj_;
  if (which == "er_import") micro = er_import_uj_;
  if (which == "er_export") micro = er_export_uj_;
  return static_cast<double>(micro) / kMicroJoulePerWh;
}

uint64_t SimulatedDevice::requests() const {
  absl::MutexLock lock(&mutex_);
  return requests_;
}

absl::StatusOr<DeviceSpec> ParseDeviceSpec(absl::string_view text) {
  std::vector<std::string> parts = absl::StrSplit(text, ':');
  if (parts.size() < 2 || parts.size() > 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "device spec '", text, "': want ADDRESS:PROFILE[:key=value,...]"));
  }
  DeviceSpec spec;
  if (!absl::SimpleAtoi(parts[0], &spec.options.address) ||
      spec.options.address < 1 || spec.options.address > 247) {
    return absl::InvalidArgumentError(
        absl::StrCat("device spec '", text, "': address must be 1..247"));
  }
  spec.profile_id = parts[1];
  spec.options.seed = static_cast<uint32_t>(spec.options.address);
  if (parts.size() == 3) {
    for (absl::string_view option : absl::StrSplit(parts[2], ',')) {
      std::pair<std::string, std::string> kv =
          absl::StrSplit(option, absl::MaxSplits('=', 1));
      double number = 0;
      const bool numeric = absl::SimpleAtod(kv.second, &number);
      if (kv.first == "export" && kv.second.empty()) {
        spec.options.exporting = true;
      } else if (kv.first == "current" && numeric && number >= 0) {
        spec.options.nominal_current_a = number;
      } else if (kv.first == "voltage" && numeric && number > 0) {
        spec.options.nominal_voltage_v = number;
      } else if (kv.first == "pf" && numeric && number > 0 && number <= 1) {
        spec.options.power_factor = number;
      } else if (kv.first == "ct" && numeric && number >= 1 && number < 65536) {
        spec.options.ct_ratio = static_cast<uint16_t>(number);
      } else if (kv.first == "energy" && numeric && number >= 0) {
        spec.options.initial_energy_kwh = number;
      } else if (kv.first == "seed" && numeric && number >= 0) {
        spec.options.seed = static_cast<uint32_t>(number);
      } else if (kv.first == "delay_ms" && numeric && number >= 0) {
        spec.options.reply_delay = absl::Milliseconds(number);
      } else {
        return absl::InvalidArgumentError(absl::StrCat(
            "device spec '", text, "': bad option '", option,
            "' (export, current=A, voltage=V, pf=0..1, ct=N, energy=kWh, "
            "seed=N, delay_ms=N)"));
      }
    }
  }
  return spec;
}

std::vector<std::string> DemoPopulation() {
  return {
      "1:emdx3_4_120_45:current=40,ct=200",
      "2:mccb_measurement_unit:current=120",
      "3:acb_measurement_unit:current=800",
      "4:din_measurement_module:current=16",
      "5:ev_charger_generic",
      "6:emdx3_4_120_45:current=25,export,seed=9",  // a PV inverter feed
      "21:ems_cx3_measurement:current=32",          // interface 2, module 1
      "22:ems_cx3_signalling",
      "23:ems_cx3_control",
      "24:ems_cx3_pulse_concentrator",
  };
}

absl::StatusOr<std::unique_ptr<modbus::RtuSlave>> ServeDevices(
    const std::string& path, const hal::SerialSettings& line,
    absl::Span<SimulatedDevice* const> devices, Clock* wire_clock) {
  if (devices.empty()) return absl::InvalidArgumentError("no devices");
  for (SimulatedDevice* device : devices) {
    if (device == nullptr) return absl::InvalidArgumentError("null device");
  }
  hal::TermiosSerialPort::Options port_options;
  port_options.clock = wire_clock;
  absl::StatusOr<std::unique_ptr<hal::TermiosSerialPort>> port =
      hal::TermiosSerialPort::Open(path, line, port_options);
  if (!port.ok()) return port.status();
  modbus::RtuSlaveOptions options;
  options.clock = wire_clock;
  absl::StatusOr<std::unique_ptr<modbus::RtuSlave>> slave =
      modbus::RtuSlave::Start(std::move(*port), options);
  if (!slave.ok()) return slave.status();
  for (SimulatedDevice* device : devices) {
    (*slave)->AddHandler(static_cast<uint8_t>(device->address()), device);
  }
  return slave;
}

}  // namespace ews::lab
