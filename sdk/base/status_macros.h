// Status propagation macros, shaped like the ones newer Abseil versions ship.
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Returns `expr`'s status from the current function if it is not OK.
#define EWS_RETURN_IF_ERROR(expr)              \
  do {                                         \
    ::absl::Status ews_status_ = (expr);       \
    if (!ews_status_.ok()) return ews_status_; \
  } while (false)

#define EWS_STATUS_MACROS_CONCAT_INNER(x, y) x##y
#define EWS_STATUS_MACROS_CONCAT(x, y) EWS_STATUS_MACROS_CONCAT_INNER(x, y)

// Evaluates `rexpr` (an absl::StatusOr<T>); on error returns its status,
// otherwise moves the value into `lhs`, which may be a declaration:
// EWS_ASSIGN_OR_RETURN(auto x, MakeX());
#define EWS_ASSIGN_OR_RETURN(lhs, rexpr)                                       \
  EWS_ASSIGN_OR_RETURN_IMPL(EWS_STATUS_MACROS_CONCAT(ews_statusor_, __LINE__), \
                            lhs, rexpr)

#define EWS_ASSIGN_OR_RETURN_IMPL(statusor, lhs, rexpr)    \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = *std::move(statusor)
