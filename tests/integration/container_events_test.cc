// GetContainerEvents end to end: the real binary and a real dockerd. A pod
// and a container go through their lifecycle while a client follows the
// stream; then the same across a restart of a private dockerd.
#include <map>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_fixture.h"
#include "tests/integration/private_dockerd.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {
namespace {

// Follows GetContainerEvents on its own thread.
class EventFollower {
 public:
  explicit EventFollower(v1::RuntimeService::Stub* runtime) {
    thread_ = std::thread([this, runtime] {
      auto reader = runtime->GetContainerEvents(&ctx_, v1::GetEventsRequest());
      v1::ContainerEventResponse e;
      while (reader->Read(&e)) {
        absl::MutexLock lock(&mu_);
        events_.push_back(e);
      }
      grpc::Status s = reader->Finish();
      absl::MutexLock lock(&mu_);
      status_ = s;
      done_ = true;
    });
  }
  ~EventFollower() {
    ctx_.TryCancel();
    thread_.join();
  }

  // Waits for an event of `type` for `id`; returns it (a test failure and
  // an empty event if none comes within `limit`).
  v1::ContainerEventResponse WaitFor(const std::string& id,
                                     v1::ContainerEventType type,
                                     absl::Duration limit = kPatience) {
    absl::MutexLock lock(&mu_);
    const v1::ContainerEventResponse* found = nullptr;
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (const auto& e : events_) {
        if (e.container_id() == id && e.container_event_type() == type) {
          found = &e;
          return true;
        }
      }
      return done_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), limit);
    if (found == nullptr) {
      ADD_FAILURE() << "no " << v1::ContainerEventType_Name(type) << " for "
                    << id << " (stream done: " << done_ << ", "
                    << status_.error_message() << ")";
      return {};
    }
    return *found;
  }
  // How many events of each type came for `id`.
  std::map<v1::ContainerEventType, int> Counts(const std::string& id) {
    absl::MutexLock lock(&mu_);
    std::map<v1::ContainerEventType, int> n;
    for (const auto& e : events_) {
      if (e.container_id() == id) ++n[e.container_event_type()];
    }
    return n;
  }

 private:
  grpc::ClientContext ctx_;
  absl::Mutex mu_;
  std::vector<v1::ContainerEventResponse> events_ ABSL_GUARDED_BY(mu_);
  grpc::Status status_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

const std::map<v1::ContainerEventType, int> kOnceEach = {
    {v1::CONTAINER_CREATED_EVENT, 1},
    {v1::CONTAINER_STARTED_EVENT, 1},
    {v1::CONTAINER_STOPPED_EVENT, 1},
    {v1::CONTAINER_DELETED_EVENT, 1}};

class ContainerEventsTest : public CriTest {
 protected:
  // Waits until the shim has subscribed the follower (it logs that once
  // the subscription exists): from then on no event may be missed, however
  // long the stream took to open.
  void WaitUntilSubscribed() {
    ASSERT_TRUE(testing_util::PollUntil(
        [&] {
          return absl::StrContains(cri_.process->Output(),
                                   "GetContainerEvents: client subscribed");
        },
        kPatience))
        << "GetContainerEvents never subscribed\n"
        << cri_.process->Output();
  }

  void RunPod() {
    config_ = PodConfig("events");
    sandbox_ = CriTest::RunPod(config_);
    ASSERT_FALSE(sandbox_.empty());
  }
  // Events are delivered in docker's order by one dispatcher, so once an
  // event for a pod started after everything else has arrived, so has
  // every event (duplicates included) the earlier changes produced. This
  // replaces a fixed wait before counting, which a slow machine could
  // outlast. The fence goes again while its docker is still there.
  void AwaitFence(EventFollower& events) {
    const std::string fence = CriTest::RunPod(PodConfig("fence"));
    ASSERT_FALSE(fence.empty());
    events.WaitFor(fence, v1::CONTAINER_STARTED_EVENT);
    grpc::Status s = CriTest::RemovePod(fence);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  std::string CreateContainer() {
    return CriTest::CreateContainer(
        sandbox_, Busybox("app", "trap 'exit 0' TERM; sleep 600 & wait"));
  }
  template <typename Req, typename Resp>
  void Call(grpc::Status (v1::RuntimeService::Stub::*method)(
                grpc::ClientContext*, const Req&, Resp*),
            const Req& req) {
    Resp resp;
    grpc::Status s =
        (runtime_->*method)(Ctx(absl::Minutes(1)).get(), req, &resp);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }
  void StartContainer(const std::string& id) {
    v1::StartContainerRequest req;
    req.set_container_id(id);
    Call(&v1::RuntimeService::Stub::StartContainer, req);
  }
  void StopContainer(const std::string& id) {
    v1::StopContainerRequest req;
    req.set_container_id(id);
    req.set_timeout(5);
    Call(&v1::RuntimeService::Stub::StopContainer, req);
  }
  void RemoveContainer(const std::string& id) {
    v1::RemoveContainerRequest req;
    req.set_container_id(id);
    Call(&v1::RuntimeService::Stub::RemoveContainer, req);
  }
  void RemovePod() {
    grpc::Status s = CriTest::RemovePod(sandbox_);
    ASSERT_TRUE(s.ok()) << s.error_message();
  }

  v1::PodSandboxConfig config_;
  std::string sandbox_;
};

TEST_F(ContainerEventsTest, PodAndContainerLifecycle) {
  ASSERT_NO_FATAL_FAILURE(StartCri());
  EventFollower events(runtime_);
  WaitUntilSubscribed();
  RunPod();
  const std::string pod = sandbox_;
  v1::ContainerEventResponse e =
      events.WaitFor(pod, v1::CONTAINER_STARTED_EVENT);
  EXPECT_EQ(e.pod_sandbox_status().id(), pod);
  EXPECT_EQ(e.pod_sandbox_status().metadata().uid(), config_.metadata().uid());
  EXPECT_EQ(e.pod_sandbox_status().state(), v1::SANDBOX_READY);

  const std::string id = CreateContainer();
  e = events.WaitFor(id, v1::CONTAINER_CREATED_EVENT);
  EXPECT_EQ(e.pod_sandbox_status().id(), pod);
  ASSERT_EQ(e.containers_statuses_size(), 1);
  EXPECT_EQ(e.containers_statuses(0).id(), id);

  StartContainer(id);
  e = events.WaitFor(id, v1::CONTAINER_STARTED_EVENT);
  ASSERT_EQ(e.containers_statuses_size(), 1);
  EXPECT_EQ(e.containers_statuses(0).state(), v1::CONTAINER_RUNNING);
  EXPECT_GT(e.created_at(), 0);

  StopContainer(id);
  e = events.WaitFor(id, v1::CONTAINER_STOPPED_EVENT);
  ASSERT_EQ(e.containers_statuses_size(), 1);
  EXPECT_EQ(e.containers_statuses(0).state(), v1::CONTAINER_EXITED);

  RemoveContainer(id);
  e = events.WaitFor(id, v1::CONTAINER_DELETED_EVENT);
  EXPECT_EQ(e.containers_statuses_size(), 0);

  RemovePod();
  e = events.WaitFor(pod, v1::CONTAINER_DELETED_EVENT);
  EXPECT_EQ(e.pod_sandbox_status().metadata().uid(), config_.metadata().uid())
      << e.DebugString();
  AwaitFence(events);
  EXPECT_EQ(events.Counts(id), kOnceEach);
  EXPECT_EQ(events.Counts(pod), kOnceEach);
}

TEST_F(ContainerEventsTest, AcrossADockerdRestartNothingLostOrDuplicated) {
  PrivateDockerd dockerd;
  ASSERT_TRUE(dockerd.Start().ok()) << dockerd.Log();
  ASSERT_NO_FATAL_FAILURE(StartCri({"--docker-endpoint", dockerd.endpoint()}));
  EventFollower events(runtime_);
  WaitUntilSubscribed();
  RunPod();
  const std::string pod = sandbox_;
  const std::string id = CreateContainer();
  StartContainer(id);
  events.WaitFor(id, v1::CONTAINER_STARTED_EVENT);

  // dockerd stops its containers as it goes down; the shim learns that
  // from docker's last events or from its listing after the restart.
  ASSERT_TRUE(dockerd.Stop().ok());
  ASSERT_TRUE(dockerd.Start().ok()) << dockerd.Log();
  events.WaitFor(id, v1::CONTAINER_STOPPED_EVENT);
  events.WaitFor(pod, v1::CONTAINER_STOPPED_EVENT);

  // Events after the restart still arrive.
  RemoveContainer(id);
  events.WaitFor(id, v1::CONTAINER_DELETED_EVENT);
  RemovePod();
  events.WaitFor(pod, v1::CONTAINER_DELETED_EVENT);
  AwaitFence(events);
  EXPECT_EQ(events.Counts(id), kOnceEach) << cri_.process->Output();
  EXPECT_EQ(events.Counts(pod), kOnceEach) << cri_.process->Output();
}

}  // namespace
}  // namespace cri_dockerd::testing_support
