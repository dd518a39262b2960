// RuntimeConfig: tells kubelet which cgroup driver Docker uses, so kubelet
// can follow it (KubeletCgroupDriverFromCRI). Read-only; one GET /info.
// UpdateRuntimeConfig: kubelet hands over the node's pod CIDR, which the
// network plugin keeps for IP allocation. No docker call.
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {

absl::StatusOr<v1::RuntimeConfigResponse> RuntimeService::RuntimeConfig(
    const CallContext& ctx, const v1::RuntimeConfigRequest& req) {
  ASSIGN_OR_RETURN(docker::SystemInfo info, docker_->Info(DockerDeadline(ctx)));
  v1::RuntimeConfigResponse resp;
  if (info.cgroup_driver == "systemd") {
    resp.mutable_linux()->set_cgroup_driver(v1::SYSTEMD);
  } else if (info.cgroup_driver == "cgroupfs") {
    resp.mutable_linux()->set_cgroup_driver(v1::CGROUPFS);
  } else {
    return absl::InternalError(
        absl::StrCat("docker reports an unknown cgroup driver \"",
                     info.cgroup_driver, "\" (want systemd or cgroupfs)"));
  }
  return resp;
}

absl::StatusOr<v1::UpdateRuntimeConfigResponse>
RuntimeService::UpdateRuntimeConfig(const CallContext& ctx,
                                    const v1::UpdateRuntimeConfigRequest& req) {
  const std::string& cidr = req.runtime_config().network_config().pod_cidr();
  // An empty CIDR means "no change", as kubelet sends it before it knows.
  if (!cidr.empty() && cidr != network_->PodCidr()) {
    LOG(INFO) << "pod CIDR set to " << cidr;
    network_->SetPodCidr(cidr);
  }
  return v1::UpdateRuntimeConfigResponse();
}

}  // namespace cri_dockerd
