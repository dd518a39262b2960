// GetContainerEvents end to end: the real binary and a real dockerd. A pod
// and a container go through their lifecycle while a client follows the
// stream; then the same across a restart of a private dockerd.
#include <iostream>
#include <map>
#include <utility>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/integration/cri_fixture.h"
#include "tests/integration/event_follower.h"
#include "tests/integration/metrics_scrape.h"
#include "tests/integration/private_dockerd.h"
#include "tests/poll_until.h"

namespace cri_dockerd::testing_support {
namespace {

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
  void WaitUntilSubscribed(int streams = 1) {
    ASSERT_TRUE(testing_util::PollUntil(
        [&] {
          return Occurrences(cri_.process->Output(),
                             "GetContainerEvents: client subscribed") >=
                 streams;
        },
        kPatience))
        << "GetContainerEvents never subscribed\n"
        << cri_.process->Output();
  }
  static int Occurrences(const std::string& text, const std::string& what) {
    int n = 0;
    for (size_t at = text.find(what); at != std::string::npos;
         at = text.find(what, at + what.size())) {
      ++n;
    }
    return n;
  }

  void RunPod() {
    config_ = PodConfig("events");
    sandbox_ = CriTest::RunPod(config_);
    ASSERT_FALSE(sandbox_.empty());
  }
  // Changes are decided in docker's order by one dispatcher and each
  // pod's events keep that order; different pods' events are described
  // in parallel and may pass each other, by as long as a description
  // takes (a few docker calls). So once a pod started after everything
  // else has come and gone, every event (duplicates included) the
  // earlier changes produced has arrived too, barring a description that
  // took longer than the fence pod's whole life. This replaces a fixed
  // wait before counting, which a slow machine could outlast.
  void AwaitFence(EventFollower& events) {
    const std::string fence = CriTest::RunPod(PodConfig("fence"));
    ASSERT_FALSE(fence.empty());
    events.WaitFor(fence, v1::CONTAINER_STARTED_EVENT);
    grpc::Status s = CriTest::RemovePod(fence);
    ASSERT_TRUE(s.ok()) << s.error_message();
    events.WaitFor(fence, v1::CONTAINER_DELETED_EVENT);
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

// Pods created and removed at kubelet-like churn, 20 a minute (10 pods
// over 30 s, each with a running container and removed 6 s after it was
// made), followed by two clients at once: both stay connected and each
// sees every change of every sandbox and container exactly once, in
// order, with the pod's sandbox status. The same lifecycle run before
// anyone subscribes tells what describing the events costs docker.
TEST_F(ContainerEventsTest, TwoSubscribersKeepUpWithPodChurn) {
  const int port = FreePort();
  ASSERT_NO_FATAL_FAILURE(
      StartCri({"--metrics-bind-addr", absl::StrCat("127.0.0.1:", port)}));
  struct Pod {
    std::string uid, sandbox, container;
  };
  std::vector<Pod> pods;
  // Runs pod `name` with its container; false (and a test failure) if not.
  auto run_pod = [&](const std::string& name) {
    v1::PodSandboxConfig config = PodConfig(name);
    Pod pod;
    pod.uid = config.metadata().uid();
    pod.sandbox = CriTest::RunPod(config);
    if (pod.sandbox.empty()) return false;
    pod.container = CriTest::StartContainer(
        pod.sandbox, Busybox("app", "trap 'exit 0' TERM; sleep 600 & wait"));
    pods.push_back(pod);
    return !pod.container.empty();
  };
  auto remove_pod = [&](const Pod& pod) {
    grpc::Status s = CriTest::RemovePod(pod.sandbox);
    EXPECT_TRUE(s.ok()) << s.error_message();
  };

  // Unobserved: what the lifecycle costs docker without describing.
  constexpr int kQuietPods = 3;
  const double quiet_before = DockerRequests(FirstScrape(port));
  for (int i = 0; i < kQuietPods; ++i) {
    ASSERT_TRUE(run_pod(absl::StrCat("quiet", i)));
    remove_pod(pods.back());
  }
  const double quiet = DockerRequests(HttpGet(port, "/metrics")) - quiet_before;
  pods.clear();

  EventFollower first(runtime_);
  EventFollower second(runtime_);
  ASSERT_NO_FATAL_FAILURE(WaitUntilSubscribed(2));
  constexpr int kPods = 10;
  constexpr absl::Duration kEvery = absl::Seconds(3);  // 20 a minute
  constexpr int kLifetimeTicks = 2;                    // removed 6 s later
  const double churn_before = DockerRequests(HttpGet(port, "/metrics"));
  const absl::Time begin = absl::Now();
  for (int tick = 0; tick < kPods + kLifetimeTicks; ++tick) {
    absl::SleepFor(begin + tick * kEvery - absl::Now());
    if (tick < kPods) {
      ASSERT_TRUE(run_pod(absl::StrCat("churn", tick)));
    }
    if (tick >= kLifetimeTicks) remove_pod(pods[tick - kLifetimeTicks]);
  }
  const absl::Duration took = absl::Now() - begin;
  for (EventFollower* events : {&first, &second}) {
    events->WaitFor(pods.back().sandbox, v1::CONTAINER_DELETED_EVENT);
  }
  const double churn = DockerRequests(HttpGet(port, "/metrics")) - churn_before;
  AwaitFence(first);
  AwaitFence(second);

  const std::vector<v1::ContainerEventType> kLifecycle = {
      v1::CONTAINER_CREATED_EVENT, v1::CONTAINER_STARTED_EVENT,
      v1::CONTAINER_STOPPED_EVENT, v1::CONTAINER_DELETED_EVENT};
  std::map<std::string, const Pod*> pod_of;
  for (const Pod& pod : pods) {
    pod_of[pod.sandbox] = &pod;
    pod_of[pod.container] = &pod;
  }
  for (EventFollower* events : {&first, &second}) {
    SCOPED_TRACE(events == &first ? "first subscriber" : "second subscriber");
    grpc::Status status;
    EXPECT_FALSE(events->Done(&status))
        << "stream ended: " << status.error_code() << " "
        << status.error_message();
    std::map<std::string, std::vector<v1::ContainerEventType>> seen;
    for (const v1::ContainerEventResponse& e : events->Events()) {
      auto pod = pod_of.find(e.container_id());
      if (pod == pod_of.end()) continue;  // the fence
      seen[e.container_id()].push_back(e.container_event_type());
      EXPECT_EQ(e.pod_sandbox_status().id(), pod->second->sandbox)
          << e.DebugString();
      EXPECT_EQ(e.pod_sandbox_status().metadata().uid(), pod->second->uid)
          << e.DebugString();
      EXPECT_GT(e.created_at(), 0);
    }
    for (const Pod& pod : pods) {
      EXPECT_EQ(seen[pod.sandbox], kLifecycle) << "sandbox " << pod.sandbox;
      EXPECT_EQ(seen[pod.container], kLifecycle)
          << "container " << pod.container;
    }
  }
  EXPECT_FALSE(absl::StrContains(cri_.process->Output(), "dropping"))
      << cri_.process->Output();
  // 8 events a pod (its sandbox's and its container's four).
  std::cout << kPods << " pods churned in " << took
            << "; docker requests a pod: " << quiet / kQuietPods
            << " unobserved, " << churn / kPods
            << " with two subscribers; describing: "
            << (churn / kPods - quiet / kQuietPods) / 8 << " per event\n";
}

}  // namespace
}  // namespace cri_dockerd::testing_support
