// RemoveContainer: forcibly removes the container (a running one is
// killed) with its anonymous volumes, stops its log copy and removes its
// CRI log file. An absent container is success. The log path comes from
// a docker label, which anyone with docker access can set: it is checked
// again and unlinked without following symlinks; a bad one is logged and
// skipped, and the container is removed all the same.
#include "common/fs/no_follow.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/convert/naming.h"
#include "cri/logs/container_log_manager.h"
#include "cri/logs/log_file.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {
namespace {

// Removes the CRI log file at `path` (the log path label of container
// `id`), never through a symlink; a path that fails the checks CreateContainer
// made is left alone.
void RemoveLogFile(const std::string& id, const std::string& path) {
  if (absl::Status s = logs::ValidateLogPath(path); !s.ok()) {
    LOG(WARNING) << "Container " << id << ": not removing its log file: label "
                 << kLogPathLabel << ": " << s.message();
    return;
  }
  absl::Status s = fs::Unlink(path);
  if (!s.ok() && !absl::IsNotFound(s)) {
    LOG(WARNING) << "Container " << id
                 << ": cannot remove its log file: " << s.message();
  }
}

}  // namespace

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
  if (path != c->labels.end() && !path->second.empty()) {
    RemoveLogFile(c->id, path->second);
  }
  LOG(INFO) << "removed container " << c->id << " (" << c->name << ")";
  return v1::RemoveContainerResponse();
}

}  // namespace cri_dockerd
