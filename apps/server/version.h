#pragma once

namespace ews {

// The product version reported by /api/v1/health and `ews-server --version`.
inline constexpr char kVersion[] = "0.1.0";

// Whether this binary was compiled with optimisation (`-c opt`, as shipped);
// `ews-server --version` says so, and the HTTPS benchmark reports it.
#ifdef __OPTIMIZE__
inline constexpr bool kOptimizedBuild = true;
#else
inline constexpr bool kOptimizedBuild = false;
#endif

}  // namespace ews
