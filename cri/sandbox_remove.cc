// RemovePodSandbox: removes the pod's containers, the infra container and
// the checkpoint (forcibly: kubelet stops first, and a half-stopped pod
// must still go). Already removed is success.
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/convert/naming.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {

absl::StatusOr<v1::RemovePodSandboxResponse> RuntimeService::RemovePodSandbox(
    const CallContext& ctx, const v1::RemovePodSandboxRequest& req) {
  absl::StatusOr<SandboxInfo> sandbox = FindSandbox(ctx, req.pod_sandbox_id());
  if (absl::IsNotFound(sandbox.status())) {
    return v1::RemovePodSandboxResponse();
  }
  if (!sandbox.ok()) return sandbox.status();
  const absl::Time deadline = DockerDeadline(ctx);
  docker::ListContainersOptions list;
  list.filters["label"] = {absl::StrCat(kSandboxIdLabel, "=", sandbox->id)};
  ASSIGN_OR_RETURN(std::vector<docker::ContainerSummary> members,
                   docker_->ListContainers(list, deadline));
  for (const docker::ContainerSummary& m : members) {
    absl::Status s =
        docker_->RemoveContainer(m.id, /*force=*/true,
                                 /*remove_volumes=*/true, deadline);
    ContainerChanged(m.id);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  if (sandbox->container) {
    absl::Status s = docker_->RemoveContainer(
        sandbox->id, /*force=*/true, /*remove_volumes=*/true, deadline);
    ContainerChanged(sandbox->id);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  RETURN_IF_ERROR(checkpoints_->Remove(sandbox->id));
  LOG(INFO) << "removed pod sandbox " << sandbox->id;
  return v1::RemovePodSandboxResponse();
}

}  // namespace cri_dockerd
