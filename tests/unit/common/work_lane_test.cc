// WorkLane: bounded threads and queue, threads made on demand and ended
// when idle, every accepted task run exactly once.
#include "common/work_lane.h"

#include <atomic>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"

namespace cri_dockerd {
namespace {

using testing_util::PollUntil;

WorkLaneOptions Options(size_t workers, size_t queue) {
  WorkLaneOptions o;
  o.name = "test";
  o.max_workers = workers;
  o.max_queue = queue;
  return o;
}

TEST(WorkLaneTest, RunsEveryTaskOnItsThreads) {
  std::atomic<int> ran{0};
  {
    WorkLane lane(Options(3, 100));
    for (int i = 0; i < 50; ++i) {
      ASSERT_TRUE(lane.Submit([&ran] { ++ran; }).ok());
    }
    EXPECT_LE(lane.workers(), 3u);
  }  // the destructor waits for queued tasks
  EXPECT_EQ(ran.load(), 50);
}

TEST(WorkLaneTest, NeverMoreThreadsThanItsBound) {
  WorkLane lane(Options(2, 100));
  absl::Notification release;
  std::atomic<int> running{0}, most{0};
  for (int i = 0; i < 6; ++i) {
    ASSERT_TRUE(lane.Submit([&] {
                      const int now = ++running;
                      int seen = most.load();
                      while (now > seen &&
                             !most.compare_exchange_weak(seen, now)) {
                      }
                      release.WaitForNotification();
                      --running;
                    })
                    .ok());
  }
  ASSERT_TRUE(PollUntil([&] { return running.load() == 2; }));
  EXPECT_EQ(lane.workers(), 2u);
  EXPECT_EQ(lane.queued(), 4u);
  release.Notify();
  ASSERT_TRUE(PollUntil([&] { return lane.queued() == 0 && running == 0; }));
  EXPECT_EQ(most.load(), 2);
}

TEST(WorkLaneTest, FullQueueRefusesNamingTheLane) {
  WorkLane lane(Options(1, 2));
  absl::Notification release;
  ASSERT_TRUE(lane.Submit([&] { release.WaitForNotification(); }).ok());
  ASSERT_TRUE(PollUntil([&] { return lane.queued() == 0; }));
  ASSERT_TRUE(lane.Submit([] {}).ok());
  ASSERT_TRUE(lane.Submit([] {}).ok());
  const absl::Status full = lane.Submit([] {});
  EXPECT_TRUE(absl::IsResourceExhausted(full)) << full;
  EXPECT_NE(full.message().find("test work lane is full"),
            absl::string_view::npos)
      << full;
  release.Notify();
}

TEST(WorkLaneTest, IdleThreadsEnd) {
  WorkLaneOptions o = Options(4, 10);
  o.idle_exit = absl::Milliseconds(20);
  WorkLane lane(o);
  std::atomic<int> ran{0};
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(lane.Submit([&] { ++ran; }).ok());
  ASSERT_TRUE(PollUntil([&] { return ran == 4; }));
  ASSERT_TRUE(PollUntil([&] { return lane.workers() == 0; }));
  // And it makes threads again when work comes back.
  ASSERT_TRUE(lane.Submit([&] { ++ran; }).ok());
  ASSERT_TRUE(PollUntil([&] { return ran == 5; }));
}

}  // namespace
}  // namespace cri_dockerd
