// termios speed constants for the line settings' baud rates. Internal: used
// by the termios backend and the lab's virtual bus, not part of the HAL API.
#pragma once

#include <termios.h>

namespace ews::hal::internal {

// The termios speed constant for one of SupportedBaudRates(); B0 for any other
// rate.
speed_t BaudToSpeed(int baud);

}  // namespace ews::hal::internal
