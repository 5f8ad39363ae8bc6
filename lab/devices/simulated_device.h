// ews::lab::SimulatedDevice: one Modbus device of a profile family, with a
// physically consistent model driven by an injected clock, serving the
// registers of the lab's own table for the family (register_tables.h: read
// from the maker's table, not from the SDK profile), or an installer
// profile's registers when the lab has no table for it.
//
// The model advances in fixed one-second steps of the clock's monotonic time
// (piecewise-constant load), so energy is integrated exactly in integers:
//   * per phase: V (mV), I (mA), PF (hundredths) at register resolution;
//     P = V × I × PF, Q = √(S² − P²), S = V × I; frequency, THD, harmonics;
//   * energies accumulate P (or Q) × 1 s in µJ (µvar·s) and are served as
//     floor(energy / register scale): a counter never goes backwards and is
//     exactly what a poller that reads it records (RawValueOf());
//   * breakers: a status word (closed/open/tripped, trip cause, alarms),
//     open/close/reset commands via the motor operator, Trip() on demand;
//   * EV charger: OCPP states cycling through sessions, writable current
//     limit, start/stop, and a communication watchdog: with a fail-safe
//     timeout set, the station falls back to the fail-safe current when the
//     limit has not been written for that long;
//   * EMS: signalling contacts changing state, control relays switched by
//     commands, a pulse concentrator fed by simulated pulse meters.
// Quantities are found by their id (v1n, i1, p_total, ea_import, ...), so an
// installer profile that uses the same ids is simulated too; unknown ids
// read 0.
//
// A device is served on a serial line as a unit of an ews::modbus::RtuSlave
// (ServeDevices in population.h): per request it brings its model up to date,
// answers, and applies its reply delay and faults (silence, bad CRC,
// exception).
//
// Thread-safe: the RTU slave's thread and a test thread may call at once.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "lab/devices/pulse_meter.h"
#include "sdk/base/clock.h"
#include "sdk/devices/codec.h"
#include "sdk/devices/profile.pb.h"
#include "sdk/hal/serial/serial_port.h"
#include "sdk/modbus/exception.h"
#include "sdk/modbus/rtu_slave.h"

namespace ews::lab {

namespace v1 = ::ews::devices::v1;

// Faults on demand.
enum class FaultKind {
  kNone,
  kSilent,     // does not answer
  kBadCrc,     // answers with a corrupted CRC
  kException,  // answers every request with an exception
};

struct Fault {
  FaultKind kind = FaultKind::kNone;
  // For kException: what every request is answered with.
  modbus::ExceptionCode exception = modbus::ExceptionCode::kServerDeviceBusy;
  int count = -1;  // requests affected; -1 = until cleared
};

struct SimulatedDeviceOptions {
  int address = 1;  // 1..247
  // Nominal current per phase (A); the load swings around it.
  double nominal_current_a = 10;
  double nominal_voltage_v = 230;
  double power_factor = 0.92;  // 0 < pf <= 1
  // A generator: power flows out, Ea-/Er- count instead of Ea+/Er+.
  bool exporting = false;
  uint16_t ct_ratio = 1;  // EMDX3: selects power/energy resolution
  // The index the meter shows at start (kWh imported, or exported for a
  // generator), as a meter that has been in service would.
  double initial_energy_kwh = 0;
  uint32_t seed = 1;  // varies the load curve between devices
  absl::Duration reply_delay = absl::Milliseconds(2);
};

class SimulatedDevice : public modbus::RtuUnitHandler {
 public:
  // InvalidArgument: a bad address or options. `clock` (not owned) drives
  // the model: a SimulatedClock in tests, the SystemClock in the demo.
  static absl::StatusOr<std::unique_ptr<SimulatedDevice>> Create(
      const v1::Profile& profile, const SimulatedDeviceOptions& options,
      Clock* clock);

  int address() const { return options_.address; }
  // What the device serves: the lab table's registers (ServedProfile()) or
  // the installer profile it was created with.
  const v1::Profile& profile() const { return profile_; }

  // The response PDU (function code + data, or exception) for a request PDU
  // addressed to this device, after bringing the model to the clock's time.
  // Faults are not applied here (see TakeFault()).
  std::vector<uint8_t> HandlePdu(absl::Span<const uint8_t> pdu);

  // Whether this device has what the request asks for (the registers of a
  // read, the command or setting of a write): picks the module among EMS
  // modules sharing one address.
  bool Serves(absl::Span<const uint8_t> pdu) const override;

  // modbus::RtuUnitHandler: HandlePdu() with the device's fault (taken) and
  // reply delay applied. A broadcast is acted on without faults.
  modbus::RtuReply HandleRequest(const modbus::Pdu& request) override;
  void HandleBroadcast(const modbus::Pdu& request) override;

  // The fault to apply to the current request (counts it down).
  Fault TakeFault();
  void SetFault(const Fault& fault);
  void ClearFault() { SetFault(Fault{}); }
  absl::Duration reply_delay() const;
  void SetReplyDelay(absl::Duration delay);

  // Breakers: trips (cause 1..15). FailedPrecondition for other families.
  absl::Status Trip(int cause);

  // Brings the model to the clock's time.
  void Update();
  // Holds the model still (the registers keep their values, e.g. while a test
  // compares what a poller recorded with RawValueOf()); when released it
  // catches up with the clock.
  void SetHeld(bool held);
  // The raw value the device serves for a quantity now (after Update()).
  // NotFound: no such quantity.
  absl::StatusOr<devices::RawValue> RawValueOf(absl::string_view quantity_id);
  // Exact energy (Wh) integrated so far for ea_import / ea_export /
  // er_import / er_export; for tests of the integration.
  double EnergyWh(absl::string_view which);

  uint64_t requests() const;

 private:
  SimulatedDevice(const v1::Profile& profile,
                  const SimulatedDeviceOptions& options, Clock* clock);

  void StepLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // StepLocked()'s parts, in order.
  void IntegrateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void StepChargerLocked(int64_t k) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void StepContactsLocked(int64_t k) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void NextLoadLocked(int64_t k) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void UpdateLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void RefreshImageLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::StatusOr<devices::RawValue> ValueLocked(const v1::Quantity& quantity)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  double LineVoltage(int a, int b) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  uint64_t StatusWordLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  bool ReadableLocked(v1::Table table, uint32_t address, uint32_t count) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // The exception to answer with, or nullopt when the write was taken.
  std::optional<modbus::ExceptionCode> WriteLocked(
      uint32_t address, absl::Span<const uint16_t> words)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  bool ConductingLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const v1::Profile profile_;
  const SimulatedDeviceOptions options_;
  Clock* const clock_;

  mutable absl::Mutex mutex_;
  absl::Duration reply_delay_ ABSL_GUARDED_BY(mutex_);
  Fault fault_ ABSL_GUARDED_BY(mutex_);
  uint64_t requests_ ABSL_GUARDED_BY(mutex_) = 0;
  devices::RegisterImage image_ ABSL_GUARDED_BY(mutex_);
  // Registers (table, address) that quantities or the model register cover.
  std::map<std::pair<int, uint32_t>, bool> mapped_;

  // Model state, at register resolution.
  absl::Duration start_;
  int64_t step_ ABSL_GUARDED_BY(mutex_) = 0;  // completed one-second steps
  bool held_ ABSL_GUARDED_BY(mutex_) = false;
  int64_t v_mv_[3] ABSL_GUARDED_BY(mutex_) = {};
  int64_t i_ma_[3] ABSL_GUARDED_BY(mutex_) = {};
  int64_t pf_hundredths_ ABSL_GUARDED_BY(mutex_) = 100;
  int64_t frequency_dhz_ ABSL_GUARDED_BY(mutex_) = 500;
  int64_t thd_v_dpct_[3] ABSL_GUARDED_BY(mutex_) = {};
  int64_t thd_i_dpct_[3] ABSL_GUARDED_BY(mutex_) = {};
  int64_t p_uw_ ABSL_GUARDED_BY(mutex_) = 0;    // signed total
  int64_t q_uvar_ ABSL_GUARDED_BY(mutex_) = 0;  // signed total
  int64_t s_uva_ ABSL_GUARDED_BY(mutex_) = 0;
  // Energies in µJ (µvar·s): import, export.
  unsigned __int128 ea_import_uj_ ABSL_GUARDED_BY(mutex_) = 0;
  unsigned __int128 ea_export_uj_ ABSL_GUARDED_BY(mutex_) = 0;
  unsigned __int128 er_import_uj_ ABSL_GUARDED_BY(mutex_) = 0;
  unsigned __int128 er_export_uj_ ABSL_GUARDED_BY(mutex_) = 0;
  // Statistics.
  int64_t i1_max_ma_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t v1_min_mv_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t i1_sum_ma_ ABSL_GUARDED_BY(mutex_) = 0;  // for the average
  // Settings.
  uint16_t ct_ratio_ ABSL_GUARDED_BY(mutex_);
  // Breaker.
  enum class BreakerState { kClosed, kOpen, kTripped };
  BreakerState breaker_ ABSL_GUARDED_BY(mutex_) = BreakerState::kClosed;
  int trip_cause_ ABSL_GUARDED_BY(mutex_) = 0;
  uint32_t trip_count_ ABSL_GUARDED_BY(mutex_) = 0;
  // EV charger.
  int ev_state_ ABSL_GUARDED_BY(mutex_) = 0;
  int ev_cable_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t ev_state_since_ ABSL_GUARDED_BY(mutex_) = 0;  // step
  bool ev_enabled_ ABSL_GUARDED_BY(mutex_) = true;
  uint16_t ev_limit_da_ ABSL_GUARDED_BY(mutex_) = 160;  // 16.0 A
  uint16_t ev_failsafe_da_ ABSL_GUARDED_BY(mutex_) = 60;
  // 0: no watchdog. Else: without a write to the current limit for this
  // long, the station falls back to the fail-safe current.
  uint16_t ev_failsafe_timeout_s_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t ev_limit_written_at_ ABSL_GUARDED_BY(mutex_) = 0;  // step
  unsigned __int128 ev_session_start_uj_ ABSL_GUARDED_BY(mutex_) = 0;
  // EMS signalling / control.
  int contact_[4] ABSL_GUARDED_BY(mutex_) = {};
  uint32_t contact_changes_[4] ABSL_GUARDED_BY(mutex_) = {};
  int relay_[2] ABSL_GUARDED_BY(mutex_) = {};
  uint32_t relay_operations_[2] ABSL_GUARDED_BY(mutex_) = {};
  // Pulse concentrator inputs.
  std::vector<std::unique_ptr<SimulatedPulseMeter>> pulse_inputs_;
};

}  // namespace ews::lab
