// Executes the commands a profile declares (open/close a breaker through its
// motor operator, start/stop/limit an EV charger, switch an output): the
// value is encoded as the profile says and written with the command's
// function code, at interactive priority by default.
#pragma once

#include <optional>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "sdk/devices/profile.pb.h"
#include "sdk/modbus/client.h"

namespace ews::acquisition {

// NotFound: the profile has no such command. InvalidArgument: an argument
// missing (or given to a fixed-value command) or outside the command's
// [min, max]; a bad address. Otherwise the client's errors (an exception
// answer, e.g. 04 "close a tripped breaker", is FailedPrecondition).
absl::Status ExecuteCommand(modbus::Client& client,
                            const ews::devices::v1::Profile& profile,
                            int address, absl::string_view command_id,
                            std::optional<double> argument = std::nullopt,
                            modbus::CallOptions options = {
                                modbus::Priority::kInteractive});

}  // namespace ews::acquisition
