// GetContainerEvents against the fake docker client: the lifecycle of a
// pod's sandbox and container as kubelet's Evented PLEG sees it, with
// sandbox and container statuses; cancellation, shutdown, a slow client.
#include <atomic>
#include <iostream>
#include <thread>

#include "absl/strings/str_cat.h"
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

// What describing costs docker: the same pod lifecycle (8 events) run with
// a subscriber, waiting for each event, and again with none; the
// difference is the describing. Each change is described from the
// container view, which asks docker only about the container the change
// marked stale (its listing entry and its inspect).
TEST_F(ContainerEventsTest, DescribingAnEventCostsAtMostTwoDockerCalls) {
  auto lifecycle = [&](const std::string& name, EventStream* stream) {
    size_t n = stream != nullptr ? stream->Count() : 0;
    auto step = [&] {
      if (stream != nullptr) stream->Wait(++n);
    };
    const int before = static_cast<int>(docker_.Calls().size());
    v1::RunPodSandboxRequest run = Request(name);
    absl::StatusOr<std::string> pod = Run(run);
    if (!pod.ok()) {
      ADD_FAILURE() << pod.status();
      return -1;
    }
    step();
    step();
    v1::CreateContainerRequest create;
    create.set_pod_sandbox_id(*pod);
    *create.mutable_sandbox_config() = run.config();
    create.mutable_config()->mutable_metadata()->set_name("app");
    create.mutable_config()->mutable_image()->set_image(
        testing_util::kAppImage);
    absl::StatusOr<v1::CreateContainerResponse> c =
        service_->CreateContainer(Ctx(), create);
    if (!c.ok()) {
      ADD_FAILURE() << c.status();
      return -1;
    }
    step();
    v1::StartContainerRequest start;
    start.set_container_id(c->container_id());
    EXPECT_TRUE(service_->StartContainer(Ctx(), start).ok());
    step();
    v1::StopContainerRequest stop;
    stop.set_container_id(c->container_id());
    EXPECT_TRUE(service_->StopContainer(Ctx(), stop).ok());
    step();
    v1::RemoveContainerRequest remove;
    remove.set_container_id(c->container_id());
    EXPECT_TRUE(service_->RemoveContainer(Ctx(), remove).ok());
    step();
    v1::StopPodSandboxRequest stop_pod;
    stop_pod.set_pod_sandbox_id(*pod);
    EXPECT_TRUE(service_->StopPodSandbox(Ctx(), stop_pod).ok());
    step();
    v1::RemovePodSandboxRequest remove_pod;
    remove_pod.set_pod_sandbox_id(*pod);
    EXPECT_TRUE(service_->RemovePodSandbox(Ctx(), remove_pod).ok());
    step();
    return static_cast<int>(docker_.Calls().size()) - before;
  };
  int with_subscriber = 0;
  {
    EventStream stream(service_.get());
    WaitWatching();
    lifecycle("warm-up", &stream);  // the view built, the image cached
    with_subscriber = lifecycle("web", &stream);
    EXPECT_EQ(stream.Count(), 16u);
  }
  const int without = lifecycle("web2", nullptr);
  const int per_8_events = with_subscriber - without;
  std::cout << "docker calls for a pod lifecycle: " << without
            << " without a subscriber, " << with_subscriber
            << " with one (8 events described one at a time)\n";
  EXPECT_GE(per_8_events, 0);
  EXPECT_LE(per_8_events, 2 * 8);
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
  // ABORTED: retry at a higher level (list again, then subscribe again).
  EXPECT_EQ(s.code(), absl::StatusCode::kAborted) << s;
  EXPECT_THAT(std::string(s.message()),
              ::testing::AllOf(::testing::HasSubstr("fell more than 2"),
                               ::testing::HasSubstr("list pod sandboxes"),
                               ::testing::HasSubstr("GetContainerEvents")));
  EXPECT_EQ(fast.Count(), 6u);

  // The dropped client calls again and follows from then on. Pods run
  // until the new stream (subscribing on its own thread) sees one; the
  // next pod's events then all reach it.
  EventStream again(&service);
  std::string last_run;
  for (int i = 0; again.Count() == 0; ++i) {
    ASSERT_LT(i, 100) << "the new stream never saw an event";
    last_run = absl::StrCat("r", i);
    ASSERT_TRUE(Run(Request(last_run)).ok());
    fast.Wait(want += 2);
  }
  // It may have seen that pod's CREATED with its STARTED still on the way.
  ASSERT_TRUE(testing_util::PollUntil([&] {
    const v1::ContainerEventResponse e = again.Wait(again.Count());
    return e.container_event_type() == v1::CONTAINER_STARTED_EVENT &&
           e.pod_sandbox_status().metadata().name() == last_run;
  }));
  const size_t seen = again.Count();
  ASSERT_TRUE(Run(Request("last")).ok());
  fast.Wait(want += 2);
  for (size_t n = seen + 1; n <= seen + 2; ++n) {
    v1::ContainerEventResponse e = again.Wait(n);
    EXPECT_EQ(e.container_event_type(), n == seen + 1
                                            ? v1::CONTAINER_CREATED_EVENT
                                            : v1::CONTAINER_STARTED_EVENT);
    EXPECT_EQ(e.pod_sandbox_status().metadata().name(), "last");
  }
}

}  // namespace
}  // namespace cri_dockerd
