// StopContainer: the container's stop signal, then SIGKILL after the
// request's timeout (0 kills at once; at most a week). Already stopped is
// success; an unknown ID is NotFound.
#include <algorithm>

#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {
namespace {
// Room beyond the grace period for docker to kill and reap.
constexpr absl::Duration kStopSlack = absl::Seconds(10);
// The longest grace period honoured: a week. The field is an int64 of
// seconds; unclamped, a huge one overflowed into a call with no bound.
constexpr int64_t kMaxStopTimeoutSeconds = 7 * 24 * 3600;
}  // namespace

absl::StatusOr<v1::StopContainerResponse> RuntimeService::StopContainer(
    const CallContext& ctx, const v1::StopContainerRequest& req) {
  if (req.timeout() < 0) {
    return absl::InvalidArgumentError("timeout must not be negative");
  }
  ASSIGN_OR_RETURN(docker::ContainerInspect c,
                   FindContainer(ctx, req.container_id()));
  int64_t timeout = req.timeout();
  if (timeout > kMaxStopTimeoutSeconds) {
    LOG(WARNING) << "StopContainer " << c.id << ": timeout " << timeout
                 << " s clamped to " << kMaxStopTimeoutSeconds << " s";
    timeout = kMaxStopTimeoutSeconds;
  }
  const absl::Duration grace = absl::Seconds(timeout);
  // kubelet's deadline already covers the grace period; never cut docker
  // off before it could have killed the process.
  const absl::Time deadline =
      std::max(ctx.deadline, absl::Now() + grace + kStopSlack);
  absl::Status s = docker_->StopContainer(c.id, grace, deadline);
  ContainerChanged(c.id);
  if (!s.ok() && !absl::IsNotFound(s)) return s;
  LOG(INFO) << "stopped container " << c.id << " (" << c.name << ")";
  return v1::StopContainerResponse();
}

}  // namespace cri_dockerd
