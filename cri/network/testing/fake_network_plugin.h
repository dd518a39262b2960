// A NetworkPlugin for the tests of the CRI verbs: records set-up and tear-down
// requests, answers with canned IPs, fails on demand, can hold set-ups
// until released, and counts tear-downs that overlapped a set-up of the
// same sandbox.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "cri/network/network_plugin.h"

namespace cri_dockerd::network {

class FakeNetworkPlugin : public NetworkPlugin {
 public:
  std::string Name() const override { return "cni"; }
  absl::Status Ready() override { return absl::OkStatus(); }
  void SetPodCidr(const std::string& cidr) override { cidr_ = cidr; }
  std::string PodCidr() const override { return cidr_; }

  absl::StatusOr<PodNetworkStatus> SetUpPod(const PodNetworkRequest& pod,
                                            absl::Time deadline) override {
    absl::MutexLock lock(&mu_);
    setups_.push_back(pod);
    ++setting_up_[pod.sandbox_id];
    if (hold_setups_) {
      ++held_;
      mu_.Await(absl::Condition(
          +[](bool* hold) { return !*hold; }, &hold_setups_));
      --held_;
    }
    --setting_up_[pod.sandbox_id];
    if (!setup_error_.ok()) return setup_error_;
    return PodNetworkStatus{ips_};
  }
  absl::Status TearDownPod(const PodNetworkRequest& pod,
                           absl::Time deadline) override {
    absl::MutexLock lock(&mu_);
    teardowns_.push_back(pod);
    if (setting_up_[pod.sandbox_id] > 0) ++overlaps_;
    return teardown_error_;
  }
  absl::StatusOr<PodNetworkStatus> GetPodNetworkStatus(
      const PodNetworkRequest& pod, absl::Time deadline) override {
    absl::MutexLock lock(&mu_);
    return PodNetworkStatus{ips_};
  }

  void SetIps(std::vector<std::string> ips) {
    absl::MutexLock lock(&mu_);
    ips_ = std::move(ips);
  }
  void FailSetUp(absl::Status s) {
    absl::MutexLock lock(&mu_);
    setup_error_ = std::move(s);
  }
  void FailTearDown(absl::Status s) {
    absl::MutexLock lock(&mu_);
    teardown_error_ = std::move(s);
  }
  // SetUpPod calls from now on wait (once recorded) until ReleaseSetUps.
  void HoldSetUps() {
    absl::MutexLock lock(&mu_);
    hold_setups_ = true;
  }
  void ReleaseSetUps() {
    absl::MutexLock lock(&mu_);
    hold_setups_ = false;
  }
  // SetUpPod calls waiting now.
  int HeldSetUps() const {
    absl::MutexLock lock(&mu_);
    return held_;
  }
  // TearDownPod calls made while a SetUpPod of the same sandbox ran.
  int Overlaps() const {
    absl::MutexLock lock(&mu_);
    return overlaps_;
  }
  std::vector<PodNetworkRequest> SetUps() const {
    absl::MutexLock lock(&mu_);
    return setups_;
  }
  std::vector<PodNetworkRequest> TearDowns() const {
    absl::MutexLock lock(&mu_);
    return teardowns_;
  }

 private:
  std::string cidr_;
  mutable absl::Mutex mu_;
  std::vector<std::string> ips_ ABSL_GUARDED_BY(mu_) = {"10.244.0.7"};
  absl::Status setup_error_ ABSL_GUARDED_BY(mu_);
  absl::Status teardown_error_ ABSL_GUARDED_BY(mu_);
  std::vector<PodNetworkRequest> setups_ ABSL_GUARDED_BY(mu_);
  std::vector<PodNetworkRequest> teardowns_ ABSL_GUARDED_BY(mu_);
  bool hold_setups_ ABSL_GUARDED_BY(mu_) = false;
  int held_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<std::string, int> setting_up_ ABSL_GUARDED_BY(mu_);
  int overlaps_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace cri_dockerd::network
