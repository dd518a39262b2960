#include "cri/image/pull_coordinator.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"

namespace cri_dockerd::image {
namespace {

TEST(PullCoordinatorTest, ConcurrentPullsOfOneKeyShareOnePull) {
  PullCoordinator c;
  std::atomic<int> runs{0};
  absl::Notification release;
  auto pull = [&] {
    ++runs;
    release.WaitForNotification();
    return absl::UnknownError("registry said no");
  };
  // A waiter polls its `cancelled` while it waits: that tells it joined.
  std::array<std::atomic<bool>, 5> waiting{};
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(5);
  for (int i = 0; i < 5; ++i) {
    threads.emplace_back([&, i] {
      results[i] = c.Pull(
          "k", absl::InfiniteFuture(),
          [&waiting, i] {
            waiting[i] = true;
            return false;
          },
          pull);
    });
  }
  EXPECT_TRUE(testing_util::PollUntil([&] {
    return runs.load() == 1 &&
           std::count(waiting.begin(), waiting.end(), true) == 4;
  })) << "runs "
      << runs.load() << "; the other four never all waited";
  EXPECT_EQ(c.InFlight(), 1);
  release.Notify();
  for (auto& t : threads) t.join();
  EXPECT_EQ(runs.load(), 1);
  for (const absl::Status& s : results) {
    EXPECT_EQ(s.message(), "registry said no");
  }
  EXPECT_EQ(c.InFlight(), 0);
}

TEST(PullCoordinatorTest, DifferentKeysRunSeparately) {
  PullCoordinator c;
  std::atomic<int> runs{0};
  auto pull = [&] {
    ++runs;
    return absl::OkStatus();
  };
  EXPECT_TRUE(c.Pull("a", absl::InfiniteFuture(), nullptr, pull).ok());
  EXPECT_TRUE(c.Pull("b", absl::InfiniteFuture(), nullptr, pull).ok());
  EXPECT_TRUE(c.Pull("a", absl::InfiniteFuture(), nullptr, pull).ok());
  EXPECT_EQ(runs.load(), 3) << "a finished pull is not reused";
}

TEST(PullCoordinatorTest, WaitersHonourTheirOwnDeadlineAndCancellation) {
  PullCoordinator c;
  absl::Notification started, release;
  std::thread leader([&] {
    c.Pull("k", absl::InfiniteFuture(), nullptr, [&] {
       started.Notify();
       release.WaitForNotification();
       return absl::OkStatus();
     }).IgnoreError();
  });
  started.WaitForNotification();
  auto never = [] { return absl::OkStatus(); };
  const absl::Time t0 = absl::Now();
  absl::Status late =
      c.Pull("k", absl::Now() + absl::Milliseconds(200), nullptr, never);
  EXPECT_TRUE(absl::IsDeadlineExceeded(late)) << late;
  // Not waiting on for the leader, which never finishes by itself.
  EXPECT_LT(absl::Now() - t0, absl::Seconds(10));
  absl::Status gone = c.Pull(
      "k", absl::InfiniteFuture(), [] { return true; }, never);
  EXPECT_TRUE(absl::IsCancelled(gone)) << gone;
  release.Notify();
  leader.join();
}

}  // namespace
}  // namespace cri_dockerd::image
