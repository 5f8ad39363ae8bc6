// SimulatedDevice: creation, the physics (one-second steps of the electrical
// model, breaker and charger state machines), faults and the test accessors.
// Values of quantities: simulated_device_values.cc; the Modbus side:
// simulated_device_modbus.cc; populations and serving: population.cc.
#include "lab/devices/simulated_device.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "lab/devices/internal/simulated_device_units.h"
#include "lab/devices/register_tables.h"
#include "sdk/base/log.h"

namespace ews::lab {
namespace {

using devices::RawValue;

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
  IntegrateLocked();  // the interval that ends now
  const int64_t k = step_;
  if (profile_.family() == v1::FAMILY_EV_CHARGER) StepChargerLocked(k);
  if (profile_.ems().module_kind() ==
      v1::EmsAddressing::MODULE_KIND_SIGNALLING) {
    StepContactsLocked(k);
  }
  NextLoadLocked(k);  // the load of the next interval
}

// Energies of the interval that ends now, at the present power.
void SimulatedDevice::IntegrateLocked() {
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
}

// The charging session's state machine (available, preparing, charging,
// suspended, finishing) at step `k`.
void SimulatedDevice::StepChargerLocked(int64_t k) {
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

// The signalling module's four contacts, each toggling on its own period.
void SimulatedDevice::StepContactsLocked(int64_t k) {
  for (int n = 0; n < 4; ++n) {
    const int64_t period = 600 + 137 * n + 31 * options_.seed;
    const int state = (k / period) % 2 == 0 ? 1 : 0;  // closed, open
    if (state != contact_[n] && k > 0) ++contact_changes_[n];
    contact_[n] = state;
  }
}

// Voltages, currents, THD, power factor, frequency and P, Q, S for the
// interval after step `k`, at register resolution.
void SimulatedDevice::NextLoadLocked(int64_t k) {
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

}  // namespace ews::lab
