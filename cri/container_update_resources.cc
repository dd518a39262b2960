// UpdateContainerResources applies CPU and memory limits to a container
// live (POST /containers/{id}/update). What Docker Engine cannot express
// (hugepage limits, most cgroup v2 "unified" keys) is logged and left
// alone, as at creation: kubelet sends them with every resize, so
// refusing would make every resize of such a pod fail.
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/convert/container_resources.h"
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
  absl::Status updated =
      docker_->UpdateContainerResources(c.id, resources, DockerDeadline(ctx));
  ContainerChanged(c.id);
  RETURN_IF_ERROR(updated);
  LOG(INFO) << "updated resources of container " << c.id;
  return v1::UpdateContainerResourcesResponse();
}

}  // namespace cri_dockerd
