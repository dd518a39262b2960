// The infra container's docker create config, as the Go shim builds it
// (names, labels, IPC shareable, OOM score -998, 2 CPU shares, 64 MiB
// /dev/shm, no-new-privileges), except that a pod with no linux section
// or no security context gets exactly what empty ones give: its own
// network namespace for the network plugin, never docker's bridge by
// accident.
#include "cri/convert/sandbox_config.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/status_macros.h"
#include "cri/convert/naming.h"
#include "cri/convert/security_context.h"

namespace cri_dockerd {
namespace {

constexpr int kSandboxOomScoreAdj = -998;
constexpr int64_t kSandboxCpuShares = 2;
constexpr int64_t kSandboxShmBytes = 64 * 1024 * 1024;

std::string ProtocolName(v1::Protocol p) {
  switch (p) {
    case v1::UDP:
      return "udp";
    case v1::SCTP:
      return "sctp";
    default:
      return "tcp";
  }
}

}  // namespace

bool EngineHasRuntimeHandler(const docker::EngineCapabilities& engine,
                             const std::string& handler) {
  return handler.empty() || handler == "docker" || engine.HasRuntime(handler);
}

absl::StatusOr<docker::ContainerCreateConfig> SandboxCreateConfig(
    const v1::RunPodSandboxRequest& req, const std::string& image,
    const docker::EngineCapabilities& engine, bool cni_network) {
  const v1::PodSandboxConfig& config = req.config();
  const v1::PodSandboxMetadata& meta = config.metadata();
  const v1::LinuxPodSandboxConfig& linux = config.linux();
  const v1::LinuxSandboxSecurityContext& sc = linux.security_context();
  const v1::NamespaceOption& ns = sc.namespace_options();

  docker::ContainerCreateConfig c;
  c.name = MakeSandboxName(meta.name(), meta.namespace_(), meta.uid(),
                           meta.attempt());
  c.image = image;
  c.labels =
      MakeLabels({config.labels().begin(), config.labels().end()},
                 {config.annotations().begin(), config.annotations().end()});
  c.labels[kContainerTypeLabel] = kContainerTypeSandbox;
  c.labels[kContainerNameLabel] = kSandboxContainerName;

  c.ipc_mode = ns.ipc() == v1::NODE ? "host" : "shareable";
  if (ns.pid() == v1::NODE) c.pid_mode = "host";
  if (ns.network() == v1::NODE) {
    c.network_mode = "host";  // the node's hostname, too
  } else {
    c.hostname = config.hostname();
    if (cni_network) {
      c.network_mode = "none";  // the CNI plugin adds eth0
    } else {
      // No-op mode: docker's bridge publishes the ports.
      for (const v1::PortMapping& p : config.port_mappings()) {
        const std::string port =
            absl::StrCat(p.container_port(), "/", ProtocolName(p.protocol()));
        if (std::find(c.exposed_ports.begin(), c.exposed_ports.end(), port) ==
            c.exposed_ports.end()) {
          c.exposed_ports.push_back(port);
        }
        if (p.host_port() > 0) {
          c.port_bindings.push_back(
              {port, p.host_ip(), absl::StrCat(p.host_port())});
        }
      }
    }
  }
  c.oom_score_adj = kSandboxOomScoreAdj;
  c.shm_size = kSandboxShmBytes;
  c.resources.cpu_shares = kSandboxCpuShares;
  c.sysctls = {linux.sysctls().begin(), linux.sysctls().end()};
  c.cgroup_parent =
      DockerCgroupParent(linux.cgroup_parent(), engine.cgroup_driver);

  const std::string& handler = req.runtime_handler();
  if (!EngineHasRuntimeHandler(engine, handler)) {
    return absl::InvalidArgumentError(
        absl::StrCat("runtime_handler \"", handler,
                     "\" is not a docker runtime; docker has: ",
                     absl::StrJoin(engine.runtimes, ", ")));
  }
  if (!handler.empty() && handler != "docker") c.runtime = handler;
  RETURN_IF_ERROR(ApplySandboxSecurityContext(sc, &c));
  return c;
}

}  // namespace cri_dockerd
