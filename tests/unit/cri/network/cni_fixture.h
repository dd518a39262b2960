// The fixture of the CNI driver's ADD and DEL tests: fake CNI plugins
// (cri/network/testing/fake_cni.h) and a scratch network namespace for
// one pod.
#pragma once

#include <unistd.h>

#include <string>

#include "absl/time/clock.h"
#include "cri/network/cni_json.h"
#include "cri/network/testing/fake_cni.h"
#include "gtest/gtest.h"

namespace cri_dockerd::network {

// Raw JSON member `key` of the object `json` ("" if absent or not JSON).
inline std::string Member(const std::string& json, const std::string& key) {
  auto members = SplitJsonObject(json);
  return members.ok() ? FindMember(*members, key) : "";
}

class FakeCniTest : public ::testing::Test, public FakeCni {
 protected:
  static constexpr char kId[] =
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  void SetUp() override {
    if (geteuid() != 0) GTEST_SKIP() << "needs root (network namespaces)";
    ASSERT_TRUE(netns_.ready()) << "cannot create a network namespace";
  }

  PodNetworkRequest Pod() const {
    PodNetworkRequest pod;
    pod.pod_namespace = "ns1";
    pod.pod_name = "web";
    pod.pod_uid = "uid-1";
    pod.sandbox_id = kId;
    pod.netns_path = netns_.path();
    return pod;
  }
  std::string CacheFile(const std::string& network) const {
    return FakeCni::CacheFile(network, kId);
  }
  static absl::Time Deadline() { return absl::Now() + absl::Seconds(20); }

  ScratchNetns netns_;
};

}  // namespace cri_dockerd::network
