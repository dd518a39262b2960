#include "cri/network/noop_plugin.h"

namespace cri_dockerd::network {

void NoopNetworkPlugin::SetPodCidr(const std::string& cidr) {
  absl::MutexLock lock(&mu_);
  pod_cidr_ = cidr;
}

std::string NoopNetworkPlugin::PodCidr() const {
  absl::MutexLock lock(&mu_);
  return pod_cidr_;
}

}  // namespace cri_dockerd::network
