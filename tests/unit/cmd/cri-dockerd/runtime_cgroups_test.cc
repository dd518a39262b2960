#include "cmd/cri-dockerd/runtime_cgroups.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"

namespace cri_dockerd {
namespace {

using testing_util::TempDir;

std::string Read(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fake /proc and a fake cgroup v1 tree (two hierarchies) on disk.
class RuntimeCgroupsTest : public testing::Test {
 protected:
  void SetUp() override {
    settings_.cgroup = "/runtime/docker";
    settings_.cgroup_root = cgroups_.path();
    settings_.proc_root = proc_.path();
    settings_.docker_pid_file = proc_.path() + "/docker.pid";  // none yet
    for (const char* h : {"memory", "cpu"}) {
      mkdir((cgroups_.path() + "/" + h).c_str(), 0755);
      cgroups_.Write(std::string(h) + "/cgroup.procs", "");
    }
    proc_.Write("meminfo", "MemTotal:       1000000 kB\nMemFree: 1 kB\n");
    AddProc(100, "dockerd", 1);
    AddProc(101, "containerd", 100);  // supervised by dockerd
    AddProc(102, "containerd", 1);    // a system containerd
    AddProc(103, "sleep", 100);
    AddProc(200, "dockerd", 1);
  }
  void AddProc(int pid, const std::string& comm, int ppid) {
    const std::string dir = proc_.path() + "/" + std::to_string(pid);
    mkdir(dir.c_str(), 0755);
    std::ofstream(dir + "/stat")
        << pid << " (" << comm << ") S " << ppid << " 1 1 0 -1\n";
  }

  TempDir cgroups_, proc_;
  RuntimeCgroupSettings settings_;
};

TEST_F(RuntimeCgroupsTest, CreatesCgroupWithSeventyPercentMemoryLimit) {
  ASSERT_TRUE(CreateRuntimeCgroup(settings_).ok());
  for (const char* h : {"memory", "cpu"}) {
    struct stat st;
    EXPECT_EQ(
        stat((cgroups_.path() + "/" + h + "/runtime/docker").c_str(), &st), 0)
        << h;
  }
  // The fake files do not exist until written; create one and re-run so
  // the limit is applied where the controller offers it.
  cgroups_.Write("memory/runtime/docker/memory.limit_in_bytes", "");
  ASSERT_TRUE(CreateRuntimeCgroup(settings_).ok());
  EXPECT_EQ(
      Read(cgroups_.path() + "/memory/runtime/docker/memory.limit_in_bytes"),
      std::to_string(int64_t{1000000} * 1024 * 70 / 100));
}

TEST_F(RuntimeCgroupsTest, FindsDockerdsAndTheirContainerdByName) {
  auto pids = FindRuntimePids(settings_);
  ASSERT_TRUE(pids.ok()) << pids.status();
  std::vector<int> got = *pids;
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (std::vector<int>{100, 101, 200}));
}

std::vector<int> Sorted(absl::StatusOr<std::vector<int>> pids) {
  EXPECT_TRUE(pids.ok()) << pids.status();
  std::vector<int> got = pids.value_or(std::vector<int>{});
  std::sort(got.begin(), got.end());
  return got;
}

TEST_F(RuntimeCgroupsTest, TakesTheDockerdItsPidFileNames) {
  proc_.Write("docker.pid", "100\n");
  EXPECT_EQ(Sorted(FindRuntimePids(settings_)), (std::vector<int>{100, 101}));
  proc_.Write("docker.pid", "200");
  EXPECT_EQ(Sorted(FindRuntimePids(settings_)), (std::vector<int>{200}));
  // Stale: the pid is someone else's now, or nobody's.
  for (const char* stale : {"103", "999", "garbage", ""}) {
    proc_.Write("docker.pid", stale);
    EXPECT_EQ(Sorted(FindRuntimePids(settings_)),
              (std::vector<int>{100, 101, 200}))
        << stale;
  }
}

// A unix socket served by this test process, standing in for systemd
// holding docker.socket (socket activation).
class SocketHolder {
 public:
  explicit SocketHolder(const std::string& path) {
    fd_ = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    EXPECT_EQ(listen(fd_, 4), 0);
  }
  ~SocketHolder() { close(fd_); }

 private:
  int fd_ = -1;
};

TEST_F(RuntimeCgroupsTest, TheSocketsHolderCountsOnlyIfItIsDockerd) {
  const std::string sock = proc_.path() + "/docker.sock";
  SocketHolder holder(sock);
  settings_.docker_socket = sock;
  const int self = static_cast<int>(getpid());
  // Socket activation: PID 1-like systemd serves the socket. Never moved;
  // the pid file's dockerd is, or without one the dockerds by name.
  AddProc(self, "systemd", 0);
  std::vector<int> got = Sorted(FindRuntimePids(settings_));
  EXPECT_EQ(std::count(got.begin(), got.end(), self), 0);
  EXPECT_EQ(got, (std::vector<int>{100, 101, 200}));
  proc_.Write("docker.pid", "200");
  EXPECT_EQ(Sorted(FindRuntimePids(settings_)), (std::vector<int>{200}));
  // dockerd serving its own socket: that one, whatever the pid file says
  // (another dockerd's, as on a machine running two).
  AddProc(self, "dockerd", 1);
  EXPECT_EQ(Sorted(FindRuntimePids(settings_)), (std::vector<int>{self}));
}

TEST_F(RuntimeCgroupsTest, MovesPidsIntoEveryHierarchy) {
  ASSERT_TRUE(CreateRuntimeCgroup(settings_).ok());
  ASSERT_TRUE(MoveIntoCgroup(settings_, {100}).ok());
  for (const char* h : {"memory", "cpu"}) {
    EXPECT_EQ(Read(cgroups_.path() + "/" + h + "/runtime/docker/cgroup.procs"),
              "100")
        << h;
  }
}

TEST_F(RuntimeCgroupsTest, ErrorsNameWhatIsMissing) {
  settings_.docker_socket = proc_.path() + "/no-docker.sock";
  TempDir empty_proc;
  settings_.proc_root = empty_proc.path();
  const absl::Status none = FindRuntimePids(settings_).status();
  EXPECT_TRUE(absl::IsNotFound(none)) << none;
  EXPECT_NE(none.message().find("docker.pid"), std::string::npos) << none;
  EXPECT_NE(none.message().find("no-docker.sock"), std::string::npos) << none;
  settings_.proc_root = proc_.path();
  settings_.cgroup_root = proc_.path() + "/nowhere";
  absl::Status s = CreateRuntimeCgroup(settings_);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("nowhere"), std::string::npos) << s;
}

}  // namespace
}  // namespace cri_dockerd
