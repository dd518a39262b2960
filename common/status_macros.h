// Status propagation helpers (Debian's Abseil 20220623 has none).
#pragma once

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

#define CRID_CONCAT_INNER(a, b) a##b
#define CRID_CONCAT(a, b) CRID_CONCAT_INNER(a, b)

// Returns the status from the enclosing function if `expr` is not OK.
#define RETURN_IF_ERROR(expr)                    \
  do {                                           \
    ::absl::Status crid_status_ = (expr);        \
    if (!crid_status_.ok()) return crid_status_; \
  } while (0)

// `ASSIGN_OR_RETURN(auto x, F());` declares/assigns x from a StatusOr, or
// returns its status from the enclosing function.
#define ASSIGN_OR_RETURN(lhs, expr) \
  CRID_ASSIGN_OR_RETURN_IMPL(CRID_CONCAT(crid_statusor_, __LINE__), lhs, expr)
#define CRID_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                               \
  if (!tmp.ok()) return std::move(tmp).status();   \
  lhs = std::move(tmp).value()
