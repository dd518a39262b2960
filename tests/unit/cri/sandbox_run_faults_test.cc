// RunPodSandbox under faults, against the fake docker client and a fake
// network plugin: a Stop or Remove of the pod while its network is being
// set up waits for the run (ADD and DEL never overlap), and a rollback
// whose DEL fails keeps the pod listed so the DEL runs again.
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "tests/poll_until.h"
#include "tests/unit/cri/pod_fixture.h"

namespace cri_dockerd {
namespace {

using ::testing::ElementsAre;
using testing_util::PollUntil;
using SandboxFaultTest = testing_util::PodTest;

v1::StopPodSandboxRequest StopReq(const std::string& id) {
  v1::StopPodSandboxRequest r;
  r.set_pod_sandbox_id(id);
  return r;
}
v1::RemovePodSandboxRequest RemoveReq(const std::string& id) {
  v1::RemovePodSandboxRequest r;
  r.set_pod_sandbox_id(id);
  return r;
}

class RunInBackground {
 public:
  RunInBackground(RuntimeService* service, v1::RunPodSandboxRequest req)
      : thread_([this, service, req] {
          result_ = service->RunPodSandbox(
              CallContext::WithTimeout(absl::Seconds(60)), req);
        }) {}
  ~RunInBackground() {
    if (thread_.joinable()) thread_.join();
  }
  absl::StatusOr<v1::RunPodSandboxResponse> Join() {
    thread_.join();
    return *result_;
  }

 private:
  std::optional<absl::StatusOr<v1::RunPodSandboxResponse>> result_;
  std::thread thread_;
};

// kubelet's RunPodSandbox timed out while the CNI ADD ran, and it stops
// the sandbox it then lists: the Stop waits for the run (here until its
// own short deadline), and its DEL comes after the ADD.
TEST_F(SandboxFaultTest, StopWaitsForTheRunSettingUpTheNetwork) {
  net_.HoldSetUps();
  RunInBackground run(service_.get(), Request());
  ASSERT_TRUE(PollUntil([&] { return net_.HeldSetUps() == 1; }));
  const std::string id = net_.SetUps()[0].sandbox_id;

  // Deterministic either way: with the set-up held, a Stop that waits
  // can only end at its deadline; one that does not wait tears down now.
  absl::StatusOr<v1::StopPodSandboxResponse> early = service_->StopPodSandbox(
      CallContext::WithTimeout(absl::Milliseconds(200)), StopReq(id));
  EXPECT_TRUE(absl::IsDeadlineExceeded(early.status())) << early.status();
  EXPECT_TRUE(net_.TearDowns().empty());
  absl::StatusOr<v1::RemovePodSandboxResponse> early_rm =
      service_->RemovePodSandbox(
          CallContext::WithTimeout(absl::Milliseconds(200)), RemoveReq(id));
  EXPECT_TRUE(absl::IsDeadlineExceeded(early_rm.status())) << early_rm.status();
  EXPECT_TRUE(net_.TearDowns().empty());

  net_.ReleaseSetUps();
  ASSERT_TRUE(run.Join().ok());
  ASSERT_TRUE(service_->StopPodSandbox(Ctx(), StopReq(id)).ok());
  ASSERT_TRUE(service_->RemovePodSandbox(Ctx(), RemoveReq(id)).ok());
  EXPECT_EQ(net_.TearDowns().size(), 2u);
  EXPECT_EQ(net_.Overlaps(), 0);
  ExpectNothingLeft();
}

// A run whose ADD fails and whose rollback's DEL fails too: the infra
// container goes, the checkpoint stays, so the pod is still listed and
// kubelet's Stop and Remove run the DEL again.
TEST_F(SandboxFaultTest, RollbackWhoseDelFailsKeepsThePodListed) {
  net_.FailSetUp(absl::DeadlineExceededError("bridge too slow"));
  net_.FailTearDown(absl::UnavailableError("plugin crashed"));
  absl::StatusOr<std::string> id = Run(Request());
  ASSERT_FALSE(id.ok());
  ASSERT_EQ(net_.SetUps().size(), 1u);
  const std::string sandbox = net_.SetUps()[0].sandbox_id;
  EXPECT_EQ(net_.TearDowns().size(), 1u) << "the rollback tried";
  EXPECT_TRUE(docker_.ContainerIds().empty()) << "infra container removed";
  EXPECT_TRUE(checkpoints_->Read(sandbox).ok()) << "checkpoint kept";

  absl::StatusOr<v1::ListPodSandboxResponse> listed =
      service_->ListPodSandbox(Ctx(), v1::ListPodSandboxRequest());
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items_size(), 1);
  EXPECT_EQ(listed->items(0).id(), sandbox);
  EXPECT_EQ(listed->items(0).state(), v1::SANDBOX_NOTREADY);

  net_.FailTearDown(absl::OkStatus());
  ASSERT_TRUE(service_->StopPodSandbox(Ctx(), StopReq(sandbox)).ok());
  ASSERT_TRUE(service_->RemovePodSandbox(Ctx(), RemoveReq(sandbox)).ok());
  EXPECT_EQ(net_.TearDowns().size(), 3u);
  EXPECT_EQ(net_.TearDowns().back().pod_name, "web");
  EXPECT_EQ(net_.TearDowns().back().port_mappings.size(), 1u)
      << "from the checkpoint";
  ExpectNothingLeft();
}

}  // namespace
}  // namespace cri_dockerd
