// ContainerStatus against the fake docker client, through a container's
// lifecycle (start, stop, reopen, remove) and the ways it can end.
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

}  // namespace
}  // namespace cri_dockerd
