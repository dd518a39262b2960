// ExecSync against the fake docker client, whose long-running execs are
// real `sleep` processes so that the kill path is exercised for real.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "cri/docker_streaming/testing/exec_session.h"
#include "tests/poll_until.h"
#include "tests/unit/cri/pod_fixture.h"

namespace cri_dockerd {
namespace {

using docker::FakeDockerClient;
using testing_util::PodTest;
using testing_util::Spawn;

class ExecSyncTest : public PodTest {
 protected:
  void SetUp() override {
    AddAppImage();
    v1::RunPodSandboxRequest run = Request("web");
    absl::StatusOr<std::string> sandbox = Run(run);
    ASSERT_TRUE(sandbox.ok()) << sandbox.status();
    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(*sandbox);
    *create.mutable_sandbox_config() = run.config();
    create.mutable_config()->mutable_metadata()->set_name("app");
    create.mutable_config()->mutable_image()->set_image(
        testing_util::kAppImage);
    auto created = service_->CreateContainer(Ctx(), create);
    ASSERT_TRUE(created.ok()) << created.status();
    id_ = created->container_id();
    v1::StartContainerRequest start;
    start.set_container_id(id_);
    ASSERT_TRUE(service_->StartContainer(Ctx(), start).ok());
    // The kill path compares an exec's cgroups with the container init's:
    // the fake's execs are children of this process, so let it be init.
    absl::StatusOr<docker::ContainerInspect> c =
        docker_.InspectContainer(id_, absl::InfiniteFuture());
    ASSERT_TRUE(c.ok());
    docker::ContainerState state = c->state;
    state.pid = getpid();
    docker_.SetContainerState(id_, state);
  }

  absl::StatusOr<v1::ExecSyncResponse> Exec(std::vector<std::string> cmd,
                                            int64_t timeout = 0,
                                            CallContext ctx = {}) {
    if (ctx.deadline == absl::InfiniteFuture()) ctx = Ctx();
    v1::ExecSyncRequest req;
    req.set_container_id(id_);
    for (const std::string& c : cmd) req.add_cmd(c);
    req.set_timeout(timeout);
    return service_->ExecSync(ctx, req);
  }

  std::string id_;
};

TEST_F(ExecSyncTest, SeparatesStdoutAndStderrAndReturnsTheExitCode) {
  FakeDockerClient::FakeExec script;
  script.stdout_data = "out\n";
  script.stderr_data = "err\n";
  script.exit_code = 3;
  docker_.SetExecScript("sh -c echo out; echo err >&2; exit 3", script);
  auto resp = Exec({"sh", "-c", "echo out; echo err >&2; exit 3"}, 5);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->stdout(), "out\n");
  EXPECT_EQ(resp->stderr(), "err\n");
  EXPECT_EQ(resp->exit_code(), 3);
  const std::vector<docker::ExecCreateConfig> calls = docker_.ExecCreateCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].container_id, id_);
  EXPECT_EQ(calls[0].cmd, (std::vector<std::string>{
                              "sh", "-c", "echo out; echo err >&2; exit 3"}));
  EXPECT_TRUE(calls[0].attach_stdout);
  EXPECT_TRUE(calls[0].attach_stderr);
  EXPECT_FALSE(calls[0].tty);
}

TEST_F(ExecSyncTest, AMissingBinaryIsExitCode126LikeDocker) {
  auto resp = Exec({"/no/such/binary"});
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->exit_code(), 126);
  EXPECT_TRUE(absl::StrContains(resp->stdout(), "OCI runtime exec failed"));
}

TEST_F(ExecSyncTest, ACommandThatRunsAWhileFinishesWithoutATimeout) {
  FakeDockerClient::FakeExec script;
  script.stdout_data = "done\n";
  script.runs_for = absl::Milliseconds(300);
  docker_.SetExecScript("slow", script);
  auto resp = Exec({"slow"}, /*timeout=*/0);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->stdout(), "done\n");
  EXPECT_EQ(resp->exit_code(), 0);
}

TEST_F(ExecSyncTest, TimeoutKillsTheProcessAndIsDeadlineExceeded) {
  FakeDockerClient::FakeExec script;
  script.stdout_data = "started\n";
  script.until_killed = true;
  docker_.SetExecScript("sleep 30", script);
  const absl::Time start = absl::Now();
  auto resp = Exec({"sleep", "30"}, /*timeout=*/1);
  const absl::Duration took = absl::Now() - start;
  ASSERT_EQ(resp.status().code(), absl::StatusCode::kDeadlineExceeded)
      << resp.status();
  EXPECT_TRUE(absl::StrContains(resp.status().message(), "timed out after 1s"))
      << resp.status();
  EXPECT_GE(took, absl::Seconds(1));
  // The 1 s timeout, not the call's 20 s deadline (or never).
  EXPECT_LT(took, absl::Seconds(10));
  EXPECT_EQ(docker_.LiveExecProcesses(), 0) << "the exec's sleep was killed";
  const std::vector<std::string> calls = docker_.Calls();
  EXPECT_NE(std::find(calls.begin(), calls.end(), "InspectExec"), calls.end());
}

// Docker starts a timed-out exec only after ExecSync stopped waiting for
// it (a loaded runc): the call still returns at its timeout, and the
// process is killed once it appears instead of running on unkilled.
TEST_F(ExecSyncTest, AnExecDockerStartsLateIsKilledOnceStarted) {
  FakeDockerClient::FakeExec script;
  script.until_killed = true;
  script.starts_after = absl::Seconds(4);
  docker_.SetExecScript("late", script);
  auto resp = Exec({"late"}, /*timeout=*/1);
  ASSERT_EQ(resp.status().code(), absl::StatusCode::kDeadlineExceeded)
      << resp.status();
  const std::vector<std::string> ids = docker_.ExecIds();
  ASSERT_EQ(ids.size(), 1u);
  // Inspecting (as docker would run it) starts the process when it is due;
  // only a kill ends it.
  std::optional<int> exit_code;
  EXPECT_TRUE(testing_util::PollUntil([&] {
    absl::StatusOr<docker::ExecInspect> e =
        docker_.InspectExec(ids[0], absl::InfiniteFuture());
    if (e.ok() && !e->running) exit_code = e->exit_code;
    return exit_code.has_value();
  })) << "the late exec was never killed";
  EXPECT_EQ(exit_code, 128 + SIGKILL);
  EXPECT_EQ(docker_.LiveExecProcesses(), 0);
}

TEST_F(ExecSyncTest, TheCallsDeadlineAlsoKills) {
  FakeDockerClient::FakeExec script;
  script.until_killed = true;
  docker_.SetExecScript("hang", script);
  auto resp = Exec({"hang"}, /*timeout=*/60,
                   CallContext::WithTimeout(absl::Milliseconds(500)));
  ASSERT_EQ(resp.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_TRUE(absl::StrContains(resp.status().message(), "call's deadline"));
  EXPECT_EQ(docker_.LiveExecProcesses(), 0);
}

TEST_F(ExecSyncTest, ACancelledCallKillsTheCommand) {
  FakeDockerClient::FakeExec script;
  script.until_killed = true;
  docker_.SetExecScript("hang", script);
  CallContext ctx = CallContext::WithTimeout(absl::Seconds(20));
  const absl::Time cancel_at = absl::Now() + absl::Milliseconds(200);
  ctx.cancelled = [cancel_at] { return absl::Now() >= cancel_at; };
  auto resp = Exec({"hang"}, /*timeout=*/0, ctx);
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(docker_.LiveExecProcesses(), 0);
}

TEST_F(ExecSyncTest, AReusedPidIsNotKilled) {
  // Docker reports a pid that by now is a process started before the exec
  // was created: not the exec's, so it must survive.
  const pid_t bystander = Spawn({"sleep", "30"});
  ASSERT_GT(bystander, 0);
  absl::SleepFor(absl::Milliseconds(20));  // a clock tick before the exec
  FakeDockerClient::FakeExec script;
  script.until_killed = true;
  script.reported_pid = bystander;
  docker_.SetExecScript("hang", script);
  auto resp = Exec({"hang"}, /*timeout=*/1);
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(waitpid(bystander, nullptr, WNOHANG), 0) << "bystander killed";
  kill(bystander, SIGKILL);
  waitpid(bystander, nullptr, 0);
}

TEST_F(ExecSyncTest, OutputIsTruncatedAt16MiBPerStream) {
  FakeDockerClient::FakeExec script;
  script.stdout_data = std::string((16 << 20) + 100, 'o');
  script.stderr_data = std::string(17 << 20, 'e');
  script.exit_code = 0;
  docker_.SetExecScript("chatty", script);
  auto resp = Exec({"chatty"}, 10);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->stdout().size(), size_t{16} << 20);
  EXPECT_EQ(resp->stderr().size(), size_t{16} << 20);
  EXPECT_EQ(resp->stdout().find_first_not_of('o'), std::string::npos);
  EXPECT_EQ(resp->exit_code(), 0);
}

TEST_F(ExecSyncTest, AStoppedContainerIsFailedPrecondition) {
  v1::StopContainerRequest stop;
  stop.set_container_id(id_);
  ASSERT_TRUE(service_->StopContainer(Ctx(), stop).ok());
  auto resp = Exec({"true"});
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_TRUE(absl::StrContains(resp.status().message(), "is not running"))
      << resp.status();
  EXPECT_TRUE(docker_.ExecCreateCalls().empty());
}

TEST_F(ExecSyncTest, AContainerStoppingMeanwhileIsFailedPrecondition) {
  docker_.InjectErrorOnce("CreateExec", absl::FailedPreconditionError(
                                            "Container x is not running"));
  auto resp = Exec({"true"});
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(ExecSyncTest, BadRequests) {
  struct {
    std::string id;
    std::vector<std::string> cmd;
    int64_t timeout;
    absl::StatusCode code;
  } cases[] = {
      {"0123456789ab", {"true"}, 0, absl::StatusCode::kNotFound},
      {"", {"true"}, 0, absl::StatusCode::kInvalidArgument},
      {"self", {}, 0, absl::StatusCode::kInvalidArgument},
      {"self", {"true"}, -1, absl::StatusCode::kInvalidArgument},
  };
  for (const auto& c : cases) {
    v1::ExecSyncRequest req;
    req.set_container_id(c.id == "self" ? id_ : c.id);
    for (const std::string& a : c.cmd) req.add_cmd(a);
    req.set_timeout(c.timeout);
    EXPECT_EQ(service_->ExecSync(Ctx(), req).status().code(), c.code)
        << c.id << " " << c.cmd.size() << " " << c.timeout;
  }
  EXPECT_TRUE(docker_.ExecCreateCalls().empty());
}

}  // namespace
}  // namespace cri_dockerd
