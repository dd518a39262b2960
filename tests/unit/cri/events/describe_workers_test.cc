// DescribeWorkers: changes are described off the caller's thread, each
// pod's in order and in one call for those that waited together; a slow
// description holds up only its pod; an overflowing queue drops the
// subscribers with a clear error, and a new subscriber starts afresh.
#include "cri/events/describe_workers.h"

#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "tests/poll_until.h"

namespace cri_dockerd::events {
namespace {

ContainerChange Change(const std::string& pod, const std::string& id,
                       v1::ContainerEventType type) {
  ContainerChange c;
  c.id = id;
  c.sandbox_id = pod;
  c.type = type;
  return c;
}

// A describer that records its calls and, for pods in `hold`, waits until
// the test releases them.
class Describer {
 public:
  EventDescriber Fn() {
    return [this](const std::vector<ContainerChange>& changes) {
      std::vector<std::string> ids;
      for (const ContainerChange& c : changes) ids.push_back(c.id);
      const std::string& pod = changes.front().sandbox_id;
      absl::Notification* gate = nullptr;
      {
        absl::MutexLock lock(&mu_);
        batches_[pod].push_back(ids);
        if (auto it = hold_.find(pod); it != hold_.end()) gate = it->second;
      }
      if (gate != nullptr) gate->WaitForNotification();
      std::vector<v1::ContainerEventResponse> out;
      for (const ContainerChange& c : changes) {
        v1::ContainerEventResponse& e = out.emplace_back();
        e.set_container_id(c.id);
        e.set_container_event_type(c.type);
      }
      return out;
    };
  }
  // Descriptions of `pod` wait for `gate` (the test releases it).
  void Hold(const std::string& pod, absl::Notification* gate) {
    absl::MutexLock lock(&mu_);
    hold_[pod] = gate;
  }
  std::vector<std::vector<std::string>> Batches(const std::string& pod) {
    absl::MutexLock lock(&mu_);
    return batches_[pod];
  }
  size_t Calls(const std::string& pod) { return Batches(pod).size(); }

 private:
  absl::Mutex mu_;
  std::map<std::string, absl::Notification*> hold_ ABSL_GUARDED_BY(mu_);
  std::map<std::string, std::vector<std::vector<std::string>>> batches_
      ABSL_GUARDED_BY(mu_);
};

// Releases a held describer (once; a failed test may not have).
void Release(absl::Notification& gate) {
  if (!gate.HasBeenNotified()) gate.Notify();
}

// The next event's container ID, or the error / "<timeout>".
std::string NextId(EventBroadcaster::Subscription& sub) {
  absl::StatusOr<EventPtr> e = sub.Next(testing_util::kPollTimeout);
  if (!e.ok()) return e.status().ToString();
  if (*e == nullptr) return "<timeout>";
  return (*e)->container_id();
}

TEST(DescribeWorkersTest, SlowPodHoldsUpOnlyItselfAndKeepsItsOrder) {
  EventBroadcaster out(100);
  auto sub = out.Subscribe();
  Describer d;
  absl::Notification release_a;
  d.Hold("A", &release_a);
  DescribeWorkers workers(d.Fn(), &out, 2, 100);
  absl::Cleanup unblock = [&] { Release(release_a); };

  workers.Submit(Change("A", "a1", v1::CONTAINER_CREATED_EVENT));
  ASSERT_TRUE(testing_util::PollUntil([&] { return d.Calls("A") == 1; }));
  // A's description is stuck (docker slow for it): B's events still flow,
  // and A's later changes wait behind its first.
  workers.Submit(Change("B", "b1", v1::CONTAINER_CREATED_EVENT));
  workers.Submit(Change("A", "a2", v1::CONTAINER_STARTED_EVENT));
  workers.Submit(Change("B", "b2", v1::CONTAINER_STARTED_EVENT));
  workers.Submit(Change("A", "a3", v1::CONTAINER_STOPPED_EVENT));
  EXPECT_EQ(NextId(*sub), "b1");
  EXPECT_EQ(NextId(*sub), "b2");
  EXPECT_EQ(d.Calls("A"), 1u) << "a pod described on two threads at once";

  Release(release_a);
  EXPECT_EQ(NextId(*sub), "a1");
  EXPECT_EQ(NextId(*sub), "a2");
  EXPECT_EQ(NextId(*sub), "a3");
  // What waited for A was described in one call, in order.
  using ::testing::ElementsAre;
  EXPECT_THAT(d.Batches("A"),
              ElementsAre(ElementsAre("a1"), ElementsAre("a2", "a3")));
  EXPECT_EQ(workers.queued(), 0u);
}

TEST(DescribeWorkersTest, OverflowDropsSubscribersWhoThenResubscribe) {
  EventBroadcaster out(100);
  auto first = out.Subscribe();
  Describer d;
  absl::Notification release;
  d.Hold("A", &release);
  DescribeWorkers workers(d.Fn(), &out, 1, 2);
  absl::Cleanup unblock = [&] { Release(release); };

  workers.Submit(Change("A", "a1", v1::CONTAINER_CREATED_EVENT));
  ASSERT_TRUE(testing_util::PollUntil([&] { return d.Calls("A") == 1; }));
  workers.Submit(Change("A", "a2", v1::CONTAINER_STARTED_EVENT));
  workers.Submit(Change("B", "b1", v1::CONTAINER_CREATED_EVENT));
  // The third waiting change finds the queue full: what waited is lost,
  // and the subscriber is told so.
  workers.Submit(Change("C", "c1", v1::CONTAINER_CREATED_EVENT));
  EXPECT_EQ(workers.queued(), 1u);
  absl::StatusOr<EventPtr> e = first->Next(testing_util::kPollTimeout);
  EXPECT_EQ(e.status().code(), absl::StatusCode::kAborted) << e.status();
  EXPECT_THAT(std::string(e.status().message()),
              ::testing::AllOf(::testing::HasSubstr("fell more than 2"),
                               ::testing::HasSubstr("GetContainerEvents")));

  // A new subscriber gets what is described from now on.
  auto second = out.Subscribe();
  Release(release);
  std::vector<std::string> got = {NextId(*second), NextId(*second)};
  EXPECT_THAT(got, ::testing::UnorderedElementsAre("a1", "c1"));
  EXPECT_EQ(first->Next(absl::ZeroDuration()).status().code(),
            absl::StatusCode::kAborted);
}

TEST(DescribeWorkersTest, StopFinishesDescriptionsInProgressDropsTheRest) {
  EventBroadcaster out(100);
  auto sub = out.Subscribe();
  Describer d;
  absl::Notification release;
  d.Hold("A", &release);
  auto workers = std::make_unique<DescribeWorkers>(d.Fn(), &out, 1, 100);
  absl::Cleanup unblock = [&] { Release(release); };
  workers->Submit(Change("A", "a1", v1::CONTAINER_CREATED_EVENT));
  ASSERT_TRUE(testing_util::PollUntil([&] { return d.Calls("A") == 1; }));
  workers->Submit(Change("B", "b1", v1::CONTAINER_CREATED_EVENT));
  std::thread stopper([&] { workers->Stop(); });
  // Stop() drops b1 at once, then waits for a1's description.
  EXPECT_TRUE(testing_util::PollUntil([&] { return workers->queued() == 0; }));
  Release(release);
  stopper.join();
  EXPECT_EQ(NextId(*sub), "a1");
  EXPECT_EQ(d.Calls("B"), 0u);
  workers->Submit(Change("B", "b2", v1::CONTAINER_CREATED_EVENT));
  EXPECT_EQ(workers->queued(), 0u);
}

}  // namespace
}  // namespace cri_dockerd::events
