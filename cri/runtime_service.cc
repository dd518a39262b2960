// RuntimeService's construction and the lookups its verbs share:
// finding a CRI container or a pod sandbox (its infra container and/or
// checkpoint) by ID or unique prefix, the network plugin's view of a
// sandbox and its IPs, and the checks every streaming verb makes.
#include "cri/runtime_service.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/container_view/container_view.h"
#include "cri/convert/naming.h"
#include "cri/docker_streaming/exec_reaper.h"
#include "cri/list_item_cache.h"
#include "cri/stats/cgroup_writer.h"

namespace cri_dockerd {
namespace {

bool IsSandboxContainer(const docker::ContainerInspect& c) {
  auto it = c.labels.find(kContainerTypeLabel);
  return it != c.labels.end() && it->second == kContainerTypeSandbox;
}

}  // namespace

RuntimeService::RuntimeService(docker::DockerClient* docker,
                               network::NetworkPlugin* network,
                               NodeImages* images,
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
      cgroup_writer_(
          std::make_unique<stats::CgroupWriter>(stats_->proc_root())),
      late_execs_(std::make_unique<LateExecReaper>(docker)),
      view_(std::make_unique<container_view::ContainerView>(docker)),
      container_items_(std::make_unique<ListItemCache<v1::Container>>()),
      sandbox_items_(std::make_unique<ListItemCache<v1::PodSandbox>>()),
      events_(std::make_unique<events::ContainerEventSource>(
          docker,
          [this](const std::vector<events::ContainerChange>& changes) {
            return DescribeContainerEvents(changes);
          },
          event_options, view_.get())) {}

RuntimeService::~RuntimeService() { events_->Stop(); }

absl::Time RuntimeService::DockerDeadline(const CallContext& ctx) const {
  return std::min(ctx.deadline, absl::Now() + options_.request_timeout);
}

absl::StatusOr<docker::ContainerInspect> RuntimeService::FindContainer(
    const CallContext& ctx, const std::string& id) {
  RETURN_IF_ERROR(ValidateId("container_id", id));
  absl::StatusOr<container_view::InspectPtr> c =
      view_->InspectContainer(id, DockerDeadline(ctx));
  if (absl::IsNotFound(c.status()) || absl::IsInvalidArgument(c.status())) {
    return absl::NotFoundError(
        absl::StrCat("container \"", id, "\" not found"));
  }
  if (!c.ok()) return c.status();
  auto type = (*c)->labels.find(kContainerTypeLabel);
  if (type == (*c)->labels.end() || type->second != kContainerTypeContainer) {
    return absl::NotFoundError(absl::StrCat(
        "container \"", id, "\" not found (docker has it, but it is not a ",
        "CRI container)"));
  }
  return **c;
}

void RuntimeService::ContainerChanged(const std::string& id) {
  view_->Invalidate(id);
}

std::string RuntimeService::VerboseInfo(const CallContext& ctx,
                                        const docker::ContainerInspect& c) {
  if (!c.raw_json.empty()) return c.raw_json;
  absl::StatusOr<docker::ContainerInspect> fresh =
      docker_->InspectContainer(c.id, DockerDeadline(ctx));
  return fresh.ok() ? fresh->raw_json : "";
}

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

absl::Status RuntimeService::ValidateStreams(bool tty, bool stdin, bool stdout,
                                             bool stderr) {
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

absl::StatusOr<RuntimeService::SandboxInfo> RuntimeService::FindSandbox(
    const CallContext& ctx, const std::string& id) {
  RETURN_IF_ERROR(ValidateId("pod_sandbox_id", id));
  SandboxInfo info;
  absl::StatusOr<container_view::InspectPtr> c =
      view_->InspectContainer(id, DockerDeadline(ctx));
  if (c.ok() && IsSandboxContainer(**c)) {
    info.id = (*c)->id;
    info.host_network = (*c)->network_mode == "host";
    info.container = **c;
  } else if (c.ok() || absl::IsNotFound(c.status())) {
    // Not a sandbox, or gone: a checkpoint may still remember it.
    ASSIGN_OR_RETURN(std::vector<std::string> ids, checkpoints_->List());
    for (const std::string& known : ids) {
      if (absl::StartsWith(known, id)) {
        if (!info.id.empty()) {
          return absl::InvalidArgumentError(
              absl::StrCat("pod_sandbox_id \"", id, "\" is ambiguous"));
        }
        info.id = known;
      }
    }
    if (info.id.empty()) {
      return absl::NotFoundError(
          absl::StrCat("pod sandbox \"", id, "\" not found"));
    }
  } else {
    return c.status();
  }
  absl::StatusOr<store::SandboxCheckpoint> cp = checkpoints_->Read(info.id);
  if (cp.ok()) {
    info.checkpoint = *std::move(cp);
    info.host_network = info.host_network || info.checkpoint->host_network;
  } else if (!absl::IsNotFound(cp.status())) {
    LOG(WARNING) << "sandbox " << info.id << ": " << cp.status();
  }
  if (!info.container && !info.checkpoint) {
    return absl::NotFoundError(
        absl::StrCat("pod sandbox \"", id, "\" not found"));
  }
  return info;
}

absl::StatusOr<KeyedMutex::Lock> RuntimeService::LockSandbox(
    const CallContext& ctx, const std::string& id) {
  absl::StatusOr<KeyedMutex::Lock> lock =
      sandbox_locks_.Acquire(id, DockerDeadline(ctx));
  if (!lock.ok()) {
    return absl::DeadlineExceededError(absl::StrCat(
        "pod sandbox ", id,
        " is still being run, stopped or removed by another call"));
  }
  return lock;
}

network::PodNetworkRequest RuntimeService::NetworkRequest(
    const SandboxInfo& sandbox) const {
  network::PodNetworkRequest req;
  req.sandbox_id = sandbox.id;
  if (sandbox.checkpoint) {
    req.pod_name = sandbox.checkpoint->name;
    req.pod_namespace = sandbox.checkpoint->ns;
    for (const store::CheckpointPortMapping& m :
         sandbox.checkpoint->port_mappings) {
      network::PortMapping p;
      p.protocol = m.protocol.value_or("tcp");
      p.container_port = m.container_port.value_or(0);
      p.host_port = m.host_port.value_or(0);
      p.host_ip = m.host_ip;
      req.port_mappings.push_back(std::move(p));
    }
  }
  if (sandbox.container) {
    const docker::ContainerInspect& c = *sandbox.container;
    if (absl::StatusOr<NameParts> parts = ParseName(c.name); parts.ok()) {
      req.pod_name = parts->pod;
      req.pod_namespace = parts->ns;
      req.pod_uid = parts->uid;
    }
    req.annotations = ExtractLabels(c.labels).second;
    if (c.state.running && c.state.pid > 0) {
      req.netns_path = absl::StrCat("/proc/", c.state.pid, "/ns/net");
    }
  }
  return req;
}

std::vector<std::string> RuntimeService::SandboxIps(
    const CallContext& ctx, const SandboxInfo& sandbox) {
  std::vector<std::string> ips;
  if (sandbox.host_network || !sandbox.container) return ips;
  if (network_->Name() != "cni") {
    for (const auto& [name, endpoint] : sandbox.container->networks) {
      if (!endpoint.ip_address.empty()) ips.push_back(endpoint.ip_address);
      if (!endpoint.global_ipv6_address.empty()) {
        ips.push_back(endpoint.global_ipv6_address);
      }
    }
    return ips;
  }
  absl::StatusOr<network::PodNetworkStatus> status =
      network_->GetPodNetworkStatus(NetworkRequest(sandbox),
                                    DockerDeadline(ctx));
  if (!status.ok()) {
    LOG(DEBUG) << "sandbox " << sandbox.id << ": no IPs: " << status.status();
    return ips;
  }
  return status->ips;
}

}  // namespace cri_dockerd
