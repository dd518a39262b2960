// ReopenContainerLog makes the log copy reopen the container's CRI log
// file after kubelet rotated it (or start copying again when the shim
// restarted since). FailedPrecondition for a container that is not
// running. Nothing to roll back.
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "cri/logs/container_log_manager.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {

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
