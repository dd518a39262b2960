// --runtime-cgroups keeps dockerd (and the containerd it supervises) in the
// named cgroup: checked on a private dockerd, so the host's is untouched.
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/private_dockerd.h"

namespace cri_dockerd::testing_support {
namespace {

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// True when /proc/PID/cgroup lists `cgroup` for the memory hierarchy (v1)
// or the unified one (v2).
bool InCgroup(int pid, const std::string& cgroup) {
  for (absl::string_view line :
       absl::StrSplit(Read(absl::StrCat("/proc/", pid, "/cgroup")), '\n')) {
    std::vector<std::string> f = absl::StrSplit(line, absl::MaxSplits(':', 2));
    if (f.size() == 3 && (f[1] == "memory" || f[0] == "0") && f[2] == cgroup) {
      return true;
    }
  }
  return false;
}

std::string MemoryCgroupDir(const std::string& cgroup) {
  return access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0
             ? "/sys/fs/cgroup" + cgroup
             : "/sys/fs/cgroup/memory" + cgroup;
}

TEST(RuntimeCgroupsTest, MovesDockerdIntoTheCgroupWithAMemoryLimit) {
  PrivateDockerd dockerd;
  ASSERT_TRUE(dockerd.Start().ok()) << dockerd.Log();
  const std::string cgroup = absl::StrCat("/crid-it-runtime-", getpid());
  ScratchDir dir;
  const std::string socket = dir.path() + "/cri.sock";
  {
    auto daemon = DaemonProcess::StartCriDockerd(
        socket, {"--docker-endpoint", dockerd.endpoint(), "--runtime-cgroups",
                 cgroup, "--cni-conf-dir", dir.path(),
                 "--cri-dockerd-root-directory", dir.path() + "/r"});
    ASSERT_TRUE(WaitUntilServing("unix://" + socket, absl::Seconds(20)).ok())
        << daemon->Output();
    // The daemon moves dockerd as it starts: generous for a loaded machine.
    const absl::Time give_up = absl::Now() + absl::Seconds(60);
    bool moved = InCgroup(dockerd.pid(), cgroup);
    while (!moved && absl::Now() < give_up) {
      absl::SleepFor(absl::Milliseconds(100));
      moved = InCgroup(dockerd.pid(), cgroup);
    }
    EXPECT_TRUE(moved) << Read(absl::StrCat("/proc/", dockerd.pid(), "/cgroup"))
                       << daemon->Output();
    const std::string dir_memory = MemoryCgroupDir(cgroup);
    std::string limit = Read(dir_memory + "/memory.limit_in_bytes");
    if (limit.empty()) limit = Read(dir_memory + "/memory.max");
    EXPECT_GE(std::stoll(limit.empty() ? "0" : limit), 150LL << 20) << limit;
    // Only dockerd moved: cri-dockerd itself stays where it was started.
    EXPECT_FALSE(InCgroup(daemon->pid(), cgroup));
  }
  ASSERT_TRUE(dockerd.Stop().ok());
  // Leave no test cgroups behind.
  const std::string cmd =
      absl::StrCat("for d in /sys/fs/cgroup", cgroup, " /sys/fs/cgroup/*",
                   cgroup, "; do [ -d \"$d\" ] && rmdir \"$d\"; done; true");
  EXPECT_EQ(system(cmd.c_str()), 0);
}

}  // namespace
}  // namespace cri_dockerd::testing_support
