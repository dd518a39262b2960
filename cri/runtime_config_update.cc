// UpdateRuntimeConfig: kubelet hands over the node's pod CIDR, which the
// network plugin keeps for IP allocation. No docker call.
#include "common/logging.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {

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
