// The in-memory fake's execs, which the ExecSync unit tests lean on:
// docker's errors, scripted output, and execs backed by real processes
// that are killed by pid and reaped like docker's shim would.
#include <signal.h>

#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"

namespace cri_dockerd::docker {
namespace {

absl::Time Later() { return absl::Now() + absl::Seconds(10); }

class FakeDockerClientExecTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ImageInspect image;
    image.id = "sha256:" + std::string(64, 'a');
    image.repo_tags = {"busybox:latest"};
    fake_.AddImage(image);
    ContainerCreateConfig config;
    config.name = "box";
    config.image = "busybox";
    absl::StatusOr<std::string> id = fake_.CreateContainer(config, Later());
    ASSERT_TRUE(id.ok()) << id.status();
    id_ = *id;
  }
  absl::StatusOr<std::string> Create(std::vector<std::string> cmd) {
    ExecCreateConfig config;
    config.container_id = id_;
    config.cmd = std::move(cmd);
    return fake_.CreateExec(config, Later());
  }
  absl::Status Start(const std::string& exec, std::string* out,
                     std::string* err, absl::Time deadline = Later()) {
    ExecOutput o;
    o.on_stdout = [out](absl::string_view d) {
      out->append(d.data(), d.size());
    };
    o.on_stderr = [err](absl::string_view d) {
      err->append(d.data(), d.size());
    };
    return fake_.StartExec(exec, o, deadline);
  }

  FakeDockerClient fake_;
  std::string id_;
};

TEST_F(FakeDockerClientExecTest, DockersErrors) {
  EXPECT_EQ(Create({"true"}).status().code(),
            absl::StatusCode::kFailedPrecondition);  // not started
  ASSERT_TRUE(fake_.StartContainer(id_, Later()).ok());
  EXPECT_EQ(Create({}).status().code(), absl::StatusCode::kInvalidArgument);
  ExecCreateConfig nobody;
  nobody.container_id = "nosuch";
  nobody.cmd = {"true"};
  EXPECT_EQ(fake_.CreateExec(nobody, Later()).status().code(),
            absl::StatusCode::kNotFound);
  std::string out, err;
  EXPECT_EQ(Start("nosuch", &out, &err).code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(fake_.InspectExec("nosuch", Later()).status().code(),
            absl::StatusCode::kNotFound);
  // Docker drops the execs of a container that stopped.
  absl::StatusOr<std::string> exec = Create({"true"});
  ASSERT_TRUE(exec.ok());
  ASSERT_TRUE(fake_.StopContainer(id_, absl::ZeroDuration(), Later()).ok());
  EXPECT_EQ(Start(*exec, &out, &err).code(), absl::StatusCode::kNotFound);
}

TEST_F(FakeDockerClientExecTest, ScriptedAndUnscriptedCommands) {
  ASSERT_TRUE(fake_.StartContainer(id_, Later()).ok());
  FakeDockerClient::FakeExec script;
  script.stdout_data = "out\n";
  script.stderr_data = "err\n";
  script.exit_code = 3;
  fake_.SetExecScript("sh -c x", script);
  absl::StatusOr<std::string> exec = Create({"sh", "-c", "x"});
  ASSERT_TRUE(exec.ok());
  absl::StatusOr<ExecInspect> before = fake_.InspectExec(*exec, Later());
  ASSERT_TRUE(before.ok());
  EXPECT_FALSE(before->running);
  EXPECT_FALSE(before->exit_code.has_value());
  std::string out, err;
  ASSERT_TRUE(Start(*exec, &out, &err).ok());
  EXPECT_EQ(out, "out\n");
  EXPECT_EQ(err, "err\n");
  absl::StatusOr<ExecInspect> after = fake_.InspectExec(*exec, Later());
  ASSERT_TRUE(after.ok());
  EXPECT_FALSE(after->running);
  EXPECT_EQ(after->exit_code, 3);
  EXPECT_EQ(after->container_id, id_);
  // Started again: docker's in-band error.
  out.clear();
  ASSERT_TRUE(Start(*exec, &out, &err).ok());
  EXPECT_TRUE(absl::StrContains(out, "has already run")) << out;

  exec = Create({"nosuchbinary"});
  ASSERT_TRUE(exec.ok());
  out.clear();
  ASSERT_TRUE(Start(*exec, &out, &err).ok());
  EXPECT_TRUE(absl::StrContains(out, "executable file not found")) << out;
  EXPECT_EQ(fake_.InspectExec(*exec, Later())->exit_code, 126);
  EXPECT_EQ(fake_.ExecCreateCalls().size(), 2u);
}

TEST_F(FakeDockerClientExecTest, AnExecProcessIsKilledByPidAndReaped) {
  ASSERT_TRUE(fake_.StartContainer(id_, Later()).ok());
  FakeDockerClient::FakeExec script;
  script.until_killed = true;
  fake_.SetExecScript("hang", script);
  absl::StatusOr<std::string> exec = Create({"hang"});
  ASSERT_TRUE(exec.ok());
  std::string out, err;
  EXPECT_EQ(
      Start(*exec, &out, &err, absl::Now() + absl::Milliseconds(100)).code(),
      absl::StatusCode::kDeadlineExceeded);
  absl::StatusOr<ExecInspect> running = fake_.InspectExec(*exec, Later());
  ASSERT_TRUE(running.ok());
  EXPECT_TRUE(running->running);
  ASSERT_GT(running->pid, 0);
  EXPECT_EQ(fake_.LiveExecProcesses(), 1);
  ASSERT_EQ(kill(running->pid, SIGKILL), 0);
  absl::StatusOr<ExecInspect> killed;
  EXPECT_TRUE(testing_util::PollUntil([&] {
    killed = fake_.InspectExec(*exec, Later());
    return !killed.ok() || !killed->running;
  })) << "the killed exec still runs";
  ASSERT_TRUE(killed.ok()) << killed.status();
  EXPECT_FALSE(killed->running);
  EXPECT_EQ(killed->exit_code, 137);
  EXPECT_EQ(fake_.LiveExecProcesses(), 0);
}

TEST_F(FakeDockerClientExecTest, AnExecThatRunsAWhile) {
  ASSERT_TRUE(fake_.StartContainer(id_, Later()).ok());
  FakeDockerClient::FakeExec script;
  script.runs_for = absl::Milliseconds(200);
  script.exit_code = 5;
  fake_.SetExecScript("slow", script);
  absl::StatusOr<std::string> exec = Create({"slow"});
  ASSERT_TRUE(exec.ok());
  std::string out, err;
  const absl::Time start = absl::Now();
  ASSERT_TRUE(Start(*exec, &out, &err).ok());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(190));
  EXPECT_EQ(fake_.InspectExec(*exec, Later())->exit_code, 5);
}

}  // namespace
}  // namespace cri_dockerd::docker
