// The daemon killed (SIGKILL, by its CRI_DOCKERD_CRASH_AT hook) at each
// named step of RunPodSandbox, CreateContainer and StartContainer, then
// restarted without the hook: kubelet's next moves (list, stop and remove
// the pod's sandboxes) leave nothing of the pod on the node, and running
// the same pod again works.
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "cri/base/fault_point.h"
#include "tests/fault/fault_fixture.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {
namespace {

// What a crash at a step leaves on the node, before anything cleans up.
struct Left {
  int containers;  // docker containers of the pod
  bool checkpoint, address, veth, cache, nat;
};

Left LeftAt(const std::string& step) {
  //                                       checkpoint address veth cache nat
  if (step == fault_step::kRunAfterCreate) {
    return {1, false, false, false, false, false};
  }
  if (step == fault_step::kRunAfterCheckpoint ||
      step == fault_step::kRunAfterStart) {
    return {1, true, false, false, false, false};
  }
  if (step == fault_step::kRunMidCniAdd) {
    return {1, true, true, true, false, false};
  }
  if (step == fault_step::kRunAfterCniAdd) {
    return {1, true, true, true, true, true};
  }
  return {2, true, true, true, true, true};  // CreateContainer, StartContainer
}

// How many of `left` start with `what`.
int Count(const std::vector<std::string>& left, const std::string& what) {
  int n = 0;
  for (const std::string& l : left) n += absl::StartsWith(l, what) ? 1 : 0;
  return n;
}

class CrashTest : public FaultTest,
                  public ::testing::WithParamInterface<const char*> {
 protected:
  // A pod name per step: "crash-runpodsandbox-after-create".
  static std::string PodName(const std::string& step) {
    std::string name = absl::AsciiStrToLower(step);
    absl::StrReplaceAll({{".", "-"}, {"_", "-"}}, &name);
    return "crash-" + name;
  }
};

TEST_P(CrashTest, RestartedDaemonCleansUpAndTheRunCanBeRetried) {
  const std::string step = GetParam();
  const bool in_run = absl::StartsWith(step, "RunPodSandbox.");
  const std::string name = PodName(step);
  const v1::PodSandboxConfig pod = PodConfig(name);
  const std::string marker = "crid-fault-says-" + name;
  const v1::ContainerConfig app =
      Busybox("app", "echo " + marker + "; exec sleep 600");

  ASSERT_NO_FATAL_FAILURE(StartDaemon(step));
  std::string sandbox, container;
  if (in_run) {
    grpc::Status s = RunPod(pod, &sandbox);
    EXPECT_FALSE(s.ok()) << "the daemon should have died at " << step;
  } else {
    grpc::Status s = PullBusybox();
    ASSERT_TRUE(s.ok()) << s.error_message();
    s = RunPod(pod, &sandbox);
    ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << DaemonOutput();
    s = CreateContainer(sandbox, pod, app, &container);
    if (step == fault_step::kCreateAfterDockerCreate) {
      EXPECT_FALSE(s.ok()) << "the daemon should have died at " << step;
    } else {
      ASSERT_TRUE(s.ok()) << s.error_message();
      EXPECT_FALSE(StartContainer(container).ok())
          << "the daemon should have died at " << step;
    }
  }
  ASSERT_NO_FATAL_FAILURE(ExpectKilledByItsHook());

  ASSERT_NO_FATAL_FAILURE(StartDaemon());
  // The crash left what its step promises (and the checks below see it).
  const std::vector<std::string> before = Leftovers(name);
  const Left want = LeftAt(step);
  EXPECT_EQ(Count(before, "docker container"), want.containers);
  EXPECT_EQ(Count(before, "checkpoint") > 0, want.checkpoint);
  EXPECT_EQ(Count(before, "host-local allocation") > 0, want.address);
  EXPECT_EQ(Count(before, "veth") > 0, want.veth);
  EXPECT_EQ(Count(before, "CNI cache entry") > 0, want.cache);
  EXPECT_EQ(Count(before, "iptables rule naming the network") > 0, want.nat);
  EXPECT_EQ(Count(before, "iptables rule for the host port") > 0, want.nat);
  if (HasFailure()) ADD_FAILURE() << absl::StrJoin(before, "\n");

  if (absl::StartsWith(step, "StartContainer.")) {
    // docker started it; the restarted daemon resumes copying its output
    // into the CRI log file.
    const std::string log = log_dir() + "/app.log";
    EXPECT_TRUE(testing_util::PollUntil(
        [&] { return absl::StrContains(ReadFile(log), marker); },
        absl::Seconds(60)))
        << log << ": " << ReadFile(log) << "\n"
        << DaemonOutput();
  }
  const std::vector<std::string> seen = StopAndRemoveLikeKubelet(name);
  EXPECT_EQ(seen.size(), 1u) << "the half-made sandbox is listed";
  std::vector<std::string> left = Leftovers(name);
  EXPECT_TRUE(left.empty()) << absl::StrJoin(left, "\n") << "\n"
                            << DaemonOutput();

  // kubelet tries the pod again: it runs, gets an address, and goes
  // cleanly.
  std::string again;
  grpc::Status s = RunPod(pod, &again);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << DaemonOutput();
  v1::PodSandboxStatusRequest status_req;
  status_req.set_pod_sandbox_id(again);
  v1::PodSandboxStatusResponse status;
  ASSERT_TRUE(
      runtime_->PodSandboxStatus(Ctx().get(), status_req, &status).ok());
  EXPECT_EQ(status.status().state(), v1::SANDBOX_READY);
  EXPECT_TRUE(absl::StartsWith(status.status().network().ip(), "10.250.88."))
      << status.status().network().ip();
  EXPECT_EQ(StopAndRemoveLikeKubelet(name).size(), 1u);
  left = Leftovers(name);
  EXPECT_TRUE(left.empty()) << absl::StrJoin(left, "\n");
}

INSTANTIATE_TEST_SUITE_P(EveryStep, CrashTest, ::testing::ValuesIn(kFaultSteps),
                         [](const ::testing::TestParamInfo<const char*>& info) {
                           std::string name = info.param;
                           absl::StrReplaceAll({{".", "_"}}, &name);
                           return name;
                         });

}  // namespace
}  // namespace cri_dockerd::testing_support
