// ContainerStatus against the fake docker client, through a container's
// lifecycle (start, stop, reopen, remove) and the ways it can end; the
// stop signal, the resources (after a resize) and the image spec it
// reports.
#include <limits>

#include "tests/unit/cri/container_fixture.h"

namespace cri_dockerd {
namespace {

using testing_util::ContainerTest;
using testing_util::kAppImageId;

TEST_F(ContainerTest, LifecycleAndStatus) {
  absl::StatusOr<std::string> id = CreateC(Create());
  ASSERT_TRUE(id.ok());
  absl::StatusOr<v1::ContainerStatus> st = StatusOf(*id);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->state(), v1::CONTAINER_CREATED);
  EXPECT_EQ(st->metadata().name(), "app");
  EXPECT_EQ(st->image().image(), "localhost:5000/app:1");
  EXPECT_EQ(st->image_id(), kAppImageId);
  EXPECT_EQ(st->log_path(), logs_.path() + "/app/0.log");
  EXPECT_EQ(st->labels().at("tier"), "front");
  EXPECT_EQ(st->labels().count("io.kubernetes.sandbox.id"), 0u);
  EXPECT_EQ(st->annotations().at("owner"), "me");

  v1::StartContainerRequest start;
  start.set_container_id(*id);
  ASSERT_TRUE(service_->StartContainer(Ctx(), start).ok());
  EXPECT_EQ(StatusOf(*id)->state(), v1::CONTAINER_RUNNING);
  EXPECT_GT(StatusOf(*id)->started_at(), 0);

  v1::StopContainerRequest stop;
  stop.set_container_id(*id);
  stop.set_timeout(5);
  ASSERT_TRUE(service_->StopContainer(Ctx(), stop).ok());
  st = StatusOf(*id);
  EXPECT_EQ(st->state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(st->reason(), "Completed");
  EXPECT_TRUE(service_->StopContainer(Ctx(), stop).ok()) << "already stopped";
  // A huge timeout is clamped to a week: the docker call keeps a bound.
  stop.set_timeout(std::numeric_limits<int64_t>::max());
  const absl::Time before = absl::Now();
  EXPECT_TRUE(service_->StopContainer(Ctx(), stop).ok());
  EXPECT_GE(docker_.LastDeadline(), before + absl::Hours(24 * 7));
  EXPECT_LE(docker_.LastDeadline(),
            absl::Now() + absl::Hours(24 * 7) + absl::Minutes(1));
  stop.set_timeout(-1);
  EXPECT_EQ(service_->StopContainer(Ctx(), stop).status().code(),
            absl::StatusCode::kInvalidArgument);

  v1::ReopenContainerLogRequest reopen;
  reopen.set_container_id(*id);
  EXPECT_EQ(service_->ReopenContainerLog(Ctx(), reopen).status().code(),
            absl::StatusCode::kFailedPrecondition)
      << "a stopped container's log cannot be reopened";

  v1::RemoveContainerRequest rm;
  rm.set_container_id(*id);
  ASSERT_TRUE(service_->RemoveContainer(Ctx(), rm).ok());
  EXPECT_EQ(StatusOf(*id).status().code(), absl::StatusCode::kNotFound);
  EXPECT_TRUE(service_->RemoveContainer(Ctx(), rm).ok()) << "absent is fine";
  stop.set_timeout(1);
  EXPECT_EQ(service_->StopContainer(Ctx(), stop).status().code(),
            absl::StatusCode::kNotFound);
}

// kubelet 1.30+ creates a container from the image ID and names the image
// the pod asked for in user_specified_image: both verbs give the spec back,
// and none of its bookkeeping shows as a CRI label or annotation.
TEST_F(ContainerTest, ImageSpecAsKubeletSentItIsReported) {
  v1::CreateContainerRequest req = Create();
  v1::ImageSpec* image = req.mutable_config()->mutable_image();
  image->set_image(kAppImageId);
  image->set_user_specified_image("localhost:5000/app:1");
  image->set_runtime_handler("kata");
  (*image->mutable_annotations())["io.example/signed"] = "yes";
  (*image->mutable_annotations())["x"] = "";
  absl::StatusOr<std::string> id = CreateC(req);
  ASSERT_TRUE(id.ok()) << id.status();

  absl::StatusOr<v1::ContainerStatus> st = StatusOf(*id);
  ASSERT_TRUE(st.ok()) << st.status();
  EXPECT_EQ(st->image().image(), "localhost:5000/app:1") << "the image's tag";
  EXPECT_EQ(st->image().user_specified_image(), "localhost:5000/app:1");
  EXPECT_EQ(st->image().runtime_handler(), "kata");
  EXPECT_EQ(st->image().annotations().size(), 2u);
  EXPECT_EQ(st->image().annotations().at("io.example/signed"), "yes");
  EXPECT_EQ(st->image().annotations().at("x"), "");
  EXPECT_EQ(st->labels().size(), 1u) << "only tier";
  EXPECT_EQ(st->annotations().size(), 1u) << "only owner";

  v1::ListContainersResponse list =
      *service_->ListContainers(Ctx(), v1::ListContainersRequest());
  ASSERT_EQ(list.containers_size(), 1);
  const v1::Container& c = list.containers(0);
  EXPECT_EQ(c.image().user_specified_image(), "localhost:5000/app:1");
  EXPECT_EQ(c.image().runtime_handler(), "kata");
  EXPECT_EQ(c.image().annotations().at("io.example/signed"), "yes");
  EXPECT_EQ(c.labels().size(), 1u);
  EXPECT_EQ(c.annotations().size(), 1u);

  // An older kubelet sends the name as the image and nothing else.
  absl::StatusOr<std::string> plain = CreateC(Create("plain"));
  ASSERT_TRUE(plain.ok()) << plain.status();
  st = StatusOf(*plain);
  ASSERT_TRUE(st.ok());
  EXPECT_EQ(st->image().user_specified_image(), "");
  EXPECT_TRUE(st->image().annotations().empty());
}

TEST_F(ContainerTest, ExitReasons) {
  struct {
    docker::ContainerState state;
    const char* reason;
  } cases[] = {
      {{"exited", false, false, false, false, 0, 1, "", "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:01Z"},
       "Error"},
      {{"exited", false, false, false, true, 0, 137, "", "2026-01-01T00:00:00Z",
        "2026-01-01T00:00:01Z"},
       "OOMKilled"},
      {{"exited", false, false, false, false, 0, 127,
        "exec: \"/nope\": no such file", "0001-01-01T00:00:00Z",
        "0001-01-01T00:00:00Z"},
       "ContainerCannotRun"},
  };
  for (const auto& c : cases) {
    absl::StatusOr<std::string> id = CreateC(Create());
    ASSERT_TRUE(id.ok());
    docker_.SetContainerState(*id, c.state);
    absl::StatusOr<v1::ContainerStatus> st = StatusOf(*id);
    ASSERT_TRUE(st.ok());
    EXPECT_EQ(st->state(), v1::CONTAINER_EXITED);
    EXPECT_EQ(st->reason(), c.reason);
    EXPECT_EQ(st->exit_code(), c.state.exit_code);
    EXPECT_EQ(st->message(), c.state.error);
    EXPECT_GT(st->finished_at(), 0);
    v1::RemoveContainerRequest rm;
    rm.set_container_id(*id);
    ASSERT_TRUE(service_->RemoveContainer(Ctx(), rm).ok());
  }
}

TEST_F(ContainerTest, FinishedNeverBeforeStarted) {
  absl::StatusOr<std::string> id = CreateC(Create());
  ASSERT_TRUE(id.ok());
  // As docker reports a process that exits at once.
  docker_.SetContainerState(*id, {"exited", false, false, false, false, 0, 0,
                                  "", "2026-01-01T00:00:01.000000900Z",
                                  "2026-01-01T00:00:01.000000100Z"});
  absl::StatusOr<v1::ContainerStatus> st = StatusOf(*id);
  ASSERT_TRUE(st.ok());
  EXPECT_GT(st->started_at(), 0);
  EXPECT_EQ(st->finished_at(), st->started_at());
}

TEST_F(ContainerTest, ReportsTheStopSignal) {
  v1::CreateContainerRequest req = Create("rt");
  req.mutable_config()->set_stop_signal(v1::SIGRTMAXMINUS3);
  absl::StatusOr<std::string> id = CreateC(req);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(v1::Signal_Name(StatusOf(*id)->stop_signal()), "SIGRTMAXMINUS3");

  // None configured: the image's STOPSIGNAL, else docker's SIGTERM.
  id = CreateC(Create("plain"));
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(v1::Signal_Name(StatusOf(*id)->stop_signal()), "SIGTERM");
  docker::ImageInspect quits;
  quits.id = "sha256:" + std::string(64, '5');
  quits.repo_tags = {"localhost:5000/quits:1"};
  quits.stop_signal = "SIGQUIT";
  docker_.AddImage(quits);
  req = Create("quits");
  req.mutable_config()->mutable_image()->set_image("localhost:5000/quits:1");
  id = CreateC(req);
  ASSERT_TRUE(id.ok()) << id.status();
  EXPECT_EQ(v1::Signal_Name(StatusOf(*id)->stop_signal()), "SIGQUIT");
}

TEST_F(ContainerTest, ReportsTheResourcesInForce) {
  v1::CreateContainerRequest req = Create();
  v1::LinuxContainerResources* r =
      req.mutable_config()->mutable_linux()->mutable_resources();
  r->set_cpu_period(100000);
  r->set_cpu_quota(50000);
  r->set_cpu_shares(512);
  r->set_cpuset_cpus("0");
  r->set_memory_limit_in_bytes(64 << 20);
  absl::StatusOr<std::string> id = CreateC(req);
  ASSERT_TRUE(id.ok()) << id.status();
  absl::StatusOr<v1::ContainerStatus> st = StatusOf(*id);
  ASSERT_TRUE(st.ok()) << st.status();
  ASSERT_TRUE(st->resources().has_linux());
  const v1::LinuxContainerResources& created = st->resources().linux();
  EXPECT_EQ(created.cpu_period(), 100000);
  EXPECT_EQ(created.cpu_quota(), 50000);
  EXPECT_EQ(created.cpu_shares(), 512);
  EXPECT_EQ(created.cpuset_cpus(), "0");
  EXPECT_EQ(created.memory_limit_in_bytes(), 64 << 20);
  EXPECT_EQ(created.memory_swap_limit_in_bytes(), 64 << 20) << "no swap";
  EXPECT_EQ(created.oom_score_adj(), 500);

  // A resize, read back at once: the status poll must not see the old
  // limits from a cache.
  v1::UpdateContainerResourcesRequest update;
  update.set_container_id(*id);
  update.mutable_linux()->set_cpu_period(100000);
  update.mutable_linux()->set_cpu_quota(150000);
  update.mutable_linux()->set_cpu_shares(1536);
  update.mutable_linux()->set_memory_limit_in_bytes(128 << 20);
  ASSERT_TRUE(service_->UpdateContainerResources(Ctx(), update).ok());
  st = StatusOf(*id);
  ASSERT_TRUE(st.ok()) << st.status();
  const v1::LinuxContainerResources& resized = st->resources().linux();
  EXPECT_EQ(resized.cpu_quota(), 150000);
  EXPECT_EQ(resized.cpu_shares(), 1536);
  EXPECT_EQ(resized.memory_limit_in_bytes(), 128 << 20);
  EXPECT_EQ(resized.memory_swap_limit_in_bytes(), 128 << 20);
  EXPECT_EQ(resized.cpuset_cpus(), "0") << "not part of the update: kept";
}

}  // namespace
}  // namespace cri_dockerd
