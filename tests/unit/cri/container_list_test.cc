// ListContainers against the fake docker client: the CRI's filters.
#include <algorithm>

#include "tests/unit/cri/container_fixture.h"

namespace cri_dockerd {
namespace {

using testing_util::ContainerTest;

TEST_F(ContainerTest, ListFilters) {
  absl::StatusOr<std::string> a = CreateC(Create("a1"));
  absl::StatusOr<std::string> b = CreateC(Create("b1"));
  ASSERT_TRUE(a.ok() && b.ok());
  v1::StartContainerRequest start;
  start.set_container_id(*a);
  ASSERT_TRUE(service_->StartContainer(Ctx(), start).ok());
  auto list = [&](const v1::ContainerFilter& f) {
    v1::ListContainersRequest req;
    *req.mutable_filter() = f;
    absl::StatusOr<v1::ListContainersResponse> resp =
        service_->ListContainers(Ctx(), req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    std::vector<std::string> ids;
    if (!resp.ok()) return ids;
    for (const auto& c : resp->containers()) {
      EXPECT_EQ(c.pod_sandbox_id(), sandbox_);
      ids.push_back(c.id());
    }
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  std::vector<std::string> both = {*a, *b};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(list({}), both) << "the infra container is not listed";
  v1::ContainerFilter f;
  f.set_id(a->substr(0, 8));
  EXPECT_EQ(list(f), std::vector<std::string>{*a});
  f.Clear();
  f.mutable_state()->set_state(v1::CONTAINER_RUNNING);
  EXPECT_EQ(list(f), std::vector<std::string>{*a});
  f.Clear();
  f.set_pod_sandbox_id(sandbox_.substr(0, 12));
  EXPECT_EQ(list(f), both);
  f.set_pod_sandbox_id("abcdef012345");
  EXPECT_TRUE(list(f).empty());
  f.Clear();
  (*f.mutable_label_selector())["tier"] = "front";
  EXPECT_EQ(list(f), both);
  (*f.mutable_label_selector())["tier"] = "back";
  EXPECT_TRUE(list(f).empty());
}

}  // namespace
}  // namespace cri_dockerd
