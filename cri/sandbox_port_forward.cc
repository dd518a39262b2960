// PortForward: checks the pod sandbox exists and runs, and parks the
// request with the streaming server, returning the URL the client dials.
// The ports are those of the request; a client may name others on the
// connection (SPDY port headers), as with kubelet's own server.
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "cri/runtime_service.h"
#include "cri/streaming/server.h"

namespace cri_dockerd {

absl::StatusOr<v1::PortForwardResponse> RuntimeService::PortForward(
    const CallContext& ctx, const v1::PortForwardRequest& req) {
  if (req.pod_sandbox_id().empty()) {
    return absl::InvalidArgumentError("pod_sandbox_id is required");
  }
  for (int32_t port : req.port()) {
    if (port < 1 || port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("port ", port, " is not in 1-65535"));
    }
  }
  if (streaming_ == nullptr) {
    return absl::UnavailableError("the streaming server is not running");
  }
  ASSIGN_OR_RETURN(SandboxInfo sandbox, FindSandbox(ctx, req.pod_sandbox_id()));
  if (!sandbox.container.has_value() || !sandbox.container->state.running) {
    return absl::FailedPreconditionError(
        absl::StrCat("pod sandbox ", req.pod_sandbox_id(), " is not running"));
  }
  streaming::PortForwardRequest parked;
  parked.pod_sandbox_id = sandbox.container->id;
  parked.ports.assign(req.port().begin(), req.port().end());
  ASSIGN_OR_RETURN(std::string url,
                   streaming_->PortForwardUrl(std::move(parked)));
  v1::PortForwardResponse resp;
  resp.set_url(std::move(url));
  return resp;
}

}  // namespace cri_dockerd
