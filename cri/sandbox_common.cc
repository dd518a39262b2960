// What the sandbox verbs share: finding a sandbox by ID (its infra
// container and/or checkpoint), the network plugin's view of it, its IPs,
// and stopping it.
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "cri/naming.h"
#include "cri/runtime_service.h"

namespace cri_dockerd {
namespace {

// Application containers get this long to stop when their pod is stopped
// before them (kubelet normally stops them first).
constexpr absl::Duration kContainerStopGrace = absl::Seconds(2);
// The infra (pause) process exits on SIGTERM at once; SIGKILL after this.
constexpr absl::Duration kSandboxStopGrace = absl::Seconds(10);

bool IsSandboxContainer(const docker::ContainerInspect& c) {
  auto it = c.labels.find(kContainerTypeLabel);
  return it != c.labels.end() && it->second == kContainerTypeSandbox;
}

}  // namespace

absl::StatusOr<RuntimeService::SandboxInfo> RuntimeService::FindSandbox(
    const CallContext& ctx, const std::string& id) {
  RETURN_IF_ERROR(ValidateId("pod_sandbox_id", id));
  SandboxInfo info;
  absl::StatusOr<docker::ContainerInspect> c =
      docker_->InspectContainer(id, DockerDeadline(ctx));
  if (c.ok() && IsSandboxContainer(*c)) {
    info.id = c->id;
    info.host_network = c->network_mode == "host";
    info.container = *std::move(c);
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

absl::Status RuntimeService::StopSandbox(const CallContext& ctx,
                                         const SandboxInfo& sandbox) {
  const absl::Time deadline = DockerDeadline(ctx);
  if (!sandbox.host_network) {
    absl::Status torn =
        network_->TearDownPod(NetworkRequest(sandbox), deadline);
    if (!torn.ok()) {
      return absl::Status(torn.code(),
                          absl::StrCat("tearing down the network of sandbox ",
                                       sandbox.id, ": ", torn.message()));
    }
  }
  docker::ListContainersOptions list;
  list.all = false;  // running ones only
  list.filters["label"] = {absl::StrCat(kSandboxIdLabel, "=", sandbox.id)};
  ASSIGN_OR_RETURN(std::vector<docker::ContainerSummary> members,
                   docker_->ListContainers(list, deadline));
  for (const docker::ContainerSummary& m : members) {
    absl::Status s = docker_->StopContainer(m.id, kContainerStopGrace,
                                            deadline + kContainerStopGrace);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  if (sandbox.container) {
    absl::Status s = docker_->StopContainer(sandbox.id, kSandboxStopGrace,
                                            deadline + kSandboxStopGrace);
    if (!s.ok() && !absl::IsNotFound(s)) return s;
  }
  return absl::OkStatus();
}

}  // namespace cri_dockerd
