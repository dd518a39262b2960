// RuntimeReady follows dockerd: a private dockerd is stopped and restarted
// under a running cri-dockerd, which must notice each within 2 s and need
// no restart of its own.
#include <map>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/daemon_process.h"
#include "tests/integration/private_dockerd.h"

namespace cri_dockerd::testing_support {
namespace {

namespace v1 = ::runtime::v1;

// RuntimeReady as Status reports it now.
absl::StatusOr<v1::RuntimeCondition> RuntimeReady(
    v1::RuntimeService::Stub* stub) {
  v1::StatusResponse resp;
  grpc::Status s = stub->Status(Ctx(absl::Seconds(5)).get(), {}, &resp);
  if (!s.ok()) return absl::UnknownError(s.error_message());
  for (const auto& c : resp.status().conditions()) {
    if (c.type() == "RuntimeReady") return c;
  }
  return absl::NotFoundError("no RuntimeReady condition");
}

// Polls until RuntimeReady == want; returns how long it took.
absl::StatusOr<absl::Duration> TimeUntil(v1::RuntimeService::Stub* stub,
                                         bool want, absl::Duration limit) {
  const absl::Time start = absl::Now();
  while (absl::Now() - start < limit) {
    absl::StatusOr<v1::RuntimeCondition> c = RuntimeReady(stub);
    if (!c.ok()) return c.status();
    if (c->status() == want) return absl::Now() - start;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return absl::DeadlineExceededError("RuntimeReady never changed");
}

TEST(DockerRestartTest, RuntimeReadyFollowsDockerdWithin2s) {
  PrivateDockerd dockerd;
  ASSERT_TRUE(dockerd.Start().ok()) << dockerd.Log();
  ScratchDir dir;
  const std::string socket = dir.path() + "/cri.sock";
  auto daemon = DaemonProcess::StartCriDockerd(
      socket, {"--docker-endpoint", dockerd.endpoint(), "--cni-conf-dir",
               dir.path(), "--cri-dockerd-root-directory", dir.path() + "/r"});
  ASSERT_TRUE(WaitUntilServing("unix://" + socket, absl::Seconds(20)).ok())
      << daemon->Output();
  auto stub = v1::RuntimeService::NewStub(Dial("unix://" + socket));
  v1::VersionResponse version;
  ASSERT_TRUE(stub->Version(Ctx().get(), {}, &version).ok());
  ASSERT_TRUE(RuntimeReady(stub.get())->status());

  ASSERT_TRUE(dockerd.Stop().ok());
  absl::StatusOr<absl::Duration> down =
      TimeUntil(stub.get(), false, absl::Seconds(10));
  ASSERT_TRUE(down.ok()) << down.status();
  EXPECT_LE(*down, absl::Seconds(2));
  absl::StatusOr<v1::RuntimeCondition> cond = RuntimeReady(stub.get());
  ASSERT_TRUE(cond.ok());
  EXPECT_EQ(cond->reason(), "DockerDaemonNotReady");
  EXPECT_FALSE(cond->message().empty());
  grpc::Status s = stub->Version(Ctx().get(), {}, &version);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::UNAVAILABLE) << s.error_message();

  ASSERT_TRUE(dockerd.Start().ok()) << dockerd.Log();
  absl::StatusOr<absl::Duration> up =
      TimeUntil(stub.get(), true, absl::Seconds(10));
  ASSERT_TRUE(up.ok()) << up.status();
  EXPECT_LE(*up, absl::Seconds(2));
  // Versioned calls work again (the API version is renegotiated).
  s = stub->Version(Ctx().get(), {}, &version);
  EXPECT_TRUE(s.ok()) << s.error_message();
  v1::RuntimeConfigResponse config;
  s = stub->RuntimeConfig(Ctx().get(), {}, &config);
  EXPECT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(daemon->Running()) << daemon->Output();
}

TEST(DockerRestartTest, HungDockerdTurnsNotReadyWithinTheBound) {
  // A socket that accepts but never answers: a wedged dockerd.
  ScratchDir dir;
  const std::string fake = dir.path() + "/hung.sock";
  DaemonProcess hung(
      {"socat", "UNIX-LISTEN:" + fake + ",fork", "EXEC:sleep 600"});
  for (int i = 0; i < 100 && access(fake.c_str(), F_OK) != 0; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
  }
  const std::string socket = dir.path() + "/cri.sock";
  auto daemon = DaemonProcess::StartCriDockerd(
      socket, {"--docker-endpoint", "unix://" + fake, "--cni-conf-dir",
               dir.path(), "--cri-dockerd-root-directory", dir.path() + "/r"});
  ASSERT_TRUE(WaitUntilServing("unix://" + socket, absl::Seconds(20)).ok())
      << daemon->Output();
  auto stub = v1::RuntimeService::NewStub(Dial("unix://" + socket));
  const absl::Time start = absl::Now();
  absl::StatusOr<v1::RuntimeCondition> cond = RuntimeReady(stub.get());
  const absl::Duration took = absl::Now() - start;
  ASSERT_TRUE(cond.ok()) << cond.status();
  EXPECT_FALSE(cond->status());
  EXPECT_LE(took, absl::Seconds(2)) << "Status must not hang on dockerd";
}

}  // namespace
}  // namespace cri_dockerd::testing_support
