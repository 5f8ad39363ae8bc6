// ews::modbus::Client: what every part of EWS uses to talk Modbus to a device,
// whatever the path (our RS485 line, a remote Modbus TCP gateway, a fake).
//
//   absl::StatusOr<std::vector<uint16_t>> v =
//       client.ReadHoldingRegisters(17, 0x1000, 2, {Priority::kInteractive});
//
// Implementations:
//   LineScheduler  (line_scheduler.h)  the owner of one line (an RS485 port or
//                                      one IP gateway): queue, priorities,
//                                      deadlines, retries, per-device health
//   FakeClient     (fake_client.h)     testonly: register map per unit,
//                                      injected exceptions and timeouts
//
// Errors of every call (besides those listed per method):
//   InvalidArgument     bad arguments (quantity out of range, broadcast read),
//                       or the device answered exception 01/02/03
//   DeadlineExceeded    no answer within CallOptions::timeout (also exception
//                       0x0B from a remote gateway)
//   DataLoss            the answer was corrupt (CRC) or did not fit the request
//   Unavailable         the line is busy/closed (also: the deadline passed
//                       while the request was still queued) or the gateway
//                       unreachable (retry later); also exceptions 05/06/0A;
//                       the unit is absent (LineScheduler: it missed its
//                       last requests and is not asked again before its next
//                       probe; IsUnitAbsent() tells)
//   FailedPrecondition  the device answered another exception (e.g. 04)
// ModbusExceptionCode(status) (exception.h) gives the exception code, if any.
//
// Thread-safe: any thread may call any method (implementations serialise on
// the line).
#pragma once

#include <cstdint>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sdk/modbus/exception.h"
#include "sdk/modbus/pdu.h"

namespace ews::modbus {

// Who is waiting. Interactive (the web "test" page, a user's command) and
// gateway (a Modbus TCP client through our gateway) requests go ahead of
// background polling, which is never starved (see LineScheduler).
enum class Priority : int {
  kInteractive = 0,
  kGateway = 1,
  kBackground = 2,
};
constexpr int kPriorityCount = 3;

const char* PriorityName(Priority priority);

struct CallOptions {
  Priority priority = Priority::kBackground;
  // Deadline of the whole call from when it is made: waiting in the line's
  // queue, the wire, and retries. A request still queued at its deadline
  // never reaches the wire. The per-attempt response timeout is the line's.
  absl::Duration timeout = absl::Seconds(3);
  // Attempts for read functions (1, 2, 3, 4, 43) on timeout or CRC error;
  // writes are attempted exactly once. 0 = the line's default.
  int max_attempts = 0;
};

class Client {
 public:
  virtual ~Client() = default;

  // Function 1 / 2: `count` in 1..2000.
  absl::StatusOr<std::vector<bool>> ReadCoils(uint8_t unit, uint16_t address,
                                              uint16_t count,
                                              const CallOptions& options = {});
  absl::StatusOr<std::vector<bool>> ReadDiscreteInputs(
      uint8_t unit, uint16_t address, uint16_t count,
      const CallOptions& options = {});
  // Function 3 / 4: `count` in 1..125.
  absl::StatusOr<std::vector<uint16_t>> ReadHoldingRegisters(
      uint8_t unit, uint16_t address, uint16_t count,
      const CallOptions& options = {});
  absl::StatusOr<std::vector<uint16_t>> ReadInputRegisters(
      uint8_t unit, uint16_t address, uint16_t count,
      const CallOptions& options = {});
  // Function 5 / 6. Unit 0 broadcasts (no answer is awaited).
  absl::Status WriteSingleCoil(uint8_t unit, uint16_t address, bool value,
                               const CallOptions& options = {});
  absl::Status WriteSingleRegister(uint8_t unit, uint16_t address,
                                   uint16_t value,
                                   const CallOptions& options = {});
  // Function 15 (1..1968 coils) / 16 (1..123 registers). Unit 0 broadcasts.
  absl::Status WriteMultipleCoils(uint8_t unit, uint16_t address,
                                  const std::vector<bool>& values,
                                  const CallOptions& options = {});
  absl::Status WriteMultipleRegisters(uint8_t unit, uint16_t address,
                                      const std::vector<uint16_t>& values,
                                      const CallOptions& options = {});
  // Function 23: writes `values` (1..121) then reads `read_count` (1..125).
  absl::StatusOr<std::vector<uint16_t>> ReadWriteMultipleRegisters(
      uint8_t unit, uint16_t read_address, uint16_t read_count,
      uint16_t write_address, const std::vector<uint16_t>& values,
      const CallOptions& options = {});
  // Function 43/14, following "more follows" until all objects of `code`
  // are read (kSpecific: just `object`).
  absl::StatusOr<DeviceIdentification> ReadDeviceIdentification(
      uint8_t unit, DeviceIdCode code = DeviceIdCode::kBasic,
      uint8_t object = 0, const CallOptions& options = {});

  // Any request PDU (function code + data). Returns the response PDU; an
  // exception response becomes an error (see above). Unit 0 (broadcast) is
  // allowed for functions 5, 6, 15, 16 and returns an empty PDU once the
  // request is on the wire.
  // InvalidArgument: ValidateRequest() fails, or a broadcast read.
  absl::StatusOr<Pdu> Transact(uint8_t unit, const Pdu& request,
                               const CallOptions& options = {});

 private:
  // Implementations: send `request` (already validated) to `unit` and return
  // the raw response PDU, which may be an exception response. For unit 0
  // return an empty PDU without waiting for an answer.
  virtual absl::StatusOr<Pdu> DoTransact(uint8_t unit, const Pdu& request,
                                         const CallOptions& options) = 0;
};

}  // namespace ews::modbus
