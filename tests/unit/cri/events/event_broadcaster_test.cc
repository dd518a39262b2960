// EventBroadcaster: every subscriber gets every event; a subscriber that
// falls behind is dropped without holding up the others; close ends all.
#include "cri/events/event_broadcaster.h"

#include <memory>
#include <string>
#include <thread>

#include "gtest/gtest.h"

namespace cri_dockerd::events {
namespace {

EventPtr Make(const std::string& id) {
  auto e = std::make_shared<v1::ContainerEventResponse>();
  e->set_container_id(id);
  return e;
}

std::string NextId(EventBroadcaster::Subscription& sub) {
  absl::StatusOr<EventPtr> e = sub.Next(absl::Seconds(30));
  if (!e.ok()) return std::string(e.status().ToString());
  if (*e == nullptr) return "<timeout>";
  return (*e)->container_id();
}

TEST(EventBroadcasterTest, FansOutToEverySubscriberInOrder) {
  EventBroadcaster b(10);
  auto s1 = b.Subscribe();
  auto s2 = b.Subscribe();
  EXPECT_EQ(b.subscribers(), 2u);
  b.Publish(Make("a"));
  b.Publish(Make("b"));
  EXPECT_EQ(NextId(*s1), "a");
  EXPECT_EQ(NextId(*s1), "b");
  EXPECT_EQ(NextId(*s2), "a");
  EXPECT_EQ(NextId(*s2), "b");
  s2.reset();
  EXPECT_EQ(b.subscribers(), 1u);
}

TEST(EventBroadcasterTest, LateSubscriberSeesOnlyNewEvents) {
  EventBroadcaster b(10);
  auto s1 = b.Subscribe();
  b.Publish(Make("old"));
  auto s2 = b.Subscribe();
  b.Publish(Make("new"));
  EXPECT_EQ(NextId(*s2), "new");
}

TEST(EventBroadcasterTest, NextTimesOutWithNull) {
  EventBroadcaster b(10);
  auto s = b.Subscribe();
  absl::StatusOr<EventPtr> e = s->Next(absl::Milliseconds(20));
  ASSERT_TRUE(e.ok());
  EXPECT_EQ(*e, nullptr);
}

TEST(EventBroadcasterTest, SlowSubscriberIsDroppedOthersKeepGoing) {
  EventBroadcaster b(3);
  auto slow = b.Subscribe();
  auto fast = b.Subscribe();
  for (int i = 0; i < 5; ++i) {
    b.Publish(Make(std::to_string(i)));
    EXPECT_EQ(NextId(*fast), std::to_string(i));
  }
  // The client is told it missed events and what to do about it.
  absl::StatusOr<EventPtr> e = slow->Next(absl::Seconds(1));
  EXPECT_EQ(e.status().code(), absl::StatusCode::kAborted) << e.status();
  EXPECT_NE(e.status().message().find("fell more than 3 events behind"),
            absl::string_view::npos)
      << e.status();
  EXPECT_NE(e.status().message().find("call GetContainerEvents again"),
            absl::string_view::npos)
      << e.status();
  // Stays dropped; it holds no events any more.
  b.Publish(Make("later"));
  EXPECT_EQ(slow->Next(absl::Seconds(1)).status().code(),
            absl::StatusCode::kAborted);
  EXPECT_EQ(NextId(*fast), "later");
  // Subscribing again starts afresh.
  auto again = b.Subscribe();
  b.Publish(Make("fresh"));
  EXPECT_EQ(NextId(*again), "fresh");
  EXPECT_EQ(NextId(*fast), "fresh");
}

TEST(EventBroadcasterTest, DropAllEndsCurrentSubscribersOnly) {
  EventBroadcaster b(10);
  auto s1 = b.Subscribe();
  auto s2 = b.Subscribe();
  b.Publish(Make("lost"));
  b.DropAll("the shim fell behind");
  for (auto* s : {s1.get(), s2.get()}) {
    absl::StatusOr<EventPtr> e = s->Next(absl::Seconds(1));
    EXPECT_EQ(e.status().code(), absl::StatusCode::kAborted) << e.status();
    EXPECT_NE(e.status().message().find("the shim fell behind"),
              absl::string_view::npos)
        << e.status();
  }
  auto later = b.Subscribe();
  b.Publish(Make("next"));
  EXPECT_EQ(NextId(*later), "next");
  EXPECT_EQ(s1->Next(absl::ZeroDuration()).status().code(),
            absl::StatusCode::kAborted);
}

TEST(EventBroadcasterTest, CloseWakesWaitersAfterDeliveringQueued) {
  EventBroadcaster b(10);
  auto s = b.Subscribe();
  b.Publish(Make("last"));
  std::thread closer([&] { b.Close(); });
  closer.join();
  EXPECT_EQ(NextId(*s), "last");
  EXPECT_EQ(s->Next(absl::Seconds(5)).status().code(),
            absl::StatusCode::kCancelled);
  auto after = b.Subscribe();
  EXPECT_EQ(after->Next(absl::Seconds(5)).status().code(),
            absl::StatusCode::kCancelled);
}

TEST(EventBroadcasterTest, BlockedNextReturnsOnPublish) {
  EventBroadcaster b(10);
  auto s = b.Subscribe();
  std::thread publisher([&] {
    absl::SleepFor(absl::Milliseconds(50));
    b.Publish(Make("x"));
  });
  EXPECT_EQ(NextId(*s), "x");
  publisher.join();
}

TEST(EventBroadcasterTest, SubscriptionMayOutliveBroadcaster) {
  std::unique_ptr<EventBroadcaster::Subscription> s;
  {
    EventBroadcaster b(10);
    s = b.Subscribe();
  }
  EXPECT_EQ(s->Next(absl::Seconds(1)).status().code(),
            absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace cri_dockerd::events
