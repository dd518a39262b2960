// KeyedMutex: one holder per key, keys independent, entries dropped once
// unused, waits bounded by their deadline.
#include "common/keyed_mutex.h"

#include <atomic>
#include <optional>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"

namespace cri_dockerd {
namespace {

using testing_util::PollUntil;

TEST(KeyedMutexTest, EntriesExistOnlyWhileHeld) {
  KeyedMutex locks;
  EXPECT_EQ(locks.KeysInUse(), 0u);
  {
    absl::StatusOr<KeyedMutex::Lock> a =
        locks.Acquire("a", absl::InfiniteFuture());
    ASSERT_TRUE(a.ok());
    EXPECT_EQ(locks.KeysInUse(), 1u);
  }
  EXPECT_EQ(locks.KeysInUse(), 0u);
}

TEST(KeyedMutexTest, DifferentKeysDoNotWaitForEachOther) {
  KeyedMutex locks;
  absl::StatusOr<KeyedMutex::Lock> a =
      locks.Acquire("a", absl::InfiniteFuture());
  ASSERT_TRUE(a.ok());
  // A deadline already past: only a free key can be had.
  absl::StatusOr<KeyedMutex::Lock> b = locks.Acquire("b", absl::InfinitePast());
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(locks.KeysInUse(), 2u);
}

TEST(KeyedMutexTest, AHeldKeyIsDeadlineExceededAtTheDeadline) {
  KeyedMutex locks;
  absl::StatusOr<KeyedMutex::Lock> a =
      locks.Acquire("a", absl::InfiniteFuture());
  ASSERT_TRUE(a.ok());
  absl::StatusOr<KeyedMutex::Lock> again =
      locks.Acquire("a", absl::InfinitePast());
  EXPECT_TRUE(absl::IsDeadlineExceeded(again.status())) << again.status();
  EXPECT_EQ(locks.Waiters("a"), 0) << "the timed-out waiter left";
  EXPECT_EQ(locks.KeysInUse(), 1u);
}

TEST(KeyedMutexTest, AWaiterGetsTheKeyWhenTheHolderLetsGo) {
  KeyedMutex locks;
  std::optional<absl::StatusOr<KeyedMutex::Lock>> held =
      locks.Acquire("a", absl::InfiniteFuture());
  ASSERT_TRUE(held->ok());
  std::atomic<bool> got{false};
  std::thread waiter([&] {
    absl::StatusOr<KeyedMutex::Lock> mine =
        locks.Acquire("a", absl::InfiniteFuture());
    got = mine.ok();
  });
  ASSERT_TRUE(PollUntil([&] { return locks.Waiters("a") == 1; }));
  EXPECT_FALSE(got) << "got the key while it was held";
  held.reset();
  waiter.join();
  EXPECT_TRUE(got);
  EXPECT_EQ(locks.KeysInUse(), 0u) << "both gone: entry dropped";
}

TEST(KeyedMutexTest, MovedLockReleasesOnce) {
  KeyedMutex locks;
  absl::StatusOr<KeyedMutex::Lock> a =
      locks.Acquire("a", absl::InfiniteFuture());
  ASSERT_TRUE(a.ok());
  {
    KeyedMutex::Lock moved = *std::move(a);
    EXPECT_EQ(locks.KeysInUse(), 1u);
  }
  EXPECT_EQ(locks.KeysInUse(), 0u);
  // The moved-from lock releases nothing when it goes.
  absl::StatusOr<KeyedMutex::Lock> b =
      locks.Acquire("a", absl::InfiniteFuture());
  ASSERT_TRUE(b.ok());
  a = absl::UnknownError("dropped");
  EXPECT_EQ(locks.KeysInUse(), 1u);
}

TEST(KeyedMutexTest, ManyThreadsOneKeyNeverOverlap) {
  KeyedMutex locks;
  int inside = 0;  // guarded by the key "k"
  std::atomic<int> overlaps{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        absl::StatusOr<KeyedMutex::Lock> l =
            locks.Acquire("k", absl::InfiniteFuture());
        if (!l.ok()) continue;
        if (++inside != 1) ++overlaps;
        std::this_thread::yield();
        --inside;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(overlaps, 0);
  EXPECT_EQ(locks.KeysInUse(), 0u);
}

}  // namespace
}  // namespace cri_dockerd
