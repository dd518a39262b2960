// Containers end to end through the CRI: the real binary, the real dockerd
// and the lab's busybox. What a container sees of its security context,
// its cgroup limits, its CRI log file (with rotation) and how it ended.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_fixture.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {
namespace {

class ContainerTest : public CriTest {
 protected:
  void SetUp() override {
    ASSERT_NO_FATAL_FAILURE(StartCri());
    // Host network: these tests are about containers, not CNI.
    config_ = PodConfig("ctr");
    sandbox_ = RunPod(config_);
    ASSERT_FALSE(sandbox_.empty());
  }

  // Creates and starts; returns the ID ("" on failure, with a test error).
  std::string Start(const v1::ContainerConfig& config,
                    bool expect_start_ok = true) {
    return StartContainer(sandbox_, config, expect_start_ok);
  }
  // Polls until the container has exited; its status then (a test
  // failure if it never exits).
  v1::ContainerStatus WaitExited(const std::string& id) {
    v1::ContainerStatus st;
    if (!testing_util::PollUntil(
            [&] {
              st = StatusOf(id);
              return st.state() == v1::CONTAINER_EXITED;
            },
            kPatience)) {
      ADD_FAILURE() << "container " << id << " never exited (state "
                    << v1::ContainerState_Name(st.state()) << ")";
    }
    return st;
  }

  v1::PodSandboxConfig config_;
  std::string sandbox_;
};

TEST_F(ContainerTest, LogLinesLandInTheCriLogFileInCriFormat) {
  const std::string id =
      Start(Busybox("logger", "echo hello-out; echo hello-err >&2; sleep 1"));
  ASSERT_FALSE(id.empty());
  const std::string path = LogPath("logger");
  EXPECT_EQ(StatusOf(id).log_path(), path);
  // stdout and stderr reach the file through separate pipes: either may
  // come first, so wait for both.
  WaitForText(path, "hello-out");
  const std::string text = WaitForText(path, "hello-err");
  // "<RFC3339Nano> stdout F hello-out"
  EXPECT_NE(text.find(" stdout F hello-out\n"), std::string::npos)
      << text << cri_.process->Output();
  EXPECT_NE(text.find(" stderr F hello-err\n"), std::string::npos) << text;
  // "2026-11-22T01:37:17.100263307Z ": RFC 3339 with nanoseconds.
  EXPECT_EQ(text.find("Z "), 29u) << text;
}

// A container that exits within milliseconds of its start (critest's
// read-only rootfs and no-new-privileges cases do) has usually exited by
// the time the log copy asks docker where its log is: it still gets a CRI
// log file with its output.
TEST_F(ContainerTest, ContainerThatExitsAtOnceStillGetsItsLog) {
  for (int i = 0; i < 3; ++i) {
    const std::string name = absl::StrCat("brief", i);
    const std::string id =
        Start(Busybox(name, absl::StrCat("echo brief-out-", i)));
    ASSERT_FALSE(id.empty());
    WaitExited(id);
    WaitForText(LogPath(name), absl::StrCat("brief-out-", i, "\n"));
  }
}

TEST_F(ContainerTest, ReopenAfterRotationLosesNothing) {
  // The container prints a line every 50 ms until the test opens the gate
  // (a file in a mounted directory), then one last line. So the rotation
  // races with the printing, yet the container cannot run out of lines
  // before the rotation, however slow the machine.
  v1::ContainerConfig c =
      Busybox("rotator",
              "i=0; while [ ! -e /gate/open ]; do echo line-$i; i=$((i+1)); "
              "sleep 0.05; done; echo last-$i; sleep 2");
  MountGate(&c);
  const std::string id = Start(c);
  ASSERT_FALSE(id.empty());
  const std::string path = LogPath("rotator");
  WaitForText(path, "line-10");
  ASSERT_EQ(rename(path.c_str(), (path + ".1").c_str()), 0);
  v1::ReopenContainerLogRequest reopen;
  reopen.set_container_id(id);
  v1::ReopenContainerLogResponse resp;
  grpc::Status s = runtime_->ReopenContainerLog(Ctx().get(), reopen, &resp);
  ASSERT_TRUE(s.ok()) << s.error_message();
  OpenGate("open");
  // The last line goes to the new file.
  const std::string second = WaitForText(path, "last-");
  const std::string all = ReadFile(path + ".1") + second;
  const size_t last = all.find(" stdout F last-");
  ASSERT_NE(last, std::string::npos) << all;
  const int count = std::atoi(all.c_str() + last + 15);
  EXPECT_GT(count, 10) << all;
  for (int i = 0; i < count; ++i) {
    const std::string line = absl::StrCat(" stdout F line-", i, "\n");
    const size_t first = all.find(line);
    EXPECT_NE(first, std::string::npos) << "lost " << line;
    EXPECT_EQ(all.find(line, first + 1), std::string::npos) << "twice " << line;
  }
  EXPECT_EQ(all.find(absl::StrCat(" stdout F line-", count, "\n")),
            std::string::npos)
      << "nothing after the last line";
}

TEST_F(ContainerTest, SecurityContextAsSeenFromInside) {
  v1::ContainerConfig c =
      Busybox("secure",
              "id; grep -E '^(CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; "
              "echo rootfs=$(touch /probe 2>/dev/null && echo rw || echo ro); "
              "grep ' /data ' /proc/self/mountinfo; sleep 1");
  auto* sc = c.mutable_linux()->mutable_security_context();
  sc->mutable_run_as_user()->set_value(1234);
  sc->mutable_run_as_group()->set_value(4321);
  sc->add_supplemental_groups(555);
  sc->set_readonly_rootfs(true);
  sc->set_no_new_privs(true);
  sc->mutable_capabilities()->add_drop_capabilities("ALL");
  sc->mutable_capabilities()->add_add_capabilities("NET_BIND_SERVICE");
  sc->mutable_seccomp()->set_profile_type(v1::SecurityProfile::RuntimeDefault);
  const std::string host_dir = dir_.path() + "/data";
  auto* m = c.add_mounts();
  m->set_host_path(host_dir);  // missing: created like docker -v does
  m->set_container_path("/data");
  m->set_readonly(true);
  const std::string id = Start(c);
  ASSERT_FALSE(id.empty());
  const std::string text = WaitForText(LogPath("secure"), "/data");
  EXPECT_NE(text.find("uid=1234 gid=4321 groups=555"), std::string::npos)
      << text;
  // ALL dropped, NET_BIND_SERVICE (bit 10) added: the bounding set.
  EXPECT_NE(text.find("CapBnd:\t0000000000000400"), std::string::npos) << text;
  EXPECT_NE(text.find("NoNewPrivs:\t1"), std::string::npos) << text;
  EXPECT_NE(text.find("Seccomp:\t2"), std::string::npos) << "filtered" << text;
  EXPECT_NE(text.find("rootfs=ro"), std::string::npos) << text;
  EXPECT_NE(text.find(" /data ro"), std::string::npos) << text;
  struct stat st;
  EXPECT_EQ(stat(host_dir.c_str(), &st), 0) << "host path created";
}

TEST_F(ContainerTest, ResourcesReachTheCgroup) {
  v1::ContainerConfig c = Busybox("limited", "sleep 30");
  auto* r = c.mutable_linux()->mutable_resources();
  r->set_memory_limit_in_bytes(64 << 20);
  r->set_cpu_shares(256);
  r->set_cpu_period(100000);
  r->set_cpu_quota(50000);
  const std::string id = Start(c);
  ASSERT_FALSE(id.empty());
  // cgroupfs driver, no parent: docker puts it under /docker/<id>.
  const std::string v1_memory =
      "/sys/fs/cgroup/memory/docker/" + id + "/memory.limit_in_bytes";
  const std::string v2_memory = "/sys/fs/cgroup/docker/" + id + "/memory.max";
  std::string memory = ReadFile(v1_memory);
  if (memory.empty()) memory = ReadFile(v2_memory);
  ASSERT_FALSE(memory.empty()) << "no memory cgroup file for " << id;
  EXPECT_EQ(std::stoll(memory), 64LL << 20);
  const std::string quota =
      ReadFile("/sys/fs/cgroup/cpu/docker/" + id + "/cpu.cfs_quota_us");
  if (!quota.empty()) {
    EXPECT_EQ(std::stoll(quota), 50000);
  }
  // Live update.
  v1::UpdateContainerResourcesRequest up;
  up.set_container_id(id);
  up.mutable_linux()->set_memory_limit_in_bytes(96 << 20);
  v1::UpdateContainerResourcesResponse ur;
  grpc::Status s = runtime_->UpdateContainerResources(Ctx().get(), up, &ur);
  ASSERT_TRUE(s.ok()) << s.error_message();
  memory = ReadFile(v1_memory);
  if (memory.empty()) memory = ReadFile(v2_memory);
  EXPECT_EQ(std::stoll(memory), 96LL << 20);
}

TEST_F(ContainerTest, ExitReasons) {
  v1::ContainerStatus ok = WaitExited(Start(Busybox("clean", "exit 0")));
  EXPECT_EQ(ok.reason(), "Completed");
  EXPECT_EQ(ok.exit_code(), 0);
  EXPECT_GT(ok.started_at(), 0);
  EXPECT_GE(ok.finished_at(), ok.started_at());

  v1::ContainerStatus bad = WaitExited(Start(Busybox("failing", "exit 7")));
  EXPECT_EQ(bad.reason(), "Error");
  EXPECT_EQ(bad.exit_code(), 7);

  v1::ContainerConfig oom =
      Busybox("oom", "dd if=/dev/zero of=/dev/null bs=64M count=1");
  oom.mutable_linux()->mutable_resources()->set_memory_limit_in_bytes(16 << 20);
  v1::ContainerStatus killed = WaitExited(Start(oom));
  EXPECT_EQ(killed.reason(), "OOMKilled") << killed.exit_code();

  v1::ContainerConfig cannot = Busybox("cannot", "");
  cannot.clear_command();
  cannot.clear_args();
  cannot.add_command("/no/such/binary");
  const std::string id = Start(cannot, /*expect_start_ok=*/false);
  v1::ContainerStatus never = StatusOf(id);
  EXPECT_EQ(never.state(), v1::CONTAINER_EXITED);
  EXPECT_EQ(never.reason(), "ContainerCannotRun") << never.message();
  EXPECT_NE(never.message().find("/no/such/binary"), std::string::npos);
}

TEST_F(ContainerTest, StopRemoveAndBadInput) {
  const std::string id = Start(Busybox("sleeper",
                                       "trap 'exit 0' TERM; "
                                       "while true; do sleep 0.1; done"));
  ASSERT_FALSE(id.empty());
  v1::StopContainerRequest stop;
  stop.set_container_id(id);
  // A container that never saw the TERM would be killed after these 30 s
  // (exit code 137); one that handles it stops within a second, or a few
  // on a loaded machine.
  stop.set_timeout(30);
  v1::StopContainerResponse sr;
  const absl::Time t0 = absl::Now();
  ASSERT_TRUE(
      runtime_->StopContainer(Ctx(absl::Seconds(90)).get(), stop, &sr).ok());
  EXPECT_LT(absl::Now() - t0, absl::Seconds(15)) << "TERM handled at once";
  EXPECT_EQ(StatusOf(id).exit_code(), 0);
  EXPECT_TRUE(runtime_->StopContainer(Ctx().get(), stop, &sr).ok());
  v1::RemoveContainerRequest rm;
  rm.set_container_id(id);
  v1::RemoveContainerResponse rr;
  ASSERT_TRUE(runtime_->RemoveContainer(Ctx().get(), rm, &rr).ok());
  EXPECT_NE(access(LogPath("sleeper").c_str(), F_OK), 0) << "log path cleaned";
  EXPECT_TRUE(runtime_->RemoveContainer(Ctx().get(), rm, &rr).ok());

  v1::CreateContainerRequest create;
  create.set_pod_sandbox_id("ffffffffffff");
  *create.mutable_config() = Busybox("orphan", "true");
  *create.mutable_sandbox_config() = config_;
  v1::CreateContainerResponse cr;
  EXPECT_EQ(runtime_->CreateContainer(Ctx().get(), create, &cr).error_code(),
            grpc::StatusCode::NOT_FOUND);
  create.set_pod_sandbox_id(sandbox_);
  auto* m = create.mutable_config()->add_mounts();
  m->set_host_path("relative/path");
  m->set_container_path("/x");
  EXPECT_EQ(runtime_->CreateContainer(Ctx().get(), create, &cr).error_code(),
            grpc::StatusCode::INVALID_ARGUMENT);
}

}  // namespace
}  // namespace cri_dockerd::testing_support
