// RuntimeConfig: the cgroup driver docker uses.
#include "tests/unit/cri/test_util.h"

namespace cri_dockerd {
namespace {

using testing_util::RuntimeServiceTest;
using RuntimeConfigTest = RuntimeServiceTest;

TEST_F(RuntimeConfigTest, FollowsDockersCgroupDriver) {
  struct {
    const char* driver;
    v1::CgroupDriver want;
  } cases[] = {{"systemd", v1::SYSTEMD}, {"cgroupfs", v1::CGROUPFS}};
  for (const auto& c : cases) {
    docker::SystemInfo info;
    info.cgroup_driver = c.driver;
    docker_.SetInfo(info);
    auto resp = service_->RuntimeConfig(Ctx(), {});
    ASSERT_TRUE(resp.ok()) << resp.status();
    ASSERT_TRUE(resp->has_linux());
    EXPECT_EQ(resp->linux().cgroup_driver(), c.want) << c.driver;
  }
}

TEST_F(RuntimeConfigTest, UnknownDriverIsAnErrorNamingIt) {
  docker::SystemInfo info;
  info.cgroup_driver = "none";
  docker_.SetInfo(info);
  auto resp = service_->RuntimeConfig(Ctx(), {});
  ASSERT_FALSE(resp.ok());
  EXPECT_NE(resp.status().message().find("\"none\""), std::string::npos);
}

TEST_F(RuntimeConfigTest, DockerDownIsUnavailable) {
  docker_.InjectError("Capabilities", absl::UnavailableError("docker down"));
  auto resp = service_->RuntimeConfig(Ctx(), {});
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cri_dockerd
