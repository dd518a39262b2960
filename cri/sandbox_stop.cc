// StopPodSandbox: tears the pod's network down (also when the infra
// container is already gone: the checkpoint remembers the pod), stops the
// pod's containers, then the infra container. Idempotent; an ID neither
// docker nor the checkpoints know is NotFound. Waits while a Run or
// Remove of the same sandbox runs (LockSandbox); a sandbox that call
// removed meanwhile (a failed run's rollback) is stopped already.
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/convert/naming.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {
namespace {

// Application containers get this long to stop when their pod is stopped
// before them (kubelet normally stops them first).
constexpr absl::Duration kContainerStopGrace = absl::Seconds(2);
// The infra (pause) process exits on SIGTERM at once; SIGKILL after this.
constexpr absl::Duration kSandboxStopGrace = absl::Seconds(10);

}  // namespace

absl::Status RuntimeService::StopSandbox(const CallContext& ctx,
                                         const SandboxInfo& sandbox) {
  const absl::Time deadline = DockerDeadline(ctx);
  if (!sandbox.host_network) {
    absl::Status torn =
        network_->TearDownPod(NetworkRequest(sandbox), deadline);
    if (!torn.ok()) {
      return absl::Status(torn.code(),
                          absl::StrCat("tearing down the network of sandbox ",
                                       sandbox.id, ": ", torn.message()));
    }
  }
  docker::ListContainersOptions list;
  list.all = false;  // running ones only
  list.filters["label"] = {absl::StrCat(kSandboxIdLabel, "=", sandbox.id)};
  ASSIGN_OR_RETURN(std::vector<docker::ContainerSummary> members,
                   docker_->ListContainers(list, deadline));
  for (const docker::ContainerSummary& m : members) {
    absl::Status s = docker_->StopContainer(m.id, kContainerStopGrace,
                                            deadline + kContainerStopGrace);
    ContainerChanged(m.id);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  if (sandbox.container) {
    absl::Status s = docker_->StopContainer(sandbox.id, kSandboxStopGrace,
                                            deadline + kSandboxStopGrace);
    ContainerChanged(sandbox.id);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  return absl::OkStatus();
}

absl::StatusOr<v1::StopPodSandboxResponse> RuntimeService::StopPodSandbox(
    const CallContext& ctx, const v1::StopPodSandboxRequest& req) {
  ASSIGN_OR_RETURN(SandboxInfo known, FindSandbox(ctx, req.pod_sandbox_id()));
  ASSIGN_OR_RETURN(KeyedMutex::Lock lock, LockSandbox(ctx, known.id));
  // Again: the call this one waited for may have changed it.
  absl::StatusOr<SandboxInfo> sandbox = FindSandbox(ctx, known.id);
  if (absl::IsNotFound(sandbox.status())) {
    LOG(INFO) << "pod sandbox " << known.id << " was removed meanwhile";
    return v1::StopPodSandboxResponse();
  }
  if (!sandbox.ok()) return sandbox.status();
  RETURN_IF_ERROR(StopSandbox(ctx, *sandbox));
  LOG(INFO) << "stopped pod sandbox " << sandbox->id;
  return v1::StopPodSandboxResponse();
}

}  // namespace cri_dockerd
