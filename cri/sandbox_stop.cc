// StopPodSandbox: tears the pod's network down (also when the infra
// container is already gone: the checkpoint remembers the pod), stops the
// pod's containers, then the infra container. Idempotent; an ID neither
// docker nor the checkpoints know is NotFound.
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {

absl::StatusOr<v1::StopPodSandboxResponse> RuntimeService::StopPodSandbox(
    const CallContext& ctx, const v1::StopPodSandboxRequest& req) {
  ASSIGN_OR_RETURN(SandboxInfo sandbox, FindSandbox(ctx, req.pod_sandbox_id()));
  RETURN_IF_ERROR(StopSandbox(ctx, sandbox));
  LOG(INFO) << "stopped pod sandbox " << sandbox.id;
  return v1::StopPodSandboxResponse();
}

}  // namespace cri_dockerd
