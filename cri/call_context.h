// What a domain method needs to know about the call beyond its request:
// the absolute deadline for the docker work it does.
#pragma once

#include "absl/time/time.h"

namespace cri_dockerd {

struct CallContext {
  // Past this instant the call should give up with DeadlineExceeded.
  absl::Time deadline = absl::InfiniteFuture();

  static CallContext WithTimeout(absl::Duration timeout) {
    return CallContext{absl::Now() + timeout};
  }
};

}  // namespace cri_dockerd
