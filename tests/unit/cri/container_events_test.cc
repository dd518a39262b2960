// GetContainerEvents against the fake docker client: the lifecycle of a
// pod's sandbox and container as kubelet's Evented PLEG sees it, with
// sandbox and container statuses; cancellation, shutdown, a slow client.
#include <atomic>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "tests/poll_until.h"
#include "tests/unit/cri/pod_fixture.h"

namespace cri_dockerd {
namespace {

using testing_util::PodTest;

// Runs GetContainerEvents on its own thread, collecting what it sends.
class EventStream {
 public:
  EventStream(RuntimeService* service, std::function<void()> on_send = nullptr)
      : on_send_(std::move(on_send)) {
    thread_ = std::thread([this, service] {
      CallContext ctx;
      ctx.cancelled = [this] { return cancelled_.load(); };
      absl::Status s = service->GetContainerEvents(
          ctx, v1::GetEventsRequest(),
          [this](const v1::ContainerEventResponse& e) {
            if (on_send_) on_send_();
            absl::MutexLock lock(&mu_);
            events_.push_back(e);
            return true;
          });
      absl::MutexLock lock(&mu_);
      result_ = s;
      done_ = true;
    });
  }
  ~EventStream() {
    cancelled_ = true;
    thread_.join();
  }

  // Waits for the n-th event (1-based); fails the test on timeout.
  v1::ContainerEventResponse Wait(size_t n) {
    absl::MutexLock lock(&mu_);
    auto ready = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return events_.size() >= n || done_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&ready), testing_util::kPollTimeout);
    if (events_.size() < n) {
      ADD_FAILURE() << "only " << events_.size() << " events, wanted " << n
                    << "; stream " << (done_ ? result_.ToString() : "open");
      return {};
    }
    return events_[n - 1];
  }
  // The stream's result once it ended.
  absl::Status Result() {
    absl::MutexLock lock(&mu_);
    mu_.AwaitWithTimeout(absl::Condition(&done_), testing_util::kPollTimeout);
    EXPECT_TRUE(done_);
    return result_;
  }
  size_t Count() {
    absl::MutexLock lock(&mu_);
    return events_.size();
  }
  void Cancel() { cancelled_ = true; }

 private:
  std::function<void()> on_send_;
  std::atomic<bool> cancelled_{false};
  absl::Mutex mu_;
  std::vector<v1::ContainerEventResponse> events_ ABSL_GUARDED_BY(mu_);
  absl::Status result_ ABSL_GUARDED_BY(mu_);
  bool done_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

class ContainerEventsTest : public PodTest {
 protected:
  void SetUp() override { AddAppImage(); }
  void WaitWatching() {
    ASSERT_TRUE(testing_util::PollUntil([&] {
      return docker_.ActiveEventStreams() != 0;
    })) << "the docker event stream never opened";
    ASSERT_EQ(docker_.ActiveEventStreams(), 1);
  }
  std::string CreateContainer(const std::string& sandbox) {
    v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(sandbox);
    *req.mutable_sandbox_config() = Request("web").config();
    req.mutable_config()->mutable_metadata()->set_name("app");
    req.mutable_config()->mutable_image()->set_image(testing_util::kAppImage);
    auto resp = service_->CreateContainer(Ctx(), req);
    EXPECT_TRUE(resp.ok()) << resp.status();
    return resp.ok() ? resp->container_id() : "";
  }
};

TEST_F(ContainerEventsTest, PodLifecycleWithStatuses) {
  EventStream stream(service_.get());
  WaitWatching();
  absl::StatusOr<std::string> sandbox = Run(Request("web"));
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();

  // The sandbox's own events carry its ID as container_id.
  v1::ContainerEventResponse e = stream.Wait(1);
  EXPECT_EQ(e.container_id(), *sandbox);
  EXPECT_EQ(e.container_event_type(), v1::CONTAINER_CREATED_EVENT);
  e = stream.Wait(2);
  EXPECT_EQ(e.container_id(), *sandbox);
  EXPECT_EQ(e.container_event_type(), v1::CONTAINER_STARTED_EVENT);
  EXPECT_EQ(e.pod_sandbox_status().id(), *sandbox);
  EXPECT_EQ(e.pod_sandbox_status().state(), v1::SANDBOX_READY);
  EXPECT_EQ(e.pod_sandbox_status().metadata().uid(), "uid-web");
  EXPECT_GT(e.created_at(), 0);
  EXPECT_EQ(e.containers_statuses_size(), 0);

  const std::string id = CreateContainer(*sandbox);
  e = stream.Wait(3);
  EXPECT_EQ(e.container_id(), id);
  EXPECT_EQ(e.container_event_type(), v1::CONTAINER_CREATED_EVENT);
  EXPECT_EQ(e.pod_sandbox_status().id(), *sandbox);
  ASSERT_EQ(e.containers_statuses_size(), 1);
  EXPECT_EQ(e.containers_statuses(0).id(), id);
  EXPECT_EQ(e.containers_statuses(0).state(), v1::CONTAINER_CREATED);
  EXPECT_EQ(e.containers_statuses(0).metadata().name(), "app");

  v1::StartContainerRequest start;
  start.set_container_id(id);
  ASSERT_TRUE(service_->StartContainer(Ctx(), start).ok());
  e = stream.Wait(4);
  EXPECT_EQ(e.container_event_type(), v1::CONTAINER_STARTED_EVENT);
  ASSERT_EQ(e.containers_statuses_size(), 1);
  EXPECT_EQ(e.containers_statuses(0).state(), v1::CONTAINER_RUNNING);

  v1::StopContainerRequest stop;
  stop.set_container_id(id);
  ASSERT_TRUE(service_->StopContainer(Ctx(), stop).ok());
  e = stream.Wait(5);
  EXPECT_EQ(e.container_id(), id);
  EXPECT_EQ(e.container_event_type(), v1::CONTAINER_STOPPED_EVENT);
  ASSERT_EQ(e.containers_statuses_size(), 1);
  EXPECT_EQ(e.containers_statuses(0).state(), v1::CONTAINER_EXITED);

  v1::RemoveContainerRequest remove;
  remove.set_container_id(id);
  ASSERT_TRUE(service_->RemoveContainer(Ctx(), remove).ok());
  e = stream.Wait(6);
  EXPECT_EQ(e.container_id(), id);
  EXPECT_EQ(e.container_event_type(), v1::CONTAINER_DELETED_EVENT);
  EXPECT_EQ(e.containers_statuses_size(), 0);
  EXPECT_EQ(e.pod_sandbox_status().state(), v1::SANDBOX_READY);

  v1::StopPodSandboxRequest stop_pod;
  stop_pod.set_pod_sandbox_id(*sandbox);
  ASSERT_TRUE(service_->StopPodSandbox(Ctx(), stop_pod).ok());
  e = stream.Wait(7);
  EXPECT_EQ(e.container_id(), *sandbox);
  EXPECT_EQ(e.container_event_type(), v1::CONTAINER_STOPPED_EVENT);
  EXPECT_EQ(e.pod_sandbox_status().state(), v1::SANDBOX_NOTREADY);

  v1::RemovePodSandboxRequest remove_pod;
  remove_pod.set_pod_sandbox_id(*sandbox);
  ASSERT_TRUE(service_->RemovePodSandbox(Ctx(), remove_pod).ok());
  e = stream.Wait(8);
  EXPECT_EQ(e.container_id(), *sandbox);
  EXPECT_EQ(e.container_event_type(), v1::CONTAINER_DELETED_EVENT);
  // Gone from docker and the checkpoint store: described from its name,
  // which is all kubelet needs to forget the pod.
  EXPECT_EQ(e.pod_sandbox_status().id(), *sandbox);
  EXPECT_EQ(e.pod_sandbox_status().metadata().name(), "web");
  EXPECT_EQ(e.pod_sandbox_status().metadata().namespace_(), "default");
  EXPECT_EQ(e.pod_sandbox_status().metadata().uid(), "uid-web");
  EXPECT_EQ(e.pod_sandbox_status().metadata().attempt(), 1u);
  EXPECT_EQ(e.pod_sandbox_status().labels().at("app"), "web");

  absl::SleepFor(absl::Milliseconds(200));  // an extra event would be here
  EXPECT_EQ(stream.Count(), 8u);
}

// RemovePodSandbox removes the infra container before the checkpoint; an
// event described in between still names the pod fully (regression: the
// checkpoint-only status had no uid, and kubelet dropped the event).
TEST_F(ContainerEventsTest, SandboxDeletedBeforeItsCheckpointKeepsItsUid) {
  EventStream stream(service_.get());
  WaitWatching();
  absl::StatusOr<std::string> sandbox = Run(Request("web"));
  ASSERT_TRUE(sandbox.ok()) << sandbox.status();
  stream.Wait(2);
  ASSERT_TRUE(
      docker_.RemoveContainer(*sandbox, true, true, absl::InfiniteFuture())
          .ok());
  v1::ContainerEventResponse e;
  for (size_t n = 3; e.container_event_type() != v1::CONTAINER_DELETED_EVENT;
       ++n) {
    e = stream.Wait(n);
    if (e.container_id().empty()) return;  // Wait() failed the test
  }
  EXPECT_EQ(e.container_id(), *sandbox);
  EXPECT_EQ(e.pod_sandbox_status().metadata().name(), "web");
  EXPECT_EQ(e.pod_sandbox_status().metadata().uid(), "uid-web");
  EXPECT_EQ(e.pod_sandbox_status().metadata().attempt(), 1u);
  EXPECT_EQ(e.pod_sandbox_status().labels().at("app"), "web");
}

TEST_F(ContainerEventsTest, ClientCancelEndsTheStream) {
  EventStream stream(service_.get());
  WaitWatching();
  stream.Cancel();
  EXPECT_TRUE(stream.Result().ok());
}

TEST_F(ContainerEventsTest, ShutdownEndsTheStreamCleanly) {
  EventStream stream(service_.get());
  WaitWatching();
  service_->StopContainerEvents();
  EXPECT_TRUE(stream.Result().ok());
  EXPECT_EQ(docker_.ActiveEventStreams(), 0);
}

TEST_F(ContainerEventsTest, SlowClientIsDroppedWithAClearError) {
  events::EventSourceOptions options;
  options.subscriber_queue_limit = 2;
  RuntimeService service(&docker_, &net_, images_.get(), checkpoints_.get(),
                         options_, nullptr, {}, options);
  absl::Notification release;
  EventStream slow(&service, [&] { release.WaitForNotification(); });
  EventStream fast(&service);
  ASSERT_TRUE(testing_util::PollUntil([&] {
    return docker_.ActiveEventStreams() != 0;
  })) << "the docker event stream never opened";
  // Each pod is two events (create, start): the slow client blocks in
  // its first send while more than two queue up behind it.
  // The fast client keeps up (never more than one pod's events queued).
  size_t want = 0;
  for (const char* name : {"a", "b", "c"}) {
    ASSERT_TRUE(Run(Request(name)).ok());
    fast.Wait(want += 2);
  }
  release.Notify();
  absl::Status s = slow.Result();
  EXPECT_EQ(s.code(), absl::StatusCode::kResourceExhausted) << s;
  EXPECT_THAT(std::string(s.message()), ::testing::HasSubstr("fell"));
  EXPECT_EQ(fast.Count(), 6u);
}

}  // namespace
}  // namespace cri_dockerd
