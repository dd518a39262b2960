// The pod sandbox's infra container, as docker create config: what
// RunPodSandbox asks docker for.
#pragma once

#include <string>

#include "absl/status/statusor.h"
#include "docker_client/container_types.h"
#include "docker_client/engine_capabilities.h"
#include "proto/cri_api.h"

namespace cri_dockerd {

namespace v1 = ::runtime::v1;

// True if pods asking for runtime `handler` can run on `engine`: the
// default runtime ("" or "docker") or one of docker's runtimes.
bool EngineHasRuntimeHandler(const docker::EngineCapabilities& engine,
                             const std::string& handler);

// The infra container of `req`'s pod running `image`, on an engine that
// can do what `engine` says. `cni_network`: a CNI plugin wires the pod's
// network namespace (docker gives it none); otherwise docker's bridge
// does and publishes the port mappings. InvalidArgument for a runtime
// handler the engine lacks (see EngineHasRuntimeHandler) or a bad
// security context.
absl::StatusOr<docker::ContainerCreateConfig> SandboxCreateConfig(
    const v1::RunPodSandboxRequest& req, const std::string& image,
    const docker::EngineCapabilities& engine, bool cni_network);

}  // namespace cri_dockerd
