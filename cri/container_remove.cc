// RemoveContainer: forcibly removes the container (a running one is
// killed) with its anonymous volumes, stops its log copy and removes its
// CRI log file. An absent container is success.
#include <unistd.h>

#include <cerrno>

#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/convert/naming.h"
#include "cri/logs/container_log_manager.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {

absl::StatusOr<v1::RemoveContainerResponse> RuntimeService::RemoveContainer(
    const CallContext& ctx, const v1::RemoveContainerRequest& req) {
  absl::StatusOr<docker::ContainerInspect> c =
      FindContainer(ctx, req.container_id());
  if (absl::IsNotFound(c.status())) return v1::RemoveContainerResponse();
  if (!c.ok()) return c.status();
  if (logs_ != nullptr) logs_->Stop(c->id);
  absl::Status s =
      docker_->RemoveContainer(c->id, /*force=*/true,
                               /*remove_volumes=*/true, DockerDeadline(ctx));
  ContainerChanged(c->id);
  if (!s.ok() && !absl::IsNotFound(s)) return s;
  auto path = c->labels.find(kLogPathLabel);
  if (path != c->labels.end() && !path->second.empty() &&
      unlink(path->second.c_str()) != 0 && errno != ENOENT) {
    LOG(WARNING) << "cannot remove log " << path->second << " of " << c->id;
  }
  LOG(INFO) << "removed container " << c->id << " (" << c->name << ")";
  return v1::RemoveContainerResponse();
}

}  // namespace cri_dockerd
