// KillExecProcesses on real process trees: the whole session of an exec
// goes, processes older than the exec stay, and nothing is killed when the
// container's cgroups cannot be read.
#include "cri/docker_streaming/exec_process.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "absl/time/clock.h"
#include "cri/docker_streaming/testing/exec_session.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"

namespace cri_dockerd {
namespace {

using testing_util::LiveInSession;
using testing_util::Spawn;

TEST(KillExecProcessesTest, KillsTheWholeSession) {
  const absl::Duration before = BootTimeNow();
  absl::SleepFor(absl::Milliseconds(20));
  const pid_t leader = Spawn({"sh", "-c", "sleep 30 & sleep 31 & wait"});
  ASSERT_GT(leader, 0);
  ASSERT_TRUE(testing_util::PollUntil([&] {
    return LiveInSession(leader) == 3;
  })) << "sh did not start its two children: "
      << LiveInSession(leader) << " processes in its session";
  absl::StatusOr<int> n = KillExecProcesses({leader, getpid(), before});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 3);
  waitpid(leader, nullptr, 0);  // the children go to init (or a subreaper)
  EXPECT_TRUE(testing_util::PollUntil([&] {
    return LiveInSession(leader) == 0;
  })) << LiveInSession(leader)
      << " processes of the session still alive";
}

TEST(KillExecProcessesTest, SparesProcessesOlderThanTheExec) {
  const pid_t old = Spawn({"sleep", "30"});
  ASSERT_GT(old, 0);
  absl::SleepFor(absl::Milliseconds(30));
  absl::StatusOr<int> n = KillExecProcesses({old, getpid(), BootTimeNow()});
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(waitpid(old, nullptr, WNOHANG), 0) << "still running";
  kill(old, SIGKILL);
  waitpid(old, nullptr, 0);
}

TEST(KillExecProcessesTest, UnverifiableIsFailedPreconditionAndKillsNothing) {
  const absl::Duration before = BootTimeNow();
  absl::SleepFor(absl::Milliseconds(20));
  const pid_t p = Spawn({"sleep", "30"});
  ASSERT_GT(p, 0);
  // No such container init: its cgroups cannot be read.
  absl::StatusOr<int> n = KillExecProcesses({p, 0, before});
  EXPECT_EQ(n.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(waitpid(p, nullptr, WNOHANG), 0) << "still running";
  kill(p, SIGKILL);
  waitpid(p, nullptr, 0);
}

}  // namespace
}  // namespace cri_dockerd
