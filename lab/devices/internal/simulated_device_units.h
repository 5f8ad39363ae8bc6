// Constants shared by the simulated device's files (physics, values).
#pragma once

namespace ews::lab {

inline constexpr double kPi = 3.14159265358979323846;
inline constexpr double kMicroJoulePerWh = 3.6e9;

}  // namespace ews::lab
