// UpdateContainerResources against the fake docker client.
#include <optional>

#include "tests/unit/cri/container_fixture.h"

namespace cri_dockerd {
namespace {

using testing_util::ContainerTest;

TEST_F(ContainerTest, UpdateResourcesAppliesWhatDockerCan) {
  absl::StatusOr<std::string> id = CreateC(Create());
  ASSERT_TRUE(id.ok());
  v1::UpdateContainerResourcesRequest req;
  req.set_container_id(*id);
  req.mutable_linux()->set_cpu_shares(512);
  req.mutable_linux()->set_memory_limit_in_bytes(64 << 20);
  ASSERT_TRUE(service_->UpdateContainerResources(Ctx(), req).ok());
  std::optional<docker::Resources> r = docker_.UpdatedResources(*id);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->cpu_shares, 512);
  EXPECT_EQ(r->memory, 64 << 20);
  // What docker cannot express is left alone, not refused (kubelet sends
  // hugepages with every resize).
  auto* hp = req.mutable_linux()->add_hugepage_limits();
  hp->set_page_size("2MB");
  hp->set_limit(1 << 21);
  req.mutable_linux()->set_cpu_shares(256);
  EXPECT_TRUE(service_->UpdateContainerResources(Ctx(), req).ok());
  EXPECT_EQ(docker_.UpdatedResources(*id)->cpu_shares, 256);
  req.mutable_linux()->set_cpu_shares(-1);
  EXPECT_EQ(service_->UpdateContainerResources(Ctx(), req).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace cri_dockerd
