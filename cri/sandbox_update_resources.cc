// UpdatePodSandboxResources: kubelet tells the runtime a pod's new
// resources after resizing the pod cgroup itself. Docker has no pod-level
// object, so this checks the sandbox exists (NotFound otherwise) and
// changes nothing.
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {

absl::StatusOr<v1::UpdatePodSandboxResourcesResponse>
RuntimeService::UpdatePodSandboxResources(
    const CallContext& ctx, const v1::UpdatePodSandboxResourcesRequest& req) {
  ASSIGN_OR_RETURN(SandboxInfo sandbox, FindSandbox(ctx, req.pod_sandbox_id()));
  // kubelet owns the pod-level cgroup and resizes it itself; docker has no
  // pod-level object to update, and the infra container needs nothing.
  LOG(INFO) << "pod sandbox " << sandbox.id
            << ": resources noted (the pod cgroup is kubelet's to resize)";
  return v1::UpdatePodSandboxResourcesResponse();
}

}  // namespace cri_dockerd
