// Exec and Attach: validate the request, check the container is ours and
// running, and park the request with the streaming server, returning the
// URL the client dials (see cri/streaming/server.h). Nothing happens in
// docker until a client connects; nothing to roll back.
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "cri/runtime_service.h"
#include "cri/streaming/server.h"

namespace cri_dockerd {
namespace {

// kubelet's checks for both verbs.
absl::Status ValidateStreams(bool tty, bool stdin, bool stdout, bool stderr) {
  if (tty && stderr) {
    // A TTY has a single output stream.
    return absl::InvalidArgumentError("tty and stderr cannot both be true");
  }
  if (!stdin && !stdout && !stderr) {
    return absl::InvalidArgumentError(
        "one of stdin, stdout, or stderr must be set");
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<docker::ContainerInspect> RuntimeService::FindRunningContainer(
    const CallContext& ctx, const std::string& id) {
  if (streaming_ == nullptr) {
    return absl::UnavailableError("the streaming server is not running");
  }
  ASSIGN_OR_RETURN(docker::ContainerInspect c, FindContainer(ctx, id));
  if (!c.state.running) {
    return absl::FailedPreconditionError(absl::StrCat(
        "container ", id, " is not running (", c.state.status, ")"));
  }
  return c;
}

absl::StatusOr<v1::ExecResponse> RuntimeService::Exec(
    const CallContext& ctx, const v1::ExecRequest& req) {
  if (req.container_id().empty()) {
    return absl::InvalidArgumentError("container_id is required");
  }
  if (req.cmd().empty()) return absl::InvalidArgumentError("cmd is empty");
  RETURN_IF_ERROR(
      ValidateStreams(req.tty(), req.stdin(), req.stdout(), req.stderr()));
  ASSIGN_OR_RETURN(docker::ContainerInspect c,
                   FindRunningContainer(ctx, req.container_id()));
  streaming::ExecRequest parked;
  parked.container_id = c.id;
  parked.cmd.assign(req.cmd().begin(), req.cmd().end());
  parked.tty = req.tty();
  parked.stdin = req.stdin();
  parked.stdout = req.stdout();
  parked.stderr = req.stderr();
  ASSIGN_OR_RETURN(std::string url, streaming_->ExecUrl(std::move(parked)));
  v1::ExecResponse resp;
  resp.set_url(std::move(url));
  return resp;
}

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
