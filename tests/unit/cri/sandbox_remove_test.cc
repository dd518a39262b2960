// RemovePodSandbox against the fake docker client and a fake network
// plugin.
#include "tests/unit/cri/pod_fixture.h"

namespace cri_dockerd {
namespace {

using SandboxTest = testing_util::PodTest;

TEST_F(SandboxTest, RemoveTakesEverythingAndIsIdempotent) {
  absl::StatusOr<std::string> id = Run(Request());
  ASSERT_TRUE(id.ok());
  v1::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(*id);
  ASSERT_TRUE(service_->RemovePodSandbox(Ctx(), rm).ok());
  ExpectNothingLeft();
  EXPECT_TRUE(service_->RemovePodSandbox(Ctx(), rm).ok()) << "absent is fine";
}

}  // namespace
}  // namespace cri_dockerd
