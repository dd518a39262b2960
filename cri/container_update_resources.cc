// UpdateContainerResources applies CPU and memory limits to a container
// live (POST /containers/{id}/update), then writes what Docker Engine
// cannot express (hugepage limits, cgroup v2 "unified" keys) into the
// cgroup of a running container, as StartContainer does; a write the
// kernel refuses fails the call (docker's part stays applied; kubelet
// retries the resize). Those settings live in the cgroup only: the labels
// CreateContainer wrote keep the creation's values.
#include "absl/strings/str_join.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/convert/cgroup_files.h"
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
    LOG(INFO) << "container " << c.id
              << ": not applied: " << absl::StrJoin(ignored, ", ");
  }
  absl::Status updated =
      docker_->UpdateContainerResources(c.id, resources, DockerDeadline(ctx));
  ContainerChanged(c.id);
  RETURN_IF_ERROR(updated);
  if (c.state.running) {
    RETURN_IF_ERROR(
        WriteCgroupFiles(ctx, c.id, ToCgroupFileSettings(req.linux())));
  }
  LOG(INFO) << "updated resources of container " << c.id;
  return v1::UpdateContainerResourcesResponse();
}

}  // namespace cri_dockerd
