// --network-plugin="" / no-op: pods use docker's own bridge network, so the
// network is ready whenever docker is.
#pragma once

#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "cri/network/network_plugin.h"

namespace cri_dockerd::network {

class NoopNetworkPlugin : public NetworkPlugin {
 public:
  std::string Name() const override { return "no-op"; }
  absl::Status Ready() override { return absl::OkStatus(); }
  void SetPodCidr(const std::string& cidr) override;
  std::string PodCidr() const override;
  // Docker's bridge does everything; these report nothing of their own.
  absl::StatusOr<PodNetworkStatus> SetUpPod(const PodNetworkRequest& pod,
                                            absl::Time deadline) override {
    return PodNetworkStatus{};
  }
  absl::Status TearDownPod(const PodNetworkRequest& pod,
                           absl::Time deadline) override {
    return absl::OkStatus();
  }
  absl::StatusOr<PodNetworkStatus> GetPodNetworkStatus(
      const PodNetworkRequest& pod, absl::Time deadline) override {
    return PodNetworkStatus{};
  }

 private:
  mutable absl::Mutex mu_;
  std::string pod_cidr_ ABSL_GUARDED_BY(mu_);
};

}  // namespace cri_dockerd::network
