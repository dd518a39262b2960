// RuntimeService domain logic: one method per CRI RuntimeService verb that
// is implemented, each in its own <noun>_<verb>.cc file. gRPC never appears
// here; grpc_services.cc adapts these methods to the wire.
#pragma once

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cri/call_context.h"
#include "cri/network/network_plugin.h"
#include "cri/runtime_options.h"
#include "docker_client/docker_client.h"
#include "proto/cri_api.h"

namespace cri_dockerd {

namespace v1 = ::runtime::v1;

class RuntimeService {
 public:
  // `docker` and `network` must outlive this object.
  RuntimeService(docker::DockerClient* docker, network::NetworkPlugin* network,
                 RuntimeOptions options);

  absl::StatusOr<v1::VersionResponse> Version(const CallContext& ctx,
                                              const v1::VersionRequest& req);
  absl::StatusOr<v1::StatusResponse> Status(const CallContext& ctx,
                                            const v1::StatusRequest& req);
  absl::StatusOr<v1::RuntimeConfigResponse> RuntimeConfig(
      const CallContext& ctx, const v1::RuntimeConfigRequest& req);
  absl::StatusOr<v1::UpdateRuntimeConfigResponse> UpdateRuntimeConfig(
      const CallContext& ctx, const v1::UpdateRuntimeConfigRequest& req);

 private:
  // The deadline for one docker call: the caller's, capped by
  // --runtime-request-timeout.
  absl::Time DockerDeadline(const CallContext& ctx) const;

  // Constant after construction.
  docker::DockerClient* const docker_;
  network::NetworkPlugin* const network_;
  const RuntimeOptions options_;
};

}  // namespace cri_dockerd
