// The List/Status verbs served by the container view once the docker
// watch runs (StartDockerWatch): no docker call in steady state, changes
// made behind the shim's back shown once docker's event arrives, the
// shim's own changes shown before it does, and docker asked directly while
// the event stream is broken.
#include <functional>
#include <string>
#include <vector>

#include "tests/poll_until.h"
#include "tests/unit/cri/container_fixture.h"

namespace cri_dockerd {
namespace {

using testing_util::ContainerTest;
using testing_util::PollUntil;

absl::Time Soon() { return absl::Now() + absl::Seconds(5); }

class ViewTest : public ContainerTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(ContainerTest::SetUp());
    absl::StatusOr<std::string> id = CreateC(Create("app"));
    ASSERT_TRUE(id.ok()) << id.status();
    app_ = *id;
    v1::StartContainerRequest start;
    start.set_container_id(app_);
    ASSERT_TRUE(service_->StartContainer(Ctx(), start).ok());
    ASSERT_TRUE(service_->StartDockerWatch().ok());
    ASSERT_TRUE(PollUntil([&] { return Quiet(); }))
        << "the verbs never stopped asking docker";
  }
  void TearDown() override { service_->StopContainerEvents(); }

  // The polls kubelet makes: both lists and both statuses; whether all
  // succeeded.
  bool ReadAll() {
    v1::PodSandboxStatusRequest pod;
    pod.set_pod_sandbox_id(sandbox_);
    const bool pods = service_->ListPodSandbox(Ctx(), {}).ok();
    const bool containers = service_->ListContainers(Ctx(), {}).ok();
    const bool pod_status = service_->PodSandboxStatus(Ctx(), pod).ok();
    return pods && containers && pod_status && StatusOf(app_).ok();
  }
  // Whether one round of the polls made no docker call.
  bool Quiet() {
    docker_.ResetCalls();
    const bool ok = ReadAll();
    return ok && docker_.Calls().empty();
  }
  // The state ListContainers reports for `id` (UNKNOWN if not listed).
  v1::ContainerState Listed(const std::string& id) {
    absl::StatusOr<v1::ListContainersResponse> resp =
        service_->ListContainers(Ctx(), {});
    if (!resp.ok()) return v1::CONTAINER_UNKNOWN;
    for (const v1::Container& c : resp->containers()) {
      if (c.id() == id) return c.state();
    }
    return v1::CONTAINER_UNKNOWN;
  }
  // The state ContainerStatus reports for `id` (UNKNOWN if NotFound).
  v1::ContainerState Status(const std::string& id) {
    absl::StatusOr<v1::ContainerStatus> st = StatusOf(id);
    return st.ok() ? st->state() : v1::CONTAINER_UNKNOWN;
  }
  // Both reports.
  bool Shows(const std::string& id, v1::ContainerState state) {
    return Listed(id) == state && Status(id) == state;
  }

  std::string app_;
};

TEST_F(ViewTest, TheFourVerbsMakeNoDockerCallsInSteadyState) {
  for (int i = 0; i < 20; ++i) {
    docker_.ResetCalls();
    EXPECT_TRUE(ReadAll());
    EXPECT_EQ(docker_.Calls(), std::vector<std::string>{}) << "round " << i;
  }
  // And the answers are docker's.
  EXPECT_TRUE(Shows(app_, v1::CONTAINER_RUNNING));
  v1::PodSandboxStatusRequest pod;
  pod.set_pod_sandbox_id(sandbox_);
  EXPECT_EQ(service_->PodSandboxStatus(Ctx(), pod)->status().state(),
            v1::SANDBOX_READY);
}

TEST_F(ViewTest, ChangesBehindTheShimsBackShowOnceDockerSaysSo) {
  struct Case {
    const char* what;
    std::function<void(const std::string& id)> change;
    v1::ContainerState want;
  };
  const std::vector<Case> cases = {
      {"docker stop",
       [&](const std::string& id) {
         ASSERT_TRUE(docker_.StopContainer(id, absl::Seconds(1), Soon()).ok());
       },
       v1::CONTAINER_EXITED},
      {"docker kill (the process dies)",
       [&](const std::string& id) {
         docker::ContainerState dead;
         dead.status = "exited";
         dead.exit_code = 137;
         dead.started_at = "2024-01-01T00:00:00Z";
         dead.finished_at = "2024-01-01T00:00:01Z";
         docker_.SetContainerState(id, dead);
         docker_.EmitContainerEvent(id, "kill", {{"signal", "9"}});
         docker_.EmitContainerEvent(id, "die", {{"exitCode", "137"}});
       },
       v1::CONTAINER_EXITED},
      {"docker rm -f",
       [&](const std::string& id) {
         ASSERT_TRUE(docker_.RemoveContainer(id, true, true, Soon()).ok());
       },
       v1::CONTAINER_UNKNOWN},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    absl::StatusOr<std::string> id = CreateC(Create("victim"));
    ASSERT_TRUE(id.ok()) << id.status();
    v1::StartContainerRequest start;
    start.set_container_id(*id);
    ASSERT_TRUE(service_->StartContainer(Ctx(), start).ok());
    ASSERT_TRUE(Shows(*id, v1::CONTAINER_RUNNING));
    c.change(*id);
    EXPECT_TRUE(PollUntil([&] { return Shows(*id, c.want); }));
    if (c.want != v1::CONTAINER_UNKNOWN) {
      ASSERT_TRUE(docker_.RemoveContainer(*id, true, true, Soon()).ok());
    }
    ASSERT_TRUE(PollUntil([&] { return Shows(*id, v1::CONTAINER_UNKNOWN); }));
  }
  // `docker run` of a kubernetes-named container: listed as it runs.
  docker::ContainerCreateConfig config = *docker_.CreatedConfig(app_);
  config.name = "k8s_extra_web_default_uid-web_9";
  absl::StatusOr<std::string> extra = docker_.CreateContainer(config, Soon());
  ASSERT_TRUE(extra.ok()) << extra.status();
  ASSERT_TRUE(docker_.StartContainer(*extra, Soon()).ok());
  EXPECT_TRUE(PollUntil([&] { return Shows(*extra, v1::CONTAINER_RUNNING); }));
  // And back to steady state.
  EXPECT_TRUE(PollUntil([&] { return Quiet(); }));
}

TEST_F(ViewTest, TheShimsOwnChangesShowBeforeDockersEvents) {
  docker_.HoldEvents(true);
  v1::StopContainerRequest stop;
  stop.set_container_id(app_);
  ASSERT_TRUE(service_->StopContainer(Ctx(), stop).ok());
  EXPECT_TRUE(Shows(app_, v1::CONTAINER_EXITED));

  absl::StatusOr<std::string> id = CreateC(Create("second"));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_TRUE(Shows(*id, v1::CONTAINER_CREATED));
  v1::StartContainerRequest start;
  start.set_container_id(*id);
  ASSERT_TRUE(service_->StartContainer(Ctx(), start).ok());
  EXPECT_TRUE(Shows(*id, v1::CONTAINER_RUNNING));
  v1::UpdateContainerResourcesRequest update;
  update.set_container_id(*id);
  update.mutable_linux()->set_cpu_shares(512);
  ASSERT_TRUE(service_->UpdateContainerResources(Ctx(), update).ok());
  v1::RemoveContainerRequest rm;
  rm.set_container_id(*id);
  ASSERT_TRUE(service_->RemoveContainer(Ctx(), rm).ok());
  EXPECT_TRUE(Shows(*id, v1::CONTAINER_UNKNOWN));

  v1::PodSandboxStatusRequest pod;
  pod.set_pod_sandbox_id(sandbox_);
  v1::StopPodSandboxRequest stop_pod;
  stop_pod.set_pod_sandbox_id(sandbox_);
  ASSERT_TRUE(service_->StopPodSandbox(Ctx(), stop_pod).ok());
  EXPECT_EQ(service_->PodSandboxStatus(Ctx(), pod)->status().state(),
            v1::SANDBOX_NOTREADY);
  absl::StatusOr<std::string> other = Run(Request("other"));
  ASSERT_TRUE(other.ok()) << other.status();
  absl::StatusOr<v1::ListPodSandboxResponse> pods =
      service_->ListPodSandbox(Ctx(), {});
  ASSERT_TRUE(pods.ok());
  ASSERT_EQ(pods->items_size(), 2);
  for (const v1::PodSandbox& s : pods->items()) {
    EXPECT_EQ(s.state(),
              s.id() == *other ? v1::SANDBOX_READY : v1::SANDBOX_NOTREADY);
  }
  v1::RemovePodSandboxRequest rm_pod;
  rm_pod.set_pod_sandbox_id(sandbox_);
  ASSERT_TRUE(service_->RemovePodSandbox(Ctx(), rm_pod).ok());
  EXPECT_EQ(service_->PodSandboxStatus(Ctx(), pod).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(Status(app_), v1::CONTAINER_UNKNOWN);
  docker_.HoldEvents(false);
  // The listings settle again (the statuses of what is gone ask docker).
  EXPECT_TRUE(PollUntil([&] {
    docker_.ResetCalls();
    service_->ListContainers(Ctx(), {}).IgnoreError();
    service_->ListPodSandbox(Ctx(), {}).IgnoreError();
    return docker_.Calls().empty();
  }));
}

TEST_F(ViewTest, ABrokenEventStreamFallsBackToDockerAndRebuilds) {
  // dockerd goes away.
  docker_.InjectError("Ping", absl::UnavailableError("docker down"));
  docker_.InjectError("StreamEvents", absl::UnavailableError("docker down"));
  docker_.BreakEventStreams(absl::UnavailableError("connection reset"));
  // Every read asks docker from now on.
  ASSERT_TRUE(PollUntil([&] {
    docker_.ResetCalls();
    Listed(app_);
    return docker_.CallCount("ListContainers") == 1;
  }));
  for (int i = 0; i < 3; ++i) {
    docker_.ResetCalls();
    Listed(app_);
    EXPECT_EQ(docker_.CallCount("ListContainers"), 1);
  }
  // It comes back restarted, without the history of what changed.
  ASSERT_TRUE(docker_.StopContainer(app_, absl::Seconds(1), Soon()).ok());
  absl::StatusOr<std::string> id = CreateC(Create("new"));
  ASSERT_TRUE(id.ok()) << id.status();
  docker_.ClearEventHistory();
  EXPECT_TRUE(Shows(app_, v1::CONTAINER_EXITED)) << "docker answers";
  docker_.ClearError("Ping");
  docker_.ClearError("StreamEvents");
  // Rebuilt from a listing: steady again, and nothing lost.
  ASSERT_TRUE(PollUntil([&] { return Quiet(); }));
  EXPECT_TRUE(Shows(app_, v1::CONTAINER_EXITED));
  EXPECT_TRUE(Shows(*id, v1::CONTAINER_CREATED));
  docker_.ResetCalls();
  EXPECT_TRUE(Shows(*id, v1::CONTAINER_CREATED));
  EXPECT_EQ(docker_.CallCount("ListContainers"), 0);
}

TEST_F(ViewTest, ImageReferencesFollowImageEvents) {
  constexpr char kDigest[] = "localhost:5000/app@sha256:abcd";
  absl::StatusOr<v1::ContainerStatus> st = StatusOf(app_);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->image_ref(), kDigest);
  // The digest goes behind the shim's back: the status then gives the
  // image ID, once docker's "untag" event emptied the image cache.
  ASSERT_TRUE(docker_.RemoveImage(kDigest, false, Soon()).ok());
  EXPECT_TRUE(PollUntil([&] {
    absl::StatusOr<v1::ContainerStatus> now = StatusOf(app_);
    return now.ok() && now->image_ref() == testing_util::kAppImageId;
  }));
}

}  // namespace
}  // namespace cri_dockerd
