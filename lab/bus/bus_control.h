// The virtual bus's control language, one command per line (used by the
// virtual_bus binary on stdin and on its unix socket, and by tests):
//
//   help                         list the commands
//   endpoints                    "<index> <pty path>" per endpoint
//   line <baud> <frame>          e.g. "line 9600 8E1": new line settings
//   drop <n> [from <ep>]         drop the next n characters
//   corrupt <n> [from <ep>] [mask <hex>]   flip bits of the next n characters
//   drop_rate <p> / corrupt_rate <p>       random faults, p in [0, 1]
//   latency <ms> [from <ep>]     delay before bytes reach the line
//   cut <ep> / restore <ep>      cut an endpoint off the line / reconnect it
//   clear_faults                 remove every fault
//   capture                      the captured frames, one per line
//   clear_capture                forget the capture
//   stats                        counters
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "lab/bus/virtual_bus.h"

namespace ews::lab {

// Runs one command. Returns its output (possibly empty, each line ending in
// '\n'). InvalidArgument for an unknown command or bad arguments (the bus is
// unchanged).
absl::StatusOr<std::string> ExecuteBusCommand(VirtualBus& bus,
                                              absl::string_view line);

}  // namespace ews::lab
