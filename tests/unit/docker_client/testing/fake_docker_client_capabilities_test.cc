// FakeDockerClient's engine capabilities: derived from its version and
// info, negotiated and kept the way the curl client keeps them.
#include "docker_client/engine_capabilities.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::ElementsAre;

absl::Time Later() { return absl::Now() + absl::Seconds(10); }

TEST(FakeDockerClientCapabilitiesTest, DerivedFromVersionAndInfoAndKept) {
  FakeDockerClient fake;
  absl::StatusOr<EngineCapabilities> caps = fake.Capabilities(Later());
  ASSERT_TRUE(caps.ok()) << caps.status();
  EXPECT_EQ(caps->api_version, "1.41");
  EXPECT_EQ(caps->cgroup_driver, "cgroupfs");
  EXPECT_TRUE(caps->HasRuntime("runc"));
  EXPECT_FALSE(caps->recursive_read_only_mounts);
  EXPECT_FALSE(caps->cdi_devices);

  // SetVersion is a changed daemon the client noticed.
  VersionInfo v;
  v.version = "28.2.2";
  v.api_version = "1.52";
  fake.SetVersion(v);
  caps = fake.Capabilities(Later());
  ASSERT_TRUE(caps.ok()) << caps.status();
  EXPECT_EQ(caps->api_version, "1.51") << "negotiated as the curl client does";
  EXPECT_TRUE(caps->recursive_read_only_mounts);
  EXPECT_TRUE(caps->cdi_devices);

  // ReloadInfo is a config reload nobody noticed.
  absl::StatusOr<SystemInfo> info = fake.Info(Later());
  ASSERT_TRUE(info.ok());
  info->runtimes.push_back("kata");
  fake.ReloadInfo(*info);
  EXPECT_FALSE(fake.Capabilities(Later())->HasRuntime("kata"));
  EXPECT_TRUE(fake.RefreshCapabilities(Later())->HasRuntime("kata"));
  EXPECT_TRUE(fake.Capabilities(Later())->HasRuntime("kata"));

  v.api_version = "1.40";
  fake.SetVersion(v);
  EXPECT_EQ(fake.Capabilities(Later()).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

TEST(FakeDockerClientCapabilitiesTest, CallsAreRecordedAndErrorsInjected) {
  FakeDockerClient fake;
  fake.InjectErrorOnce("Capabilities", absl::UnavailableError("down"));
  fake.InjectErrorOnce("RefreshCapabilities", absl::InternalError("info"));
  EXPECT_EQ(fake.Capabilities(Later()).status(),
            absl::UnavailableError("down"));
  EXPECT_EQ(fake.RefreshCapabilities(Later()).status(),
            absl::InternalError("info"));
  EXPECT_TRUE(fake.Capabilities(Later()).ok());
  EXPECT_TRUE(fake.RefreshCapabilities(Later()).ok());
  EXPECT_THAT(fake.Calls(), ElementsAre("Capabilities", "RefreshCapabilities",
                                        "Capabilities", "RefreshCapabilities"));
  EXPECT_EQ(fake.CallCount("Capabilities"), 2);
  EXPECT_EQ(fake.CallCount("Info"), 0);
}

}  // namespace
}  // namespace cri_dockerd::docker
