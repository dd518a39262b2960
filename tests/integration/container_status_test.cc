// What ContainerStatus reports of a container's settings on the real
// dockerd: the limits in force before and after an in-place resize (what
// kubelet 1.33+ reads to confirm one), and the stop signal, which docker
// must also send on StopContainer, real-time signals included; the image
// spec as kubelet sent it.
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_fixture.h"

namespace cri_dockerd::testing_support {
namespace {

class ContainerStatusTest : public CriTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartCri());
    sandbox_ = RunPod(PodConfig("status"));
    ASSERT_FALSE(sandbox_.empty());
  }

  std::string sandbox_;
};

// kubelet 1.30+ creates a container from the image ID, with the name the
// pod asked for in user_specified_image; the status gives the spec back.
TEST_F(ContainerStatusTest, ImageSpecAsKubeletSendsIt) {
  v1::ContainerConfig c = Busybox("spec", "sleep 600");
  const std::string name = c.image().image();
  v1::ImageStatusRequest ask;
  ask.mutable_image()->set_image(name);
  v1::ImageStatusResponse image;
  ASSERT_TRUE(cri_.images->ImageStatus(Ctx().get(), ask, &image).ok());
  ASSERT_TRUE(image.has_image());
  EXPECT_EQ(image.image().spec().user_specified_image(), name);
  c.mutable_image()->set_image(image.image().id());
  c.mutable_image()->set_user_specified_image(name);
  (*c.mutable_image()->mutable_annotations())["io.example/checked"] = "yes";
  const std::string id = StartContainer(sandbox_, c);
  ASSERT_FALSE(id.empty());
  v1::ContainerStatus st = StatusOf(id);
  EXPECT_EQ(st.image().user_specified_image(), name);
  EXPECT_EQ(st.image().annotations().at("io.example/checked"), "yes");
  EXPECT_EQ(st.image_id(), image.image().id());
  EXPECT_EQ(st.annotations().size(), 0u) << "the spec's are not the pod's";

  v1::ListContainersRequest list;
  list.mutable_filter()->set_id(id);
  v1::ListContainersResponse listed;
  ASSERT_TRUE(runtime_->ListContainers(Ctx().get(), list, &listed).ok());
  ASSERT_EQ(listed.containers_size(), 1);
  EXPECT_EQ(listed.containers(0).image().user_specified_image(), name);
}

TEST_F(ContainerStatusTest, ResizeIsReported) {
  v1::ContainerConfig c = Busybox("sized", "sleep 600");
  v1::LinuxContainerResources* r = c.mutable_linux()->mutable_resources();
  r->set_cpu_period(100000);
  r->set_cpu_quota(50000);
  r->set_cpu_shares(512);
  r->set_memory_limit_in_bytes(64 << 20);
  r->set_oom_score_adj(100);
  const std::string id = StartContainer(sandbox_, c);
  ASSERT_FALSE(id.empty());
  v1::ContainerStatus st = StatusOf(id);
  ASSERT_EQ(st.state(), v1::CONTAINER_RUNNING);
  ASSERT_TRUE(st.resources().has_linux()) << st.DebugString();
  EXPECT_EQ(st.resources().linux().cpu_period(), 100000);
  EXPECT_EQ(st.resources().linux().cpu_quota(), 50000);
  EXPECT_EQ(st.resources().linux().cpu_shares(), 512);
  EXPECT_EQ(st.resources().linux().memory_limit_in_bytes(), 64 << 20);
  EXPECT_EQ(st.resources().linux().oom_score_adj(), 100);
  // busybox has no STOPSIGNAL: docker's default.
  EXPECT_EQ(v1::Signal_Name(st.stop_signal()), "SIGTERM");

  v1::UpdateContainerResourcesRequest up;
  up.set_container_id(id);
  up.mutable_linux()->set_cpu_period(100000);
  up.mutable_linux()->set_cpu_quota(150000);
  up.mutable_linux()->set_cpu_shares(1536);
  up.mutable_linux()->set_memory_limit_in_bytes(128 << 20);
  v1::UpdateContainerResourcesResponse ur;
  grpc::Status s = runtime_->UpdateContainerResources(Ctx().get(), up, &ur);
  ASSERT_TRUE(s.ok()) << s.error_message();
  // Read back at once, as kubelet does after a resize.
  st = StatusOf(id);
  EXPECT_EQ(st.resources().linux().cpu_period(), 100000);
  EXPECT_EQ(st.resources().linux().cpu_quota(), 150000);
  EXPECT_EQ(st.resources().linux().cpu_shares(), 1536);
  EXPECT_EQ(st.resources().linux().memory_limit_in_bytes(), 128 << 20);
}

TEST_F(ContainerStatusTest, RealTimeStopSignalReachesTheContainer) {
  // docker's SIGRTMIN+1 is signal 35. Without the trap running, busybox's
  // sh (PID 1) would ignore the signal and be killed at the timeout, with
  // exit code 137.
  v1::ContainerConfig c =
      Busybox("trapper",
              "trap 'echo trapped-35; exit 0' 35; echo ready; "
              "while true; do sleep 0.1; done");
  c.set_stop_signal(v1::SIGRTMINPLUS1);
  const std::string id = StartContainer(sandbox_, c);
  ASSERT_FALSE(id.empty());
  EXPECT_EQ(v1::Signal_Name(StatusOf(id).stop_signal()), "SIGRTMINPLUS1");
  ASSERT_TRUE(LogShows("trapper", "ready")) << "the trap is set";

  v1::StopContainerRequest stop;
  stop.set_container_id(id);
  stop.set_timeout(30);
  v1::StopContainerResponse sr;
  const absl::Time t0 = absl::Now();
  grpc::Status s =
      runtime_->StopContainer(Ctx(absl::Seconds(90)).get(), stop, &sr);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_LT(absl::Now() - t0, absl::Seconds(15)) << "trapped at once";
  const v1::ContainerStatus st = StatusOf(id);
  EXPECT_EQ(st.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(st.exit_code(), 0);
  EXPECT_EQ(v1::Signal_Name(st.stop_signal()), "SIGRTMINPLUS1");
  EXPECT_TRUE(LogShows("trapper", "trapped-35"));
}

}  // namespace
}  // namespace cri_dockerd::testing_support
