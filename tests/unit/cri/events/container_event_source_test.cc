// ContainerEventSource against the fake docker client: events of the
// shim's containers reach every subscriber once, across a broken stream
// (since=) and a restarted daemon (resynchronised from a listing).
#include "cri/events/container_event_source.h"

#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "cri/events/docker_watch_listener.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"

namespace cri_dockerd::events {
namespace {

using docker::FakeDockerClient;

constexpr char kImage[] = "sha256:1111";

struct Seen {
  std::string id;
  v1::ContainerEventType type;
  bool operator==(const Seen& o) const { return id == o.id && type == o.type; }
};
std::ostream& operator<<(std::ostream& os, const Seen& s) {
  return os << s.id << ":" << v1::ContainerEventType_Name(s.type);
}

class ContainerEventSourceTest : public ::testing::Test {
 protected:
  ContainerEventSourceTest() {
    docker::ImageInspect image;
    image.id = kImage;
    image.repo_tags = {"busybox:latest"};
    docker_.AddImage(image);
    Rebuild(Describe);
  }
  // Replaces the source with one using `describe`.
  void Rebuild(EventDescriber describe) {
    source_.reset();
    EventSourceOptions options;
    options.min_backoff = absl::Milliseconds(10);
    options.max_backoff = absl::Milliseconds(50);
    source_ =
        std::make_unique<ContainerEventSource>(&docker_, describe, options);
  }
  // Describes without docker: IDs, types and times only.
  static std::vector<v1::ContainerEventResponse> Describe(
      const std::vector<ContainerChange>& changes) {
    std::vector<v1::ContainerEventResponse> out;
    for (const ContainerChange& c : changes) {
      v1::ContainerEventResponse& r = out.emplace_back();
      r.set_container_id(c.id);
      r.set_container_event_type(c.type);
      r.set_created_at(c.time_nano);
      r.mutable_pod_sandbox_status()->set_id(c.sandbox_id);
    }
    return out;
  }

  // Subscribes and waits until the watch runs and its first listing is
  // recorded.
  std::unique_ptr<EventBroadcaster::Subscription> SubscribeReady() {
    auto sub = source_->Subscribe();
    WaitFor(
        [&] { return docker_.ActiveEventStreams() == 1 && Listings() >= 1; },
        "the watch running and its first listing done");
    return sub;
  }
  int Listings() {
    int n = 0;
    for (const std::string& c : docker_.Calls()) n += c == "ListContainers";
    return n;
  }
  // Polls `done`; fails the test, naming `what`, if it never holds.
  template <typename F>
  void WaitFor(F done, const char* what) {
    ASSERT_TRUE(testing_util::PollUntil(done)) << "never happened: " << what;
  }

  std::string Create(const std::string& name, bool ours = true,
                     const std::string& pod = "sb1") {
    docker::ContainerCreateConfig config;
    config.name = name;
    config.image = "busybox:latest";
    if (ours) {
      config.labels["io.kubernetes.docker.type"] = "container";
      config.labels["io.kubernetes.sandbox.id"] = pod;
    }
    absl::StatusOr<std::string> id =
        docker_.CreateContainer(config, absl::Now() + absl::Seconds(5));
    EXPECT_TRUE(id.ok()) << id.status();
    return id.ok() ? *id : "";
  }
  void Start(const std::string& id) {
    ASSERT_TRUE(
        docker_.StartContainer(id, absl::Now() + absl::Seconds(5)).ok());
  }
  void Stop(const std::string& id) {
    ASSERT_TRUE(
        docker_
            .StopContainer(id, absl::Seconds(1), absl::Now() + absl::Seconds(5))
            .ok());
  }
  void Remove(const std::string& id) {
    ASSERT_TRUE(
        docker_.RemoveContainer(id, true, false, absl::Now() + absl::Seconds(5))
            .ok());
  }

  // The next `n` events (failing on timeout), then checks nothing more
  // comes within `quiet`.
  std::vector<Seen> Take(EventBroadcaster::Subscription& sub, size_t n,
                         absl::Duration quiet = absl::Milliseconds(300)) {
    std::vector<Seen> out;
    while (out.size() < n) {
      absl::StatusOr<EventPtr> e = sub.Next(testing_util::kPollTimeout);
      if (!e.ok() || *e == nullptr) {
        ADD_FAILURE() << "after " << out.size() << " events: "
                      << (e.ok() ? "timeout" : e.status().ToString());
        return out;
      }
      out.push_back({(*e)->container_id(), (*e)->container_event_type()});
    }
    absl::StatusOr<EventPtr> extra = sub.Next(quiet);
    if (extra.ok() && *extra != nullptr) {
      ADD_FAILURE() << "unexpected extra event "
                    << Seen{(*extra)->container_id(),
                            (*extra)->container_event_type()};
    }
    return out;
  }

  void TearDown() override {
    // A test that failed before releasing its describer.
    if (!release_.HasBeenNotified()) release_.Notify();
  }

  // Outlives source_, whose describer may wait for it.
  absl::Notification release_;
  FakeDockerClient docker_;
  std::unique_ptr<ContainerEventSource> source_;
};

TEST_F(ContainerEventSourceTest, DeliversLifecycleOfShimContainersOnly) {
  auto sub = SubscribeReady();
  auto second = source_->Subscribe();
  const std::string other = Create("not_ours", /*ours=*/false);
  Start(other);
  const std::string id = Create("k8s_app_web_default_uid1_0");
  Start(id);
  Stop(id);
  Remove(id);
  const std::vector<Seen> want = {{id, v1::CONTAINER_CREATED_EVENT},
                                  {id, v1::CONTAINER_STARTED_EVENT},
                                  {id, v1::CONTAINER_STOPPED_EVENT},
                                  {id, v1::CONTAINER_DELETED_EVENT}};
  EXPECT_EQ(Take(*sub, 4), want);
  EXPECT_EQ(Take(*second, 4, absl::ZeroDuration()), want);
  // One docker watch, asking docker to filter by type and action (not by
  // label: image and network events carry none).
  std::vector<docker::EventStreamOptions> calls = docker_.EventStreamCalls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].filters["type"],
            (std::vector<std::string>{"container", "image", "network"}));
  EXPECT_EQ(calls[0].filters.count("label"), 0u);
  EXPECT_FALSE(calls[0].filters["event"].empty());
}

TEST_F(ContainerEventSourceTest, ExistingContainersAreNotReplayed) {
  const std::string before = Create("k8s_old_web_default_uid1_0");
  Start(before);
  auto sub = SubscribeReady();
  Stop(before);
  EXPECT_EQ(Take(*sub, 1),
            (std::vector<Seen>{{before, v1::CONTAINER_STOPPED_EVENT}}));
}

TEST_F(ContainerEventSourceTest,
       BrokenStreamResumesSinceLastEventNoDuplicates) {
  auto sub = SubscribeReady();
  const std::string id = Create("k8s_app_web_default_uid1_0");
  Start(id);
  EXPECT_EQ(Take(*sub, 2).size(), 2u);
  docker_.BreakEventStreams(absl::UnavailableError("connection reset"));
  WaitFor([&] { return docker_.EventStreamCalls().size() == 2; },
          "a second event stream call");
  WaitFor([&] { return docker_.ActiveEventStreams() == 1; },
          "the event stream running again");
  Stop(id);
  EXPECT_EQ(Take(*sub, 1),
            (std::vector<Seen>{{id, v1::CONTAINER_STOPPED_EVENT}}));
  // Resumed at the last event read (inclusive: the fake replays "start",
  // which must not come twice).
  std::vector<docker::EventStreamOptions> calls = docker_.EventStreamCalls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_GT(calls[1].since, calls[0].since);
  EXPECT_LE(calls[1].since, absl::Now());
}

TEST_F(ContainerEventSourceTest, RestartedDockerIsResynchronised) {
  const std::string keeps = Create("k8s_keeps_web_default_uid1_0");
  Start(keeps);
  auto sub = SubscribeReady();
  const std::string dies = Create("k8s_dies_web_default_uid1_0");
  Start(dies);
  const std::string goes = Create("k8s_goes_web_default_uid1_0");
  EXPECT_EQ(Take(*sub, 3).size(), 3u);

  // dockerd goes away...
  docker_.InjectError("Ping", absl::UnavailableError("docker down"));
  docker_.InjectError("StreamEvents", absl::UnavailableError("docker down"));
  docker_.BreakEventStreams(absl::UnavailableError("connection reset"));
  WaitFor([&] { return docker_.ActiveEventStreams() == 0; },
          "the broken event stream ending");
  // ... things change meanwhile, and the new daemon has no history.
  Stop(dies);
  Remove(goes);
  const std::string appears = Create("k8s_appears_web_default_uid1_0");
  docker_.ClearEventHistory();
  docker_.ClearError("Ping");
  docker_.ClearError("StreamEvents");

  std::vector<Seen> got = Take(*sub, 3);
  std::sort(got.begin(), got.end(),
            [](const Seen& a, const Seen& b) { return a.id < b.id; });
  std::vector<Seen> want = {{dies, v1::CONTAINER_STOPPED_EVENT},
                            {goes, v1::CONTAINER_DELETED_EVENT},
                            {appears, v1::CONTAINER_CREATED_EVENT}};
  std::sort(want.begin(), want.end(),
            [](const Seen& a, const Seen& b) { return a.id < b.id; });
  EXPECT_EQ(got, want);
  // Events after the restart arrive as usual.
  WaitFor([&] { return docker_.ActiveEventStreams() == 1; },
          "the event stream running again");
  Start(appears);
  EXPECT_EQ(Take(*sub, 1),
            (std::vector<Seen>{{appears, v1::CONTAINER_STARTED_EVENT}}));
}

// Describing asks docker (the pod's statuses); the dispatcher does not: a
// pod whose description hangs holds up neither the other pods' events nor
// the watch, and its own events come later in order.
TEST_F(ContainerEventSourceTest, SlowDescriptionHoldsUpOnlyItsPod) {
  absl::Notification& release = release_;
  Rebuild([&release](const std::vector<ContainerChange>& changes) {
    if (changes.front().sandbox_id == "slow") release.WaitForNotification();
    return Describe(changes);
  });
  auto sub = SubscribeReady();
  docker_.ResetCalls();
  const std::string stuck =
      Create("k8s_stuck_web_default_uid1_0", true, "slow");
  Start(stuck);
  const std::string id = Create("k8s_app_web_default_uid2_0", true, "fast");
  Start(id);
  Stop(id);
  EXPECT_EQ(Take(*sub, 3, absl::ZeroDuration()),
            (std::vector<Seen>{{id, v1::CONTAINER_CREATED_EVENT},
                               {id, v1::CONTAINER_STARTED_EVENT},
                               {id, v1::CONTAINER_STOPPED_EVENT}}));
  // Only the test's own calls: nothing per event from the watch.
  for (const std::string& call : docker_.Calls()) {
    EXPECT_TRUE(call == "CreateContainer" || call == "StartContainer" ||
                call == "StopContainer")
        << call;
  }
  release.Notify();
  EXPECT_EQ(Take(*sub, 2),
            (std::vector<Seen>{{stuck, v1::CONTAINER_CREATED_EVENT},
                               {stuck, v1::CONTAINER_STARTED_EVENT}}));
}

TEST_F(ContainerEventSourceTest, StopEndsSubscriptionsAndTheWatch) {
  auto sub = SubscribeReady();
  source_->Stop();
  EXPECT_EQ(sub->Next(absl::Seconds(5)).status().code(),
            absl::StatusCode::kCancelled);
  EXPECT_EQ(docker_.ActiveEventStreams(), 0);
  auto late = source_->Subscribe();
  EXPECT_EQ(late->Next(absl::Seconds(5)).status().code(),
            absl::StatusCode::kCancelled);
}

TEST_F(ContainerEventSourceTest, NoWatchWithoutSubscribersOrStart) {
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(docker_.EventStreamCalls().size(), 0u);
}

// Records what the watch tells its listener.
class RecordingListener : public DockerWatchListener {
 public:
  void OnWatchConnecting() override { Add("connecting"); }
  void OnDockerEvent(const docker::Event& e) override {
    Add(e.type + ":" + e.action);
  }
  void OnWatchDisconnected(const absl::Status& s) override {
    Add(absl::StrCat("disconnected:", absl::StatusCodeToString(s.code())));
  }
  std::vector<std::string> Seen() const {
    absl::MutexLock lock(&mu_);
    return seen_;
  }
  bool Has(const std::string& what) const {
    std::vector<std::string> seen = Seen();
    return std::find(seen.begin(), seen.end(), what) != seen.end();
  }

 private:
  void Add(std::string what) {
    absl::MutexLock lock(&mu_);
    seen_.push_back(std::move(what));
  }
  mutable absl::Mutex mu_;
  std::vector<std::string> seen_ ABSL_GUARDED_BY(mu_);
};

TEST(ContainerEventSourceListenerTest,
     StartFeedsTheListenerWithoutSubscribers) {
  FakeDockerClient docker;
  docker::ImageInspect image;
  image.id = kImage;
  image.repo_tags = {"busybox:latest"};
  docker.AddImage(image);
  RecordingListener listener;
  EventSourceOptions options;
  options.min_backoff = absl::Milliseconds(10);
  options.max_backoff = absl::Milliseconds(50);
  ContainerEventSource source(
      &docker,
      [](const std::vector<ContainerChange>& changes) {
        return std::vector<v1::ContainerEventResponse>(changes.size());
      },
      options, &listener);
  ASSERT_TRUE(source.Start().ok());
  ASSERT_TRUE(testing_util::PollUntil(
      [&] { return docker.ActiveEventStreams() == 1; }));
  docker::ContainerCreateConfig config;
  config.name = "someone_elses";  // no label: the listener sees it anyway
  config.image = "busybox:latest";
  ASSERT_TRUE(
      docker.CreateContainer(config, absl::Now() + absl::Seconds(5)).ok());
  ASSERT_TRUE(docker
                  .RemoveImage("busybox:latest", /*force=*/true,
                               absl::Now() + absl::Seconds(5))
                  .ok());
  ASSERT_TRUE(
      testing_util::PollUntil([&] { return listener.Has("image:untag"); }));
  EXPECT_TRUE(listener.Has("container:create"));

  docker.BreakEventStreams(absl::UnavailableError("connection reset"));
  ASSERT_TRUE(testing_util::PollUntil(
      [&] { return docker.EventStreamCalls().size() == 2; }));
  source.Stop();
  const std::vector<std::string> seen = listener.Seen();
  ASSERT_FALSE(seen.empty());
  EXPECT_EQ(seen.front(), "connecting");
  EXPECT_EQ(seen.back(), "disconnected:CANCELLED");
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "connecting"), 2);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "disconnected:UNAVAILABLE"),
            1);
}

}  // namespace
}  // namespace cri_dockerd::events
