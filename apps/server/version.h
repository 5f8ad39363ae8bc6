#pragma once

namespace ews {

// The product version reported by /api/v1/health and `ews-server --version`.
inline constexpr char kVersion[] = "0.1.0";

}  // namespace ews
