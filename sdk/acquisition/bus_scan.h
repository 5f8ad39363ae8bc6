// Bus scan: finds the devices on a line and identifies their profile.
//
// Per address, one read of the model register (one attempt: silence is the
// common answer and retrying it would only double the scan's wire time), and
// only for a device that answered, the further probes it needs: other model
// registers, then Modbus device identification (function 43/14) if a profile
// uses it. A silent address therefore costs exactly one response timeout and
// the whole scan N_silent × timeout + the answered exchanges. A garbled
// answer (CRC) is asked again, twice at most: someone is there.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "sdk/devices/profile.pb.h"
#include "sdk/devices/profile_registry.h"
#include "sdk/modbus/client.h"

namespace ews::acquisition {

struct ScanOptions {
  int first_address = 1;  // 1..247
  int last_address = 247;
  // Deadline of one probe (queue + wire): a silent address costs this much
  // at most; the line's response timeout applies within it.
  absl::Duration probe_timeout = absl::Seconds(1);
  modbus::Priority priority = modbus::Priority::kInteractive;
};

struct FoundDevice {
  int address = 0;
  // nullptr: the device answered but no profile recognised it (assign one,
  // e.g. the generic profile, by hand).
  const ews::devices::v1::Profile* profile = nullptr;
  // What identified it (or what was seen): "model register 0x0300 = 4512".
  std::string evidence;
};

struct ScanProgress {
  int address = 0;  // the address just probed
  int done = 0;     // addresses probed so far
  int total = 0;
  int found = 0;
};

// Scans [first_address, last_address]. `progress` (optional) is called after
// each address; `cancel` (optional) stops the scan between addresses
// (Cancelled, with nothing returned). InvalidArgument: a bad range.
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
