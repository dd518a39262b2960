// The engine's capabilities: how they follow the API version, and how
// CurlDockerClient keeps them against the fake Docker server -- computed
// once, dropped with the negotiated version (the daemon went away or came
// back as another version), read again on demand (a dockerd config
// reload), never kept from a failure.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "docker_client/curl_docker_client.h"
#include "docker_client/engine_capabilities.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/component/docker_client/test_util.h"
#include "tests/component/fake_docker_server.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kInfo[] =
    R"({"CgroupDriver":"cgroupfs","Runtimes":{"runc":{"path":"runc"}}})";

TEST(MakeEngineCapabilitiesTest, FeaturesFollowTheApiVersion) {
  SystemInfo info;
  info.cgroup_driver = "systemd";
  info.runtimes = {"runc", "kata"};
  struct Case {
    std::string api;
    bool new_features;  // recursive read-only mounts and CDI devices
  } cases[] = {
      {"1.41", false}, {"1.43", false}, {"1.44", true}, {"1.51", true}};
  for (const Case& c : cases) {
    SCOPED_TRACE(c.api);
    const EngineCapabilities caps = MakeEngineCapabilities(c.api, info);
    EXPECT_EQ(caps.api_version, c.api);
    EXPECT_EQ(caps.recursive_read_only_mounts, c.new_features);
    EXPECT_EQ(caps.cdi_devices, c.new_features);
    EXPECT_EQ(caps.cgroup_driver, "systemd");
    EXPECT_THAT(caps.runtimes, ElementsAre("runc", "kata"));
    EXPECT_TRUE(caps.HasRuntime("kata"));
    EXPECT_FALSE(caps.HasRuntime("gvisor"));
  }
}

// A client negotiated with a Docker 20.10-like engine (API 1.41), its
// /info scripted.
class CurlCapabilitiesTest : public NegotiatedClientTest {
 protected:
  void SetUp() override {
    NegotiatedClientTest::SetUp();
    server_->SetResponse("GET", "/info", {.body = kInfo});
  }

  absl::StatusOr<EngineCapabilities> Caps() {
    return client_->Capabilities(In(absl::Seconds(5)));
  }
};

TEST_F(CurlCapabilitiesTest, ComputedOnceForSeveralCalls) {
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<EngineCapabilities> caps = Caps();
    ASSERT_TRUE(caps.ok()) << caps.status();
    EXPECT_EQ(caps->api_version, "1.41");
    EXPECT_EQ(caps->cgroup_driver, "cgroupfs");
    EXPECT_THAT(caps->runtimes, ElementsAre("runc"));
    EXPECT_FALSE(caps->recursive_read_only_mounts);
    EXPECT_FALSE(caps->cdi_devices);
  }
  // Version() finding the same daemon keeps them.
  ASSERT_TRUE(client_->Version(In(absl::Seconds(5))).ok());
  ASSERT_TRUE(Caps().ok());
  EXPECT_THAT(server_->Paths(), ElementsAre("/v1.41/info", "/version"));
}

TEST_F(CurlCapabilitiesTest, Docker28HasTheNewFeatures) {
  StartDaemon("1.50");
  server_->SetResponse("GET", "/info", {.body = ReadTestdata("info_28.json")});
  absl::StatusOr<EngineCapabilities> caps = Caps();
  ASSERT_TRUE(caps.ok()) << caps.status();
  EXPECT_EQ(caps->api_version, "1.50");
  EXPECT_EQ(caps->cgroup_driver, "systemd");
  EXPECT_TRUE(caps->HasRuntime("runc"));
  EXPECT_TRUE(caps->recursive_read_only_mounts);
  EXPECT_TRUE(caps->cdi_devices);
}

TEST_F(CurlCapabilitiesTest, ReadAgainWhenTheDaemonComesBackAsAnotherVersion) {
  ASSERT_TRUE(Caps().ok());
  server_->SetDaemonVersion("1.50", "1.24");
  ASSERT_TRUE(server_->Restart().ok());
  server_->ClearRequests();
  // Any reply's Api-Version header tells the client.
  ASSERT_TRUE(client_->Ping(In(absl::Seconds(5))).ok());
  absl::StatusOr<EngineCapabilities> caps = Caps();
  ASSERT_TRUE(caps.ok()) << caps.status();
  EXPECT_EQ(caps->api_version, "1.50");
  EXPECT_TRUE(caps->recursive_read_only_mounts);
  EXPECT_THAT(server_->Paths(),
              ElementsAre("/_ping", "/version", "/v1.50/info"));
}

TEST_F(CurlCapabilitiesTest, ReadAgainAfterTheDaemonWentAway) {
  ASSERT_TRUE(Caps().ok());
  server_->Crash();
  EXPECT_EQ(client_->Ping(In(absl::Seconds(5))).code(),
            absl::StatusCode::kUnavailable);
  // Back, same version, reconfigured.
  server_->SetResponse("GET", "/info",
                       {.body = R"({"CgroupDriver":"systemd"})"});
  ASSERT_TRUE(server_->Restart().ok());
  server_->ClearRequests();
  absl::StatusOr<EngineCapabilities> caps = Caps();
  ASSERT_TRUE(caps.ok()) << caps.status();
  EXPECT_EQ(caps->cgroup_driver, "systemd");
  EXPECT_THAT(server_->Paths(), ElementsAre("/version", "/v1.41/info"));
}

TEST_F(CurlCapabilitiesTest, RefreshRereadsWhatAConfigReloadChanged) {
  ASSERT_TRUE(Caps().ok());
  // dockerd reloads its config (SIGHUP): same daemon and version, one
  // more runtime. The cached capabilities do not know.
  server_->SetResponse(
      "GET", "/info",
      {.body =
           R"({"CgroupDriver":"cgroupfs","Runtimes":{"runc":{},"kata":{}}})"});
  server_->ClearRequests();
  absl::StatusOr<EngineCapabilities> caps = Caps();
  ASSERT_TRUE(caps.ok()) << caps.status();
  EXPECT_FALSE(caps->HasRuntime("kata"));
  EXPECT_THAT(server_->Paths(), IsEmpty());

  caps = client_->RefreshCapabilities(In(absl::Seconds(5)));
  ASSERT_TRUE(caps.ok()) << caps.status();
  EXPECT_TRUE(caps->HasRuntime("kata"));
  caps = Caps();
  ASSERT_TRUE(caps.ok()) << caps.status();
  EXPECT_TRUE(caps->HasRuntime("kata")) << "the refreshed value is kept";
  EXPECT_THAT(server_->Paths(), ElementsAre("/v1.41/info"));
}

TEST_F(CurlCapabilitiesTest, FailuresAreNotKept) {
  server_->SetResponse("GET", "/info",
                       {.status = 500, .body = R"({"message":"boom"})"});
  absl::StatusOr<EngineCapabilities> caps = Caps();
  EXPECT_EQ(caps.status().code(), absl::StatusCode::kInternal);
  EXPECT_EQ(caps.status().message(), "GET /info: boom");
  server_->SetResponse("GET", "/info", {.body = kInfo});
  ASSERT_TRUE(Caps().ok());
  ASSERT_TRUE(Caps().ok());
  EXPECT_THAT(server_->Paths(), ElementsAre("/v1.41/info", "/v1.41/info"));
}

TEST_F(CurlCapabilitiesTest, ReadAgainWhenTheDaemonChangesDuringTheRead) {
  // Negotiated with 1.41; the daemon is then swapped for a 1.50 one that
  // still accepts 1.41, unnoticed. The /info reply's Api-Version header
  // drops the negotiation, so what it said is read again under the new
  // one rather than kept as 1.41's.
  server_->SetDaemonVersion("1.50", "1.24");
  ASSERT_TRUE(server_->Restart().ok());
  server_->ClearRequests();
  absl::StatusOr<EngineCapabilities> caps = Caps();
  ASSERT_TRUE(caps.ok()) << caps.status();
  EXPECT_EQ(caps->api_version, "1.50");
  EXPECT_TRUE(caps->recursive_read_only_mounts);
  ASSERT_TRUE(Caps().ok());
  EXPECT_THAT(server_->Paths(),
              ElementsAre("/v1.41/info", "/version", "/v1.50/info"));
}

TEST_F(CurlCapabilitiesTest, ConcurrentCallersShareOneValue) {
  constexpr int kThreads = 8;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        absl::StatusOr<EngineCapabilities> caps = Caps();
        if (!caps.ok() || caps->api_version != "1.41") ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  int info_calls = 0;
  for (const std::string& path : server_->Paths()) {
    info_calls += path == "/v1.41/info";
  }
  // Each caller reads /info at most once: only while none is kept yet.
  EXPECT_GE(info_calls, 1);
  EXPECT_LE(info_calls, kThreads);
}

}  // namespace
}  // namespace cri_dockerd::docker
