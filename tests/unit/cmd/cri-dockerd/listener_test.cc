#include "cmd/cri-dockerd/listener.h"

#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <string>

#include "gtest/gtest.h"

namespace cri_dockerd {
namespace {

class ListenerTest : public testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/crid-listener-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + dir_ + "'";
    ASSERT_EQ(system(cmd.c_str()), 0);
  }

  // A bound, non-listening socket file: what a crashed daemon leaves.
  void MakeStaleSocket(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    close(fd);
  }

  static bool Connects(const std::string& path) {
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path.c_str());
    const bool ok =
        connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
    close(fd);
    return ok;
  }

  std::string dir_;
};

TEST_F(ListenerTest, CreatesSocketWithParentsAndMode0660) {
  const std::string path = dir_ + "/a/b/cri.sock";
  auto l = Listener::Open("unix://" + path);
  ASSERT_TRUE(l.ok()) << l.status();
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0660u);
  EXPECT_EQ((*l)->path(), path);
  EXPECT_TRUE(Connects(path));
}

TEST_F(ListenerTest, RemovesItsSocketOnDestruction) {
  const std::string path = dir_ + "/cri.sock";
  {
    auto l = Listener::Open("unix://" + path);
    ASSERT_TRUE(l.ok()) << l.status();
  }
  EXPECT_NE(access(path.c_str(), F_OK), 0);
}

TEST_F(ListenerTest, ReplacesStaleSocket) {
  const std::string path = dir_ + "/cri.sock";
  MakeStaleSocket(path);
  ASSERT_FALSE(Connects(path));
  auto l = Listener::Open("unix://" + path);
  ASSERT_TRUE(l.ok()) << l.status();
  EXPECT_TRUE(Connects(path));
}

TEST_F(ListenerTest, RefusesSocketServedByLiveProcess) {
  const std::string path = dir_ + "/cri.sock";
  auto first = Listener::Open("unix://" + path);
  ASSERT_TRUE(first.ok());
  auto second = Listener::Open("unix://" + path);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_NE(second.status().message().find(path), std::string::npos);
  // The first listener is untouched.
  EXPECT_TRUE(Connects(path));
}

TEST_F(ListenerTest, RefusesToReplaceARegularFile) {
  const std::string path = dir_ + "/not-a-socket";
  std::ofstream(path) << "precious";
  auto l = Listener::Open("unix://" + path);
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kFailedPrecondition);
  std::ifstream in(path);
  std::string content;
  in >> content;
  EXPECT_EQ(content, "precious");
}

TEST_F(ListenerTest, RejectsMalformedEndpoints) {
  for (const char* e :
       {"", "/var/run/x.sock", "unix://relative.sock", "unix://",
        "tcp://127.0.0.1:1234", "npipe:////./pipe/x"}) {
    auto l = Listener::Open(e);
    ASSERT_FALSE(l.ok()) << e;
    EXPECT_EQ(l.status().code(), absl::StatusCode::kInvalidArgument) << e;
  }
  auto too_long = Listener::Open("unix:///" + std::string(200, 'x'));
  EXPECT_EQ(too_long.status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ListenerTest, FdEndpointWithoutSocketActivationExplains) {
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_PID");
  auto l = Listener::Open("fd://");
  ASSERT_FALSE(l.ok());
  EXPECT_EQ(l.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(l.status().message().find("LISTEN_FDS"), std::string::npos);
}

}  // namespace
}  // namespace cri_dockerd
