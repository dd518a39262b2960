// A CNI ADD that hangs after the bridge plugin did its work (an address
// allocated, the veth made): first until RunPodSandbox's deadline passes,
// with kubelet stopping and removing the pod it then lists while the
// rollback runs; then until the daemon is SIGKILLed and restarted. Either
// way nothing of the pod is left once kubelet's Stop and Remove are done,
// and the pod runs again afterwards.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "absl/algorithm/container.h"
#include "absl/strings/match.h"
#include "absl/strings/str_join.h"
#include "tests/fault/fault_fixture.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {
namespace {

class NetworkDeadlineTest : public FaultTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(FaultTest::SetUp());
    bin_ = dir_.path() + "/bin";
    mkdir(bin_.c_str(), 0755);
    // Found before the real bridge plugin: runs it, then, on ADD while
    // the file "slow" exists, hangs in its process group.
    const std::string wrapper = bin_ + "/bridge";
    std::ofstream(wrapper) << absl::StrCat(
        "#!/bin/sh\n", "out=$(/usr/lib/cni/bridge)\n", "rc=$?\n",
        "if [ \"$CNI_COMMAND\" = ADD ] && [ -e ", bin_, "/slow ]; then\n",
        "  echo $$ > ", bin_, "/hung.pid\n", "  exec sleep 600\n", "fi\n",
        "printf '%s\\n' \"$out\"\n", "exit $rc\n");
    chmod(wrapper.c_str(), 0755);
  }
  void TearDown() override {
    // A plugin orphaned by the SIGKILL: its process group.
    const std::string pid = ReadFile(bin_ + "/hung.pid");
    if (!pid.empty() && std::stoi(pid) > 1) kill(-std::stoi(pid), SIGKILL);
    FaultTest::TearDown();
  }

  void Hang(bool on) {
    if (on) {
      std::ofstream(bin_ + "/slow") << "1";
    } else {
      unlink((bin_ + "/slow").c_str());
    }
  }
  bool Hung() const { return access((bin_ + "/hung.pid").c_str(), F_OK) == 0; }

  // Runs the pod again, checks it is ready with an address, stops and
  // removes it, and checks nothing is left.
  void RetrySucceedsAndLeavesNothing(const v1::PodSandboxConfig& pod) {
    std::string id;
    grpc::Status s = RunPod(pod, &id);
    ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << DaemonOutput();
    v1::PodSandboxStatusRequest req;
    req.set_pod_sandbox_id(id);
    v1::PodSandboxStatusResponse resp;
    ASSERT_TRUE(runtime_->PodSandboxStatus(Ctx().get(), req, &resp).ok());
    EXPECT_EQ(resp.status().state(), v1::SANDBOX_READY);
    EXPECT_TRUE(absl::StartsWith(resp.status().network().ip(), "10.250.88."));
    EXPECT_EQ(StopAndRemoveLikeKubelet(pod.metadata().name()).size(), 1u);
    const std::vector<std::string> left = Leftovers(pod.metadata().name());
    EXPECT_TRUE(left.empty()) << absl::StrJoin(left, "\n");
  }

  std::string bin_;
};

TEST_F(NetworkDeadlineTest, DeadlineMidAddIsRolledBackBeforeKubeletsStop) {
  Hang(true);
  ASSERT_NO_FATAL_FAILURE(StartDaemon("", bin_));
  const v1::PodSandboxConfig pod = PodConfig("deadline");
  std::string id;
  grpc::Status s = RunPod(pod, &id, absl::Seconds(10));
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << s.error_message();
  EXPECT_TRUE(Hung()) << "the deadline passed before the ADD was reached";

  // kubelet at once: the sandbox it lists (if the rollback has not
  // removed it yet) is stopped and removed; those calls wait for the
  // rollback.
  const std::vector<std::string> seen = StopAndRemoveLikeKubelet("deadline");
  const std::vector<std::string> left = LeftoversOnceSettled("deadline");
  EXPECT_TRUE(left.empty()) << absl::StrJoin(left, "\n") << "\n"
                            << DaemonOutput();
  const std::string log = DaemonOutput();
  for (const std::string& sandbox : seen) {
    const size_t rolled_back = log.find("rolled back pod sandbox " + sandbox);
    ASSERT_NE(rolled_back, std::string::npos) << log;
    for (const std::string& after :
         {"stopped pod sandbox " + sandbox,
          "pod sandbox " + sandbox + " was removed meanwhile"}) {
      const size_t at = log.find(after);
      if (at != std::string::npos) {
        EXPECT_LT(rolled_back, at) << "Stop ran during the rollback:\n" << log;
      }
    }
  }

  Hang(false);
  RetrySucceedsAndLeavesNothing(pod);
}

TEST_F(NetworkDeadlineTest, SigkillMidAddThenRestartLeavesNothing) {
  Hang(true);
  ASSERT_NO_FATAL_FAILURE(StartDaemon("", bin_));
  const v1::PodSandboxConfig pod = PodConfig("sigkill");
  grpc::Status run;
  std::thread caller([&] {
    std::string id;
    run = RunPod(pod, &id);
  });
  const bool hung = testing_util::PollUntil([&] { return Hung(); });
  KillDaemon();
  caller.join();
  ASSERT_TRUE(hung) << "the ADD never got to the bridge plugin\n"
                    << DaemonOutput();
  EXPECT_FALSE(run.ok());
  // The orphaned plugin finished its work before it hung: end it, as if
  // it had returned.
  kill(-std::stoi(ReadFile(bin_ + "/hung.pid")), SIGKILL);

  Hang(false);
  ASSERT_NO_FATAL_FAILURE(StartDaemon("", bin_));
  // The bridge plugin's work, and nothing cached.
  const std::vector<std::string> before = Leftovers("sigkill");
  EXPECT_TRUE(absl::c_any_of(before, [](const std::string& l) {
    return absl::StartsWith(l, "host-local allocation");
  })) << absl::StrJoin(before, "\n");
  EXPECT_TRUE(absl::c_any_of(before, [](const std::string& l) {
    return absl::StartsWith(l, "veth");
  })) << absl::StrJoin(before, "\n");
  EXPECT_FALSE(absl::c_any_of(before, [](const std::string& l) {
    return absl::StartsWith(l, "CNI cache entry");
  })) << absl::StrJoin(before, "\n");
  EXPECT_EQ(StopAndRemoveLikeKubelet("sigkill").size(), 1u);
  const std::vector<std::string> left = Leftovers("sigkill");
  EXPECT_TRUE(left.empty()) << absl::StrJoin(left, "\n") << "\n"
                            << DaemonOutput();
  RetrySucceedsAndLeavesNothing(pod);
}

}  // namespace
}  // namespace cri_dockerd::testing_support
