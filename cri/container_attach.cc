// Attach: validate the request, check the container is ours and running,
// and park the request with the streaming server, returning the URL the
// client dials (see cri/streaming/server.h). Nothing happens in docker
// until a client connects; nothing to roll back.
#include "common/status_macros.h"
#include "cri/runtime_service.h"
#include "cri/streaming/server.h"

namespace cri_dockerd {

absl::StatusOr<v1::AttachResponse> RuntimeService::Attach(
    const CallContext& ctx, const v1::AttachRequest& req) {
  if (req.container_id().empty()) {
    return absl::InvalidArgumentError("container_id is required");
  }
  RETURN_IF_ERROR(
      ValidateStreams(req.tty(), req.stdin(), req.stdout(), req.stderr()));
  ASSIGN_OR_RETURN(docker::ContainerInspect c,
                   FindRunningContainer(ctx, req.container_id()));
  streaming::AttachRequest parked;
  parked.container_id = c.id;
  parked.tty = req.tty();
  parked.stdin = req.stdin();
  parked.stdout = req.stdout();
  parked.stderr = req.stderr();
  ASSIGN_OR_RETURN(std::string url, streaming_->AttachUrl(std::move(parked)));
  v1::AttachResponse resp;
  resp.set_url(std::move(url));
  return resp;
}

}  // namespace cri_dockerd
