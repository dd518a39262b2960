// UpdateContainerResources applies CPU and memory limits to a container
// live (POST /containers/{id}/update). What Docker Engine cannot express
// (hugepage limits, most cgroup v2 "unified" keys) is logged and left
// alone, as at creation: kubelet sends them with every resize, so
// refusing would make every resize of such a pod fail.
// ReopenContainerLog makes the log copy reopen the container's CRI log
// file after kubelet rotated it.
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/container_resources.h"
#include "cri/logs/container_log_manager.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {

absl::StatusOr<v1::UpdateContainerResourcesResponse>
RuntimeService::UpdateContainerResources(
    const CallContext& ctx, const v1::UpdateContainerResourcesRequest& req) {
  ASSIGN_OR_RETURN(docker::ContainerInspect c,
                   FindContainer(ctx, req.container_id()));
  std::vector<std::string> ignored;
  ASSIGN_OR_RETURN(docker::Resources resources,
                   ToDockerResources(req.linux(), true, &ignored));
  if (!ignored.empty()) {
    LOG(INFO) << "container " << c.id << ": docker cannot apply "
              << absl::StrJoin(ignored, ", ");
  }
  RETURN_IF_ERROR(
      docker_->UpdateContainerResources(c.id, resources, DockerDeadline(ctx)));
  LOG(INFO) << "updated resources of container " << c.id;
  return v1::UpdateContainerResourcesResponse();
}

absl::StatusOr<v1::ReopenContainerLogResponse>
RuntimeService::ReopenContainerLog(const CallContext& ctx,
                                   const v1::ReopenContainerLogRequest& req) {
  ASSIGN_OR_RETURN(docker::ContainerInspect c,
                   FindContainer(ctx, req.container_id()));
  if (!c.state.running) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container ", c.id, " is not running; its log cannot be reopened"));
  }
  if (logs_ == nullptr) {
    return absl::FailedPreconditionError("container logs are not managed");
  }
  absl::Status s = logs_->Reopen(c.id);
  if (absl::IsNotFound(s)) {
    // Copying stopped (e.g. the shim restarted): start it again, which
    // opens the file afresh.
    StartLogCopy(c);
    return v1::ReopenContainerLogResponse();
  }
  RETURN_IF_ERROR(s);
  return v1::ReopenContainerLogResponse();
}

}  // namespace cri_dockerd
