// fd:// serving: systemd-socket-activate passes the listening socket the
// way cri-docker.socket does (LISTEN_FDS/LISTEN_PID).
#include <signal.h>
#include <unistd.h>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/daemon_process.h"

namespace cri_dockerd::testing_support {
namespace {

namespace v1 = ::runtime::v1;

TEST(SocketActivationTest, ServesTheSocketSystemdPasses) {
  ASSERT_EQ(access("/usr/bin/systemd-socket-activate", X_OK), 0)
      << "needs systemd-socket-activate (package systemd)";
  ScratchDir dir;
  const std::string socket = dir.path() + "/cri-dockerd.sock";
  DaemonProcess activator(
      {"systemd-socket-activate", "-l", socket, CRID_BINARY,
       "--container-runtime-endpoint", "fd://", "--cni-conf-dir", dir.path(),
       "--cri-dockerd-root-directory", dir.path() + "/root"});
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  while (access(socket.c_str(), F_OK) != 0 && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  ASSERT_EQ(access(socket.c_str(), F_OK), 0) << activator.Output();

  // The first connection makes systemd-socket-activate exec cri-dockerd.
  ASSERT_TRUE(WaitUntilServing("unix://" + socket, absl::Seconds(20)).ok())
      << activator.Output();
  auto stub = v1::RuntimeService::NewStub(Dial("unix://" + socket));
  v1::VersionResponse version;
  grpc::Status s = stub->Version(Ctx().get(), {}, &version);
  ASSERT_TRUE(s.ok()) << s.error_message() << "\n" << activator.Output();
  EXPECT_EQ(version.runtime_name(), "docker");
  // Several connections over the same inherited socket.
  for (int i = 0; i < 5; ++i) {
    auto fresh = v1::RuntimeService::NewStub(Dial("unix://" + socket));
    v1::StatusResponse status;
    EXPECT_TRUE(fresh->Status(Ctx().get(), {}, &status).ok());
  }

  absl::StatusOr<int> code = activator.Stop(SIGTERM, absl::Seconds(15));
  ASSERT_TRUE(code.ok()) << code.status();
  EXPECT_EQ(*code, 0) << activator.Output();
  EXPECT_NE(activator.Output().find("serving the CRI on fd://"),
            std::string::npos)
      << activator.Output();
}

}  // namespace
}  // namespace cri_dockerd::testing_support
