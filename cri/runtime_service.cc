#include "cri/runtime_service.h"

#include <algorithm>
#include <utility>

namespace cri_dockerd {

RuntimeService::RuntimeService(docker::DockerClient* docker,
                               network::NetworkPlugin* network,
                               RuntimeOptions options)
    : docker_(docker), network_(network), options_(std::move(options)) {}

absl::Time RuntimeService::DockerDeadline(const CallContext& ctx) const {
  return std::min(ctx.deadline, absl::Now() + options_.request_timeout);
}

}  // namespace cri_dockerd
