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

// kubelet's Stop failed or never came: Remove detaches the network
// itself, and a failed detach removes nothing, so the retry runs it
// again.
TEST_F(SandboxTest, RemoveDetachesTheNetworkEvenWithoutAStop) {
  absl::StatusOr<std::string> id = Run(Request());
  ASSERT_TRUE(id.ok());
  v1::RemovePodSandboxRequest rm;
  rm.set_pod_sandbox_id(*id);
  net_.FailTearDown(absl::UnavailableError("plugin crashed"));
  const absl::Status failed = service_->RemovePodSandbox(Ctx(), rm).status();
  EXPECT_TRUE(absl::IsUnavailable(failed)) << failed;
  EXPECT_NE(failed.message().find(*id), std::string::npos) << failed;
  EXPECT_TRUE(checkpoints_->Read(*id).ok()) << "kept for the retry";
  EXPECT_TRUE(
      docker_.InspectContainer(*id, absl::Now() + absl::Seconds(5)).ok());
  net_.FailTearDown(absl::OkStatus());
  const size_t before = net_.TearDowns().size();
  ASSERT_TRUE(service_->RemovePodSandbox(Ctx(), rm).ok());
  ASSERT_EQ(net_.TearDowns().size(), before + 1);
  EXPECT_EQ(net_.TearDowns().back().sandbox_id, *id);
  ExpectNothingLeft();
}

}  // namespace
}  // namespace cri_dockerd
