// RuntimeConfig: tells kubelet which cgroup driver Docker uses, so kubelet
// can follow it (KubeletCgroupDriverFromCRI). Read-only; reads the
// engine's capabilities (a GET /info when the docker client has none).
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {

absl::StatusOr<v1::RuntimeConfigResponse> RuntimeService::RuntimeConfig(
    const CallContext& ctx, const v1::RuntimeConfigRequest& req) {
  ASSIGN_OR_RETURN(docker::EngineCapabilities engine,
                   docker_->Capabilities(DockerDeadline(ctx)));
  v1::RuntimeConfigResponse resp;
  if (engine.cgroup_driver == "systemd") {
    resp.mutable_linux()->set_cgroup_driver(v1::SYSTEMD);
  } else if (engine.cgroup_driver == "cgroupfs") {
    resp.mutable_linux()->set_cgroup_driver(v1::CGROUPFS);
  } else {
    return absl::InternalError(
        absl::StrCat("docker reports an unknown cgroup driver \"",
                     engine.cgroup_driver, "\" (want systemd or cgroupfs)"));
  }
  return resp;
}

}  // namespace cri_dockerd
