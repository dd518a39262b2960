// StartContainer: starts the created container and begins copying its
// output into the CRI log file. Already running is success.
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/convert/naming.h"
#include "cri/logs/container_log_manager.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {

absl::StatusOr<v1::StartContainerResponse> RuntimeService::StartContainer(
    const CallContext& ctx, const v1::StartContainerRequest& req) {
  ASSIGN_OR_RETURN(docker::ContainerInspect c,
                   FindContainer(ctx, req.container_id()));
  if (absl::Status s = docker_->StartContainer(c.id, DockerDeadline(ctx));
      !s.ok()) {
    return absl::Status(s.code(), absl::StrCat("starting container ", c.name,
                                               ": ", s.message()));
  }
  StartLogCopy(c);
  LOG(INFO) << "started container " << c.id << " (" << c.name << ")";
  return v1::StartContainerResponse();
}

absl::Status RuntimeService::ResumeLogCopies(const CallContext& ctx) {
  v1::ContainerFilter running;
  running.mutable_state()->set_state(v1::CONTAINER_RUNNING);
  ASSIGN_OR_RETURN(std::vector<v1::Container> containers,
                   ListCriContainers(ctx, running));
  for (const v1::Container& listed : containers) {
    absl::StatusOr<docker::ContainerInspect> c =
        docker_->InspectContainer(listed.id(), DockerDeadline(ctx));
    if (c.ok()) StartLogCopy(*c);
  }
  return absl::OkStatus();
}

void RuntimeService::StartLogCopy(const docker::ContainerInspect& c) {
  if (logs_ == nullptr) return;
  auto path = c.labels.find(kLogPathLabel);
  if (path == c.labels.end() || path->second.empty()) return;
  if (absl::Status s = logs_->Start(c.id, path->second, c.tty); !s.ok()) {
    LOG(WARNING) << "container " << c.id << ": no CRI log: " << s;
  }
}

}  // namespace cri_dockerd
