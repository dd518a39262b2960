// ListPodSandbox against the fake docker client and a fake network plugin.
#include "tests/unit/cri/pod_fixture.h"

namespace cri_dockerd {
namespace {

using SandboxTest = testing_util::PodTest;

TEST_F(SandboxTest, ListFiltersAndShowsCheckpointOnlySandboxes) {
  absl::StatusOr<std::string> a = Run(Request("a"));
  absl::StatusOr<std::string> b = Run(Request("b"));
  ASSERT_TRUE(a.ok() && b.ok());
  v1::StopPodSandboxRequest stop;
  stop.set_pod_sandbox_id(*b);
  ASSERT_TRUE(service_->StopPodSandbox(Ctx(), stop).ok());

  auto list = [&](const v1::PodSandboxFilter& f) {
    v1::ListPodSandboxRequest req;
    *req.mutable_filter() = f;
    absl::StatusOr<v1::ListPodSandboxResponse> resp =
        service_->ListPodSandbox(Ctx(), req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    std::vector<std::string> ids;
    if (!resp.ok()) return ids;
    for (const auto& s : resp->items()) ids.push_back(s.id());
    std::sort(ids.begin(), ids.end());
    return ids;
  };
  std::vector<std::string> both = {*a, *b};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(list({}), both);
  v1::PodSandboxFilter f;
  f.set_id(a->substr(0, 10));
  EXPECT_EQ(list(f), std::vector<std::string>{*a});
  f.Clear();
  f.mutable_state()->set_state(v1::SANDBOX_READY);
  EXPECT_EQ(list(f), std::vector<std::string>{*a});
  f.Clear();
  (*f.mutable_label_selector())["io.kubernetes.pod.name"] = "b";
  EXPECT_EQ(list(f), std::vector<std::string>{*b});

  // The container vanishes behind our back: the checkpoint keeps the pod
  // listed as NOTREADY so kubelet cleans it up.
  ASSERT_TRUE(
      docker_.RemoveContainer(*a, true, true, absl::InfiniteFuture()).ok());
  v1::ListPodSandboxResponse resp =
      *service_->ListPodSandbox(Ctx(), v1::ListPodSandboxRequest());
  ASSERT_EQ(resp.items_size(), 2);
  for (const auto& s : resp.items()) {
    if (s.id() == *a) {
      EXPECT_EQ(s.state(), v1::SANDBOX_NOTREADY);
      EXPECT_EQ(s.metadata().name(), "a");
    }
  }
}

}  // namespace
}  // namespace cri_dockerd
