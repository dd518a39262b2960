// ExecSync end to end: the real binary over gRPC, the real dockerd, the
// lab's busybox in a host-network pod. Output and exit code; timeouts that
// kill the command (checked by scanning the host's /proc for it); 100
// timed-out execs, 10 at a time, leaving nothing behind (the issue asks
// for 1,000: at ~1.1 s per round of 10 that is ~2 minutes, too slow for
// CI; CRID_TIMED_OUT_EXECS=1000 runs it); bad input.
#include <dirent.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_fixture.h"

namespace cri_dockerd::testing_support {
namespace {

// CRID_TIMED_OUT_EXECS=1000 runs the full count.
int TimedOutExecs() {
  const char* env = getenv("CRID_TIMED_OUT_EXECS");
  return env != nullptr && atoi(env) > 0 ? atoi(env) : 100;
}
constexpr int kParallel = 10;
// Every timed-out exec here runs `sleep 30`: a product that failed to kill
// it would leave it running for ~30 s, one that waited for it would take
// ~30 s to answer. The bounds below sit well clear of both the right
// behaviour on a loaded machine and that.
constexpr absl::Duration kMuchLessThanTheSleep = absl::Seconds(15);

// Pids of the host's processes running `argv` (as /proc/<pid>/cmdline has
// it) in the cgroup of the container with ID `container_id`.
std::vector<int> ProcessesIn(const std::string& container_id,
                             const std::vector<std::string>& argv) {
  std::string want;
  for (const std::string& a : argv)
    absl::StrAppend(&want, a, std::string(1, '\0'));
  std::vector<int> out;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return out;
  while (const dirent* e = readdir(dir)) {
    const std::string name = e->d_name;
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    if (ReadFile("/proc/" + name + "/cmdline") != want) continue;
    if (!absl::StrContains(ReadFile("/proc/" + name + "/cgroup"),
                           container_id)) {
      continue;
    }
    out.push_back(std::stoi(name));
  }
  closedir(dir);
  return out;
}

// True once no process runs `argv` in the container. A SIGKILLed process
// leaves /proc a moment after the kill, later on a loaded machine, so
// this polls -- briefly next to the `sleep 30` a missed kill leaves.
bool GoneFrom(const std::string& container_id,
              const std::vector<std::string>& argv) {
  const absl::Time give_up = absl::Now() + absl::Seconds(10);
  while (!ProcessesIn(container_id, argv).empty()) {
    if (absl::Now() > give_up) return false;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return true;
}

class ExecSyncTest : public CriTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartCri());
    // Host network: no CNI needed for exec.
    sandbox_ = RunPod(PodConfig("exec"));
    ASSERT_FALSE(sandbox_.empty());
    container_ = Start("sleeper");
    ASSERT_FALSE(container_.empty());
  }

  // Creates and starts a busybox running `sleep 600`; its ID or "".
  std::string Start(const std::string& name) {
    return StartContainer(sandbox_, Busybox(name, "sleep 600"));
  }

  grpc::Status Exec(const std::string& id, std::vector<std::string> cmd,
                    int64_t timeout, v1::ExecSyncResponse* resp) {
    v1::ExecSyncRequest req;
    req.set_container_id(id);
    for (const std::string& a : cmd) req.add_cmd(a);
    req.set_timeout(timeout);
    // Like kubelet: the runtime request timeout on top of the exec's.
    return runtime_->ExecSync(Ctx(absl::Seconds(30 + timeout)).get(), req,
                              resp);
  }

  std::string sandbox_, container_;
};

TEST_F(ExecSyncTest, StdoutStderrAndExitCode) {
  v1::ExecSyncResponse resp;
  grpc::Status s = Exec(
      container_, {"sh", "-c", "echo out; echo err >&2; exit 3"}, 10, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message() << cri_.process->Output();
  EXPECT_EQ(resp.stdout(), "out\n");
  EXPECT_EQ(resp.stderr(), "err\n");
  EXPECT_EQ(resp.exit_code(), 3);
  // Larger output, in many of docker's frames, arrives whole.
  s = Exec(container_, {"sh", "-c", "head -c 300000 /dev/zero | tr '\\0' x"},
           10, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.stdout(), std::string(300000, 'x'));
  EXPECT_EQ(resp.exit_code(), 0);
}

TEST_F(ExecSyncTest, TimeoutKillsTheCommandAndIsDeadlineExceeded) {
  const absl::Time start = absl::Now();
  v1::ExecSyncResponse resp;
  grpc::Status s;
  std::atomic<bool> done{false};
  // 3 s: docker may take a second or two to start the exec on a loaded
  // machine, and the scan below must get to see it running.
  std::thread exec([&] {
    s = Exec(container_, {"sleep", "30"}, 3, &resp);
    done = true;
  });
  // The scan below sees the command while it runs (so that its coming up
  // empty afterwards means something).
  bool seen = false;
  while (!seen && !done) {
    seen = !ProcessesIn(container_, {"sleep", "30"}).empty();
    absl::SleepFor(absl::Milliseconds(20));
  }
  exec.join();
  const absl::Duration took = absl::Now() - start;
  EXPECT_TRUE(seen) << "the scan never saw sleep 30 running";
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "timed out after 3s"))
      << s.error_message();
  EXPECT_GE(took, absl::Seconds(3));
  EXPECT_LT(took, kMuchLessThanTheSleep);
  EXPECT_TRUE(GoneFrom(container_, {"sleep", "30"})) << cri_.process->Output();
  RecordProperty("timed_out_exec_ms",
                 static_cast<int>(absl::ToInt64Milliseconds(took)));
}

TEST_F(ExecSyncTest, ChildrenHoldingTheOutputAreKilledToo) {
  // sh exits at once, but its background sleep keeps the output open.
  v1::ExecSyncResponse resp;
  const absl::Time start = absl::Now();
  grpc::Status s =
      Exec(container_, {"sh", "-c", "sleep 30 & echo started"}, 2, &resp);
  // The shim's own timeout, not the call's deadline after `sleep` ended.
  EXPECT_LT(absl::Now() - start, kMuchLessThanTheSleep);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "timed out after 2s"))
      << s.error_message();
  EXPECT_TRUE(GoneFrom(container_, {"sleep", "30"})) << cri_.process->Output();
}

TEST_F(ExecSyncTest, ManyTimedOutExecsLeaveNoProcessBehind) {
  const int count = TimedOutExecs();
  std::atomic<int> next{0}, deadline_exceeded{0};
  absl::Mutex mu;
  std::vector<std::string> other_errors;
  absl::Duration slowest;
  const absl::Time start = absl::Now();
  std::vector<std::thread> workers;
  for (int w = 0; w < kParallel; ++w) {
    workers.emplace_back([&] {
      while (next++ < count) {
        const absl::Time t0 = absl::Now();
        v1::ExecSyncResponse resp;
        grpc::Status s = Exec(container_, {"sleep", "30"}, 1, &resp);
        const absl::Duration took = absl::Now() - t0;
        absl::MutexLock lock(&mu);
        slowest = std::max(slowest, took);
        if (s.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
          ++deadline_exceeded;
        } else {
          other_errors.push_back(
              absl::StrCat(s.error_code(), ": ", s.error_message()));
        }
      }
    });
  }
  for (std::thread& t : workers) t.join();
  const absl::Duration total = absl::Now() - start;
  EXPECT_EQ(deadline_exceeded, count) << absl::StrJoin(other_errors, "\n");
  EXPECT_TRUE(GoneFrom(container_, {"sleep", "30"})) << cri_.process->Output();
  // One call: its 1 s timeout, the kill (the shim waits up to 2 s for
  // docker to see it) and docker's round trips, slower under load. Calls
  // the shim made wait for one another would take 10 s and more.
  EXPECT_LT(slowest, absl::Seconds(9));
  // Every one was killed by the shim itself, none refused or left running
  // (GoneFrom above) or never found to kill. Not checked: the shim's
  // "still running after 2s (N process(es) killed)", which only says that
  // docker, slow on a loaded machine, had not yet seen a killed exec exit.
  const std::string log = cri_.process->Output();
  for (const char* trouble :
       {"not killing", "cannot kill", "still not started"}) {
    EXPECT_FALSE(absl::StrContains(log, trouble)) << trouble << "\n" << log;
  }
  RecordProperty("total_ms",
                 static_cast<int>(absl::ToInt64Milliseconds(total)));
  RecordProperty("slowest_ms",
                 static_cast<int>(absl::ToInt64Milliseconds(slowest)));
  std::cout << count << " timed-out execs, " << kParallel
            << " at a time: " << total << " (slowest call " << slowest << ")\n";
  // The container is still fine.
  v1::ExecSyncResponse resp;
  grpc::Status s = Exec(container_, {"echo", "alive"}, 5, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.stdout(), "alive\n");
}

TEST_F(ExecSyncTest, BadInput) {
  const std::string stopped = Start("stopped");
  ASSERT_FALSE(stopped.empty());
  v1::StopContainerRequest stop;
  stop.set_container_id(stopped);
  stop.set_timeout(0);
  v1::StopContainerResponse sr;
  ASSERT_TRUE(
      runtime_->StopContainer(Ctx(absl::Seconds(30)).get(), stop, &sr).ok());
  v1::ExecSyncResponse resp;
  grpc::Status s = Exec(stopped, {"true"}, 5, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::FAILED_PRECONDITION)
      << s.error_message();
  EXPECT_TRUE(absl::StrContains(s.error_message(), "not running"))
      << s.error_message();
  s = Exec("0123456789abcdef", {"true"}, 5, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::NOT_FOUND) << s.error_message();
  s = Exec(container_, {}, 5, &resp);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT)
      << s.error_message();
  // A missing binary is docker's exit code 126, not an RPC error.
  s = Exec(container_, {"/no/such/binary"}, 5, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(resp.exit_code(), 126);
}

}  // namespace
}  // namespace cri_dockerd::testing_support
