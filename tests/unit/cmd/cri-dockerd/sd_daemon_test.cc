// systemd's daemon protocol without libsystemd: LISTEN_PID/LISTEN_FDS as
// socket activation sets them (and malformed), and READY=1 reaching a
// NOTIFY_SOCKET by path and in the abstract namespace.
#include "cmd/cri-dockerd/sd_daemon.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <string>

#include "common/testing/temp_dir.h"
#include "gtest/gtest.h"

namespace cri_dockerd::daemon {
namespace {

class SdDaemonTest : public testing::Test {
 protected:
  void TearDown() override {
    for (const char* v :
         {"LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET"}) {
      unsetenv(v);
    }
  }
  // A datagram socket bound at `path` ('@' first: abstract); its fd.
  static int BindDatagram(const std::string& path) {
    const int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    memcpy(addr.sun_path, path.data(), path.size());
    if (path[0] == '@') addr.sun_path[0] = '\0';
    const socklen_t len =
        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size());
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), len), 0)
        << strerror(errno);
    return fd;
  }
  static std::string Receive(int fd) {
    char buf[64] = {};
    const ssize_t n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
    return n > 0 ? std::string(buf, n) : "";
  }
};

TEST_F(SdDaemonTest, NoActivationIsZeroSockets) {
  absl::StatusOr<int> n = ListenFds();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
}

TEST_F(SdDaemonTest, SocketsForThisProcessAreCountedAndCloseOnExec) {
  // fd 3 as systemd passes it: a listening stream socket.
  const int s = socket(AF_UNIX, SOCK_STREAM, 0);
  testing_util::TempDir dir;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = dir.path() + "/l.sock";
  strcpy(addr.sun_path, path.c_str());
  ASSERT_EQ(bind(s, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(s, 1), 0);
  const int saved = dup(kListenFdsStart);  // whatever fd 3 was
  ASSERT_EQ(dup2(s, kListenFdsStart), kListenFdsStart);
  setenv("LISTEN_PID", std::to_string(getpid()).c_str(), 1);
  setenv("LISTEN_FDS", "1", 1);
  setenv("LISTEN_FDNAMES", "cri-docker.socket", 1);
  absl::StatusOr<int> n = ListenFds();
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(*n, 1);
  EXPECT_TRUE(fcntl(kListenFdsStart, F_GETFD) & FD_CLOEXEC);
  EXPECT_TRUE(IsListeningStreamSocket(kListenFdsStart));
  EXPECT_EQ(getenv("LISTEN_FDS"), nullptr) << "not passed on to children";
  EXPECT_EQ(getenv("LISTEN_PID"), nullptr);
  EXPECT_EQ(getenv("LISTEN_FDNAMES"), nullptr);
  // Not listening, or not a stream: refused.
  const int dgram = socket(AF_UNIX, SOCK_DGRAM, 0);
  const int unlistened = socket(AF_UNIX, SOCK_STREAM, 0);
  EXPECT_FALSE(IsListeningStreamSocket(dgram));
  EXPECT_FALSE(IsListeningStreamSocket(unlistened));
  EXPECT_FALSE(IsListeningStreamSocket(-1));
  close(dgram);
  close(unlistened);
  if (saved >= 0) {
    dup2(saved, kListenFdsStart);
    close(saved);
  } else {
    close(kListenFdsStart);
  }
  close(s);
}

TEST_F(SdDaemonTest, SocketsForAnotherProcessAreNotOurs) {
  setenv("LISTEN_PID", std::to_string(getpid() + 1).c_str(), 1);
  setenv("LISTEN_FDS", "1", 1);
  absl::StatusOr<int> n = ListenFds();
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 0);
  EXPECT_EQ(getenv("LISTEN_FDS"), nullptr);
}

TEST_F(SdDaemonTest, MalformedEnvironmentIsInvalidArgumentNamingIt) {
  struct {
    const char* pid;
    const char* fds;
    const char* named;
  } cases[] = {{"abc", "1", "LISTEN_PID"},
               {"0", "1", "LISTEN_PID"},
               {nullptr, "x", "LISTEN_FDS"},
               {nullptr, "-1", "LISTEN_FDS"},
               {nullptr, "99999999999", "LISTEN_FDS"},
               {nullptr, "900", "is not open"}};  // more than are open
  for (const auto& c : cases) {
    const std::string pid = c.pid ? c.pid : std::to_string(getpid());
    setenv("LISTEN_PID", pid.c_str(), 1);
    setenv("LISTEN_FDS", c.fds, 1);
    absl::StatusOr<int> n = ListenFds();
    ASSERT_FALSE(n.ok()) << pid << " " << c.fds;
    EXPECT_EQ(n.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_NE(n.status().message().find(c.named), std::string::npos)
        << n.status();
  }
}

TEST_F(SdDaemonTest, NotifyReachesThePathAndTheAbstractNamespace) {
  EXPECT_FALSE(Notify("READY=1")) << "no NOTIFY_SOCKET: nothing to tell";
  testing_util::TempDir dir;
  const std::string path = dir.path() + "/notify";
  const std::string abstract = "@crid-sd-test-" + std::to_string(getpid());
  for (const std::string& where : {path, abstract}) {
    const int fd = BindDatagram(where);
    setenv("NOTIFY_SOCKET", where.c_str(), 1);
    EXPECT_TRUE(Notify("READY=1")) << where;
    EXPECT_EQ(Receive(fd), "READY=1") << where;
    close(fd);
  }
  setenv("NOTIFY_SOCKET", "relative/path", 1);
  EXPECT_FALSE(Notify("READY=1"));
  setenv("NOTIFY_SOCKET", (dir.path() + "/nobody").c_str(), 1);
  EXPECT_FALSE(Notify("READY=1")) << "nobody listens: false, no hang";
  setenv("NOTIFY_SOCKET", ("/" + std::string(200, 'x')).c_str(), 1);
  EXPECT_FALSE(Notify("READY=1")) << "longer than sun_path";
}

}  // namespace
}  // namespace cri_dockerd::daemon
