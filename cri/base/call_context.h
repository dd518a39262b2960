// What a domain method needs to know about the call beyond its request:
// the absolute deadline for the docker work it does, and whether the
// client has gone away.
#pragma once

#include <functional>

#include "absl/time/time.h"

namespace cri_dockerd {

struct CallContext {
  // Past this instant the call should give up with DeadlineExceeded.
  absl::Time deadline = absl::InfiniteFuture();
  // True once the client cancelled the call or disconnected; long work
  // (image pulls) polls it. Empty means "never cancelled".
  std::function<bool()> cancelled;

  bool IsCancelled() const { return cancelled && cancelled(); }

  static CallContext WithDeadline(absl::Time deadline) {
    CallContext ctx;
    ctx.deadline = deadline;
    return ctx;
  }
  static CallContext WithTimeout(absl::Duration timeout) {
    return WithDeadline(absl::Now() + timeout);
  }
};

}  // namespace cri_dockerd
