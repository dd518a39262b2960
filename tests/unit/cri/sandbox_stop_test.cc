// StopPodSandbox against the fake docker client and a fake network plugin:
// the network is torn down, also when the infra container is gone.
#include "tests/unit/cri/pod_fixture.h"

namespace cri_dockerd {
namespace {

using SandboxTest = testing_util::PodTest;

TEST_F(SandboxTest, StopTearsDownAndIsIdempotent) {
  absl::StatusOr<std::string> id = Run(Request());
  ASSERT_TRUE(id.ok());
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(*id);
  ASSERT_TRUE(service_->StopPodSandbox(Ctx(), stop).ok());
  ASSERT_EQ(net_.TearDowns().size(), 1u);
  EXPECT_EQ(net_.TearDowns()[0].sandbox_id, *id);
  EXPECT_FALSE(
      docker_.InspectContainer(*id, absl::InfiniteFuture())->state.running);
  ASSERT_TRUE(service_->StopPodSandbox(Ctx(), stop).ok()) << "twice";
  // Stop by unique prefix.
  stop.set_pod_sandbox_id(id->substr(0, 12));
  EXPECT_TRUE(service_->StopPodSandbox(Ctx(), stop).ok());
  stop.set_pod_sandbox_id("0123456789ab");
  EXPECT_EQ(service_->StopPodSandbox(Ctx(), stop).status().code(),
            absl::StatusCode::kNotFound);
  stop.set_pod_sandbox_id("../../etc");
  EXPECT_EQ(service_->StopPodSandbox(Ctx(), stop).status().code(),
            absl::StatusCode::kInvalidArgument);
  stop.set_pod_sandbox_id("");
  EXPECT_EQ(service_->StopPodSandbox(Ctx(), stop).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(SandboxTest, StopWithTheContainerGoneStillTearsDownTheNetwork) {
  absl::StatusOr<std::string> id = Run(Request());
  ASSERT_TRUE(id.ok());
  ASSERT_TRUE(
      docker_.RemoveContainer(*id, true, true, absl::InfiniteFuture()).ok());
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(*id);
  ASSERT_TRUE(service_->StopPodSandbox(Ctx(), stop).ok());
  ASSERT_EQ(net_.TearDowns().size(), 1u);
  EXPECT_EQ(net_.TearDowns()[0].pod_name, "web");
  EXPECT_EQ(net_.TearDowns()[0].netns_path, "");
}

}  // namespace
}  // namespace cri_dockerd
