// Bus scan: finds the devices on a line and identifies their profile.
//
// Per address, one read of the model register (one attempt: silence is the
// common answer and retrying it would only double the scan's wire time), and
// only for a device that answered, the further probes it needs: other model
// registers, then Modbus device identification (function 43/14) if a profile
// uses it. A silent address therefore costs exactly one response timeout and
// the whole scan N_silent × timeout + the answered exchanges. A garbled
// answer (CRC) is asked again, twice at most: someone is there. Behind a
// Modbus TCP gateway a silent address comes back as the gateway's exception
// 0x0B (target failed to respond) or 0x0A (path unavailable): that is
// silence too, not a device.
//
// A device is identified only from its identification registers (the
// profiles' model registers, or Modbus device identification), never by
// reading a measurement that could mean something else on another device.
// A device no profile recognises is reported with its raw identification
// (every model register read and, asked once more, its 43/14 objects), so
// an installer can pick a profile or use the generic one.
//
// EMS CX3 modules behind a Modbus/EMS interface 4 149 40 answer at
// interface × 10 + module (local addressing): scanning an interface's nine
// addresses (`addresses` from devices::EmsInterfaceAddresses()) finds its
// modules, each reported with its interface and module number.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sdk/devices/ems_addressing.h"
#include "sdk/devices/profile.pb.h"
#include "sdk/devices/profile_registry.h"
#include "sdk/modbus/client.h"

namespace ews::acquisition {

struct ScanOptions {
  int first_address = 1;  // 1..247
  int last_address = 247;
  // When not empty: exactly these addresses (each 1..247), in this order,
  // instead of the range (e.g. the modules of one EMS CX3 interface).
  std::vector<int> addresses;
  // Deadline of one probe (queue + wire): a silent address costs this much
  // at most; the line's response timeout applies within it.
  absl::Duration probe_timeout = absl::Seconds(1);
  modbus::Priority priority = modbus::Priority::kInteractive;
};

// What a device answered to the identification probes, as read.
struct RawIdentification {
  struct ModelRegister {
    uint32_t address = 0;
    ews::devices::v1::Table table = ews::devices::v1::TABLE_UNSPECIFIED;
    uint64_t value = 0;
  };
  std::vector<ModelRegister> model_registers;
  // Modbus device identification objects (0 vendor, 1 product code, 2
  // revision, ...), when the device answered function 43/14.
  std::map<int, std::string> device_identification;
  // "model register 0x0300 = 30583 (0x7777); device identification: none".
  std::string ToString() const;
};

struct FoundDevice {
  int address = 0;
  // nullptr: the device answered but no profile recognised it (assign one,
  // e.g. the generic profile, by hand).
  const ews::devices::v1::Profile* profile = nullptr;
  // What identified it (or what was seen): "model register 0x0300 = 4512".
  std::string evidence;
  // Everything the identification probes read (for an unknown device, what
  // an installer needs to choose a profile).
  RawIdentification raw;
  // An EMS CX3 module's place behind its interface (local addressing).
  std::optional<devices::EmsLocation> ems;
};

struct ScanProgress {
  int address = 0;  // the address just probed
  int done = 0;     // addresses probed so far
  int total = 0;
  int found = 0;
};

// Scans [first_address, last_address] (or `addresses`). `progress`
// (optional) is called after each address; `cancel` (optional) stops the
// scan between addresses (Cancelled, with nothing returned).
// InvalidArgument: a bad range or address.
absl::StatusOr<std::vector<FoundDevice>> ScanBus(
    modbus::Client& client, const devices::ProfileRegistry& registry,
    const ScanOptions& options = {},
    const std::function<void(const ScanProgress&)>& progress = nullptr,
    const std::atomic<bool>* cancel = nullptr);

// Identifies the device at one address (the scan's per-address step).
// NotFound: the device did not answer. Other errors: the line's.
absl::StatusOr<FoundDevice> IdentifyDevice(
    modbus::Client& client, const devices::ProfileRegistry& registry,
    int address, const modbus::CallOptions& call_options);

}  // namespace ews::acquisition
