// Status propagation macros for absl::Status / absl::StatusOr (Debian's Abseil 20220623 has no
// status_macros.h). Project-prefixed so they cannot clash with other libraries' macros.
#ifndef TGRPC_BASE_STATUS_MACROS_H_
#define TGRPC_BASE_STATUS_MACROS_H_

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define TGRPC_RETURN_IF_ERROR(expr)                \
  do {                                             \
    ::absl::Status tgrpc_status_ = (expr);         \
    if (!tgrpc_status_.ok()) return tgrpc_status_; \
  } while (0)

#define TGRPC_STATUS_CONCAT_INNER_(a, b) a##b
#define TGRPC_STATUS_CONCAT_(a, b) TGRPC_STATUS_CONCAT_INNER_(a, b)

#define TGRPC_ASSIGN_OR_RETURN(lhs, rexpr) \
  TGRPC_ASSIGN_OR_RETURN_IMPL_(TGRPC_STATUS_CONCAT_(tgrpc_statusor_, __LINE__), lhs, rexpr)

#define TGRPC_ASSIGN_OR_RETURN_IMPL_(statusor, lhs, rexpr) \
  auto statusor = (rexpr);                                 \
  if (!statusor.ok()) return std::move(statusor).status(); \
  lhs = std::move(statusor).value()

#endif  // TGRPC_BASE_STATUS_MACROS_H_
