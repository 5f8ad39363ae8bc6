// FakeClient: a testonly ews::modbus::Client with one RegisterBank per unit,
// injected faults, and a record of every call.
//
//   FakeClient client;
//   client.AddUnit(17).SetHolding(0x1000, {0, 230100});
//   client.InjectTimeouts(17, 2);               // next 2 calls: no answer
//   client.InjectException(17, 0x02);           // next call: exception 02
//   client.SetOffline(18, true);                // every call times out
//
// Unknown units behave like silent devices (DeadlineExceeded). Broadcasts
// (unit 0) are applied to every unit.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "sdk/base/clock.h"
#include "sdk/modbus/client.h"
#include "sdk/modbus/register_bank.h"

namespace ews::modbus {

class FakeClient final : public Client {
 public:
  struct Call {
    absl::Duration at;  // clock's monotonic time
    uint8_t unit;
    Pdu request;
    Priority priority;
    absl::Status result;  // OK or the error returned (exceptions included)
  };

  // `clock` (not owned) timestamps calls and sleeps the latency; nullptr: the
  // system clock.
  explicit FakeClient(Clock* clock = nullptr);

  // Creates (or returns) the bank of `unit` (1..255).
  RegisterBank& AddUnit(uint8_t unit, bool open = false);
  RegisterBank* unit(uint8_t unit);

  // The next `count` calls to `unit` fail with DeadlineExceeded.
  void InjectTimeouts(uint8_t unit, int count);
  // The next call to `unit` fails with `status` (e.g. DataLossError for a
  // CRC error, UnavailableError for a busy line).
  void InjectError(uint8_t unit, absl::Status status);
  // The next call to `unit` answers exception `code`.
  void InjectException(uint8_t unit, uint8_t code);
  // An offline unit never answers.
  void SetOffline(uint8_t unit, bool offline);
  // Every call takes this long (on the clock) before it returns.
  void SetLatency(absl::Duration latency);

  std::vector<Call> calls() const;
  size_t call_count() const;
  void ClearCalls();

 private:
  absl::StatusOr<Pdu> DoTransact(uint8_t unit, const Pdu& request,
                                 const CallOptions& options) override;

  Clock* const clock_;
  mutable absl::Mutex mutex_;
  std::map<uint8_t, std::unique_ptr<RegisterBank>> units_
      ABSL_GUARDED_BY(mutex_);
  std::map<uint8_t, std::deque<absl::Status>> injected_ ABSL_GUARDED_BY(mutex_);
  std::map<uint8_t, std::deque<uint8_t>> exceptions_ ABSL_GUARDED_BY(mutex_);
  std::map<uint8_t, bool> offline_ ABSL_GUARDED_BY(mutex_);
  absl::Duration latency_ ABSL_GUARDED_BY(mutex_);
  std::vector<Call> calls_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace ews::modbus
