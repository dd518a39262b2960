// The hook through which the gRPC boundary reports each finished CRI call
// (used for metrics). Kept free of gRPC and proto headers so that its
// implementations do not need them.
#pragma once

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace cri_dockerd {

// Told about every finished RPC. Called concurrently from gRPC's threads;
// must be cheap and thread-safe.
class RpcObserver {
 public:
  virtual ~RpcObserver() = default;
  // `method` is the bare RPC name ("Version"); `took` is the handler's
  // time (for server streams, until the last message was written).
  virtual void OnRpcDone(absl::string_view method, absl::StatusCode code,
                         absl::Duration took) = 0;
};

}  // namespace cri_dockerd
