// The first start's additions to the factory configuration (part of
// :server): the devices a bus scan finds and the demo's pulse counters.
#pragma once

#include "absl/status/status.h"
#include "apps/server/board.h"
#include "apps/server/server.h"
#include "sdk/base/clock.h"
#include "sdk/config/config.pb.h"
#include "sdk/config/config_store.h"
#include "sdk/devices/profile_registry.h"

namespace ews::server {

// The devices a bus scan of `options.scan_first_address`..`scan_last_address`
// finds on the RS485 line (opened through `board`) and, with
// `options.board.simulate_pulse_inputs`, the demo's simulated pulse counters
// (a water meter, a gas meter, an energy sub-meter), added to `config` within
// the model's limit and saved in `store`. A failed scan is logged and leaves
// the devices out; errors: the configuration cannot be saved.
absl::Status FirstStartSetup(const ServerOptions& options, Clock& device,
                             Board& board,
                             const devices::ProfileRegistry& profiles,
                             config::ConfigStore& store,
                             config::v1::DeviceConfig& config);

}  // namespace ews::server
