// RunPodSandbox under faults, against the fake docker client and a fake
// network plugin: a Stop or Remove of the pod while its network is being
// set up waits for the run (ADD and DEL never overlap), a rollback whose
// DEL fails keeps the pod listed so the DEL runs again, and the crash
// hook's steps come where their names say.
#include <algorithm>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "gmock/gmock.h"
#include "tests/poll_until.h"
#include "tests/unit/cri/container_fixture.h"

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

// The crash hook's steps, each checked against the state it promises.
class FaultStepTest : public testing_util::ContainerTest {
 protected:
  void SetUp() override {
    options_.fault_point = FaultPoint([this](absl::string_view step) {
      steps_.emplace_back(step);
      states_.push_back(State());
    });
    service_ = std::make_unique<RuntimeService>(&docker_, &net_, images_.get(),
                                                checkpoints_.get(), options_);
    ContainerTest::SetUp();
  }

  // What docker, the checkpoints and the network plugin hold now.
  std::string State() {
    std::vector<std::string> parts;
    for (const std::string& id : docker_.ContainerIds()) {
      auto c = docker_.InspectContainer(id, absl::InfiniteFuture());
      if (!c.ok()) continue;
      parts.push_back(absl::StrCat(
          c->name.find("_POD_") != std::string::npos ? "pod" : "app",
          c->state.running ? ":running" : ":created"));
    }
    std::sort(parts.begin(), parts.end());
    auto cps = checkpoints_->List();
    parts.push_back(absl::StrCat("checkpoints:", cps.ok() ? cps->size() : 99));
    parts.push_back(absl::StrCat("setups:", net_.SetUps().size()));
    return absl::StrJoin(parts, " ");
  }

  std::vector<std::string> steps_;
  std::vector<std::string> states_;
};

TEST_F(FaultStepTest, StepsComeInOrderWithTheStateTheirNamesPromise) {
  absl::StatusOr<std::string> c = CreateC(Create());
  ASSERT_TRUE(c.ok()) << c.status();
  v1::StartContainerRequest start;
  start.set_container_id(*c);
  ASSERT_TRUE(service_->StartContainer(Ctx(), start).ok());
  EXPECT_THAT(
      steps_,
      ElementsAre(fault_step::kRunAfterCreate, fault_step::kRunAfterCheckpoint,
                  fault_step::kRunAfterStart, fault_step::kRunAfterCniAdd,
                  fault_step::kCreateAfterDockerCreate,
                  fault_step::kStartAfterDockerStart,
                  fault_step::kStartAfterLogAttach));
  EXPECT_THAT(states_, ElementsAre("pod:created checkpoints:0 setups:0",
                                   "pod:created checkpoints:1 setups:0",
                                   "pod:running checkpoints:1 setups:0",
                                   "pod:running checkpoints:1 setups:1",
                                   "app:created pod:running checkpoints:1 "
                                   "setups:1",
                                   "app:running pod:running checkpoints:1 "
                                   "setups:1",
                                   "app:running pod:running checkpoints:1 "
                                   "setups:1"));
}

}  // namespace
}  // namespace cri_dockerd
