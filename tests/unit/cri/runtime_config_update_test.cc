// UpdateRuntimeConfig: the pod CIDR reaches the network plugin.
#include "tests/unit/cri/test_util.h"

namespace cri_dockerd {
namespace {

using testing_util::RuntimeServiceTest;
using RuntimeConfigTest = RuntimeServiceTest;

TEST_F(RuntimeConfigTest, UpdateRuntimeConfigKeepsPodCidr) {
  v1::UpdateRuntimeConfigRequest req;
  req.mutable_runtime_config()->mutable_network_config()->set_pod_cidr(
      "10.244.3.0/24");
  ASSERT_TRUE(service_->UpdateRuntimeConfig(Ctx(), req).ok());
  EXPECT_EQ(network_->PodCidr(), "10.244.3.0/24");
  // An empty request changes nothing and is not an error.
  ASSERT_TRUE(service_->UpdateRuntimeConfig(Ctx(), {}).ok());
  EXPECT_EQ(network_->PodCidr(), "10.244.3.0/24");
  EXPECT_TRUE(docker_.Calls().empty()) << "no docker call needed";
}

}  // namespace
}  // namespace cri_dockerd
