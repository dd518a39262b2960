// The seam between the CRI services and pod networking. The CNI driver and
// the no-op (docker bridge) mode implement it; pod set-up/tear-down methods
// join it as the sandbox verbs arrive.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "cri/base/fault_point.h"

namespace cri_dockerd::network {

// A published port of a pod.
struct PortMapping {
  std::string protocol = "tcp";  // "tcp", "udp", "sctp"
  int container_port = 0;
  int host_port = 0;  // 0: not published on the host
  std::string host_ip;
};

// The pod's DNS settings (CRI DNSConfig), for plugins with the dns
// capability.
struct DnsSettings {
  std::vector<std::string> servers;
  std::vector<std::string> searches;
  std::vector<std::string> options;
};

// Everything a plugin needs to attach or detach one pod.
struct PodNetworkRequest {
  std::string pod_namespace;
  std::string pod_name;
  std::string pod_uid;
  std::string sandbox_id;  // the full docker container ID, always
  // "/proc/<pid>/ns/net" of the infra container; may be empty on
  // teardown when the container is gone.
  std::string netns_path;
  std::map<std::string, std::string> annotations;  // bandwidth annotations
  std::vector<PortMapping> port_mappings;
  DnsSettings dns;
};

// The pod's addresses, primary first (IPv4 before IPv6).
struct PodNetworkStatus {
  std::vector<std::string> ips;
};

class NetworkPlugin {
 public:
  virtual ~NetworkPlugin() = default;

  // Name as given to --network-plugin ("cni", "no-op").
  virtual std::string Name() const = 0;

  // OK when pods can be networked now; otherwise a status whose message
  // says why (reported as NetworkReady=false by Status).
  virtual absl::Status Ready() = 0;

  // Pod CIDR from UpdateRuntimeConfig or --pod-cidr; empty if unknown.
  virtual void SetPodCidr(const std::string& cidr) = 0;
  virtual std::string PodCidr() const = 0;

  // Attaches the pod (CNI ADD), returning its addresses. On failure the
  // plugin has undone what it did (DEL), so nothing is left half-made.
  virtual absl::StatusOr<PodNetworkStatus> SetUpPod(
      const PodNetworkRequest& pod, absl::Time deadline) = 0;

  // Detaches the pod (CNI DEL). Idempotent: twice, or after the container
  // and its netns are gone, is success.
  virtual absl::Status TearDownPod(const PodNetworkRequest& pod,
                                   absl::Time deadline) = 0;

  // The pod's current addresses, read in-process (no helper processes);
  // empty when the plugin does not manage addresses (no-op mode: docker's
  // bridge) or the netns is gone.
  virtual absl::StatusOr<PodNetworkStatus> GetPodNetworkStatus(
      const PodNetworkRequest& pod, absl::Time deadline) = 0;
};

struct NetworkSettings {
  std::string plugin_name = "cni";
  std::string cni_conf_dir = "/etc/cni/net.d";
  std::string cni_bin_dirs = "/opt/cni/bin";  // comma-separated
  std::string cni_cache_dir = "/var/lib/cni/cache";
  std::string pod_cidr;
  // Test-only: told when a CNI ADD is half done (fault_step::kRunMidCniAdd).
  FaultPoint fault_point;
};

// Builds the plugin named in settings. Unknown names, and kubenet (which
// this shim does not implement), are InvalidArgument with a message saying
// what to use instead.
absl::StatusOr<std::unique_ptr<NetworkPlugin>> CreateNetworkPlugin(
    const NetworkSettings& settings);

}  // namespace cri_dockerd::network
