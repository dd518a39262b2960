#include "cri/runtime_service.h"

#include <algorithm>
#include <utility>

#include "cri/exec_reaper.h"

namespace cri_dockerd {

RuntimeService::RuntimeService(docker::DockerClient* docker,
                               network::NetworkPlugin* network,
                               ImageService* images,
                               store::CheckpointStore* checkpoints,
                               RuntimeOptions options,
                               logs::ContainerLogManager* logs,
                               stats::CollectorOptions stats_options,
                               events::EventSourceOptions event_options)
    : docker_(docker),
      network_(network),
      images_(images),
      checkpoints_(checkpoints),
      options_(std::move(options)),
      logs_(logs),
      stats_(
          std::make_unique<stats::Collector>(docker, std::move(stats_options))),
      late_execs_(std::make_unique<LateExecReaper>(docker)),
      events_(std::make_unique<events::ContainerEventSource>(
          docker,
          [this](const events::ContainerChange& change) {
            return DescribeContainerEvent(change);
          },
          event_options)) {}

RuntimeService::~RuntimeService() { events_->Stop(); }

absl::Time RuntimeService::DockerDeadline(const CallContext& ctx) const {
  return std::min(ctx.deadline, absl::Now() + options_.request_timeout);
}

}  // namespace cri_dockerd
