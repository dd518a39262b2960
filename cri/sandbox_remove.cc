// RemovePodSandbox: detaches the pod's network (CNI DEL, idempotent: a
// StopPodSandbox that failed, timed out or never came leaves no IP or
// cache entry behind), then removes the pod's containers, the infra
// container and the checkpoint (forcibly: kubelet stops first, and a
// half-stopped pod must still go). A failed DEL fails the call with
// nothing removed, so kubelet's retry runs it again. Already removed is
// success. Waits while a Run or Stop of the same sandbox runs
// (LockSandbox).
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/convert/naming.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {

absl::StatusOr<v1::RemovePodSandboxResponse> RuntimeService::RemovePodSandbox(
    const CallContext& ctx, const v1::RemovePodSandboxRequest& req) {
  absl::StatusOr<SandboxInfo> known = FindSandbox(ctx, req.pod_sandbox_id());
  if (absl::IsNotFound(known.status())) return v1::RemovePodSandboxResponse();
  if (!known.ok()) return known.status();
  ASSIGN_OR_RETURN(KeyedMutex::Lock lock, LockSandbox(ctx, known->id));
  // Again: the call this one waited for may have changed it.
  absl::StatusOr<SandboxInfo> sandbox = FindSandbox(ctx, known->id);
  if (absl::IsNotFound(sandbox.status())) {
    return v1::RemovePodSandboxResponse();
  }
  if (!sandbox.ok()) return sandbox.status();
  const absl::Time deadline = DockerDeadline(ctx);
  if (!sandbox->host_network) {
    absl::Status torn =
        network_->TearDownPod(NetworkRequest(*sandbox), deadline);
    if (!torn.ok()) {
      return absl::Status(torn.code(),
                          absl::StrCat("tearing down the network of sandbox ",
                                       sandbox->id, ": ", torn.message()));
    }
  }
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
