#include "tests/unit/cri/test_util.h"

namespace cri_dockerd {
namespace {

using testing_util::RuntimeServiceTest;
using VersionTest = RuntimeServiceTest;

TEST_F(VersionTest, ReportsDockerVersionAndCriV1) {
  docker::VersionInfo v;
  v.version = "28.2.2";
  v.api_version = "1.50";
  docker_.SetVersion(v);
  absl::StatusOr<v1::VersionResponse> resp =
      service_->Version(Ctx(), v1::VersionRequest());
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->version(), "0.1.0");
  EXPECT_EQ(resp->runtime_name(), "docker");
  EXPECT_EQ(resp->runtime_version(), "28.2.2");
  EXPECT_EQ(resp->runtime_api_version(), "v1");
}

TEST_F(VersionTest, DockerErrorsKeepTheirCode) {
  docker_.InjectError("Version",
                      absl::UnavailableError("cannot connect to docker"));
  absl::StatusOr<v1::VersionResponse> resp =
      service_->Version(Ctx(), v1::VersionRequest());
  ASSERT_FALSE(resp.ok());
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(resp.status().message().find("cannot connect"), std::string::npos);
}

TEST_F(VersionTest, DeadlineIsTheCallersCappedByRequestTimeout) {
  const absl::Time before = absl::Now();
  ASSERT_TRUE(
      service_
          ->Version(CallContext::WithDeadline(before + absl::Seconds(3)), {})
          .ok());
  EXPECT_EQ(docker_.LastDeadline(), before + absl::Seconds(3));
  // No client deadline: bounded by the configured 30 s.
  ASSERT_TRUE(service_->Version(CallContext{}, {}).ok());
  EXPECT_LE(docker_.LastDeadline(), absl::Now() + absl::Seconds(30));
  EXPECT_GT(docker_.LastDeadline(), before + absl::Seconds(29));
}

}  // namespace
}  // namespace cri_dockerd
