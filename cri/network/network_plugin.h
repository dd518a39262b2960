// The seam between the CRI services and pod networking. The CNI driver and
// the no-op (docker bridge) mode implement it; pod set-up/tear-down methods
// join it as the sandbox verbs arrive.
#pragma once

#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace cri_dockerd::network {

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
};

struct NetworkSettings {
  std::string plugin_name = "cni";
  std::string cni_conf_dir = "/etc/cni/net.d";
  std::string cni_bin_dirs = "/opt/cni/bin";  // comma-separated
  std::string cni_cache_dir = "/var/lib/cni/cache";
  std::string pod_cidr;
  std::string hairpin_mode = "none";
  int mtu = 0;
};

// Builds the plugin named in settings. Unknown names, and kubenet (which
// this shim does not implement), are InvalidArgument with a message saying
// what to use instead.
absl::StatusOr<std::unique_ptr<NetworkPlugin>> CreateNetworkPlugin(
    const NetworkSettings& settings);

}  // namespace cri_dockerd::network
