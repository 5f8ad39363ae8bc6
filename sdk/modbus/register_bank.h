// ews::modbus::RegisterBank: the data of one Modbus server (slave) — coils,
// discrete inputs, holding and input registers, device identification — and
// the server side of the protocol: Handle(request PDU) -> response PDU.
//
// Used by FakeClient, by the gateway to answer for itself (unit 255), and by
// simulated devices in tests and benchmarks. Unset addresses answer exception
// 0x02 (illegal data address) unless the bank is created "open" (every
// address exists and reads 0).
//
// Thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "sdk/modbus/pdu.h"

namespace ews::modbus {

class RegisterBank {
 public:
  // open = true: every address exists (initially 0 / false).
  explicit RegisterBank(bool open = false) : open_(open) {}

  void SetHolding(uint16_t address, const std::vector<uint16_t>& values);
  void SetInput(uint16_t address, const std::vector<uint16_t>& values);
  void SetCoils(uint16_t address, const std::vector<bool>& values);
  void SetDiscreteInputs(uint16_t address, const std::vector<bool>& values);
  void SetIdentification(const DeviceIdentification& identification);

  // Current values (unset addresses read 0).
  uint16_t holding(uint16_t address) const;
  bool coil(uint16_t address) const;

  // The response PDU (normal or exception) for a request PDU. Malformed
  // requests get exception 01/03 as ValidateRequest() says; unsupported
  // function codes exception 01.
  Pdu Handle(const Pdu& request);

 private:
  // Handle()'s parts, by function code, on a validated request.
  Pdu ReadBitsLocked(const Pdu& request) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);  // 0x01, 0x02
  Pdu ReadRegistersLocked(const Pdu& request) const
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);  // 0x03, 0x04
  Pdu WriteCoilsLocked(const Pdu& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);  // 0x05, 0x0F
  Pdu WriteRegistersLocked(const Pdu& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);  // 0x06, 0x10
  Pdu ReadWriteRegistersLocked(const Pdu& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);  // 0x17
  template <typename T>
  bool AllPresent(const std::map<uint16_t, T>& map, uint16_t address,
                  uint16_t count) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const bool open_;
  mutable absl::Mutex mutex_;
  std::map<uint16_t, uint16_t> holding_ ABSL_GUARDED_BY(mutex_);
  std::map<uint16_t, uint16_t> input_ ABSL_GUARDED_BY(mutex_);
  std::map<uint16_t, bool> coils_ ABSL_GUARDED_BY(mutex_);
  std::map<uint16_t, bool> discrete_ ABSL_GUARDED_BY(mutex_);
  DeviceIdentification identification_ ABSL_GUARDED_BY(mutex_);
};

// The 43/14 response PDU for `request` (validated, MEI 14) from `objects`,
// split so that it fits in one PDU ("more follows").
Pdu DeviceIdentificationResponse(const Pdu& request,
                                 const DeviceIdentification& identification);

}  // namespace ews::modbus
