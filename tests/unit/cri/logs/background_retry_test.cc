// BackgroundRetry: retried until it succeeds, with each attempt given a
// deadline, and ended promptly by destruction.
#include "cri/logs/background_retry.h"

#include <atomic>

#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"

namespace cri_dockerd::logs {
namespace {

TEST(BackgroundRetryTest, RetriesUntilTheWorkSucceeds) {
  std::atomic<int> calls{0};
  RetryOptions options;
  options.initial_backoff = absl::Milliseconds(1);
  options.max_backoff = absl::Milliseconds(4);
  options.attempt_timeout = absl::Seconds(7);
  auto retry = BackgroundRetry::Start(
      "test work",
      [&](absl::Time deadline) {
        EXPECT_GT(deadline, absl::Now() + absl::Seconds(5));
        return ++calls < 4 ? absl::UnavailableError("docker busy")
                           : absl::OkStatus();
      },
      options);
  ASSERT_TRUE(retry.ok()) << retry.status();
  ASSERT_TRUE(testing_util::PollUntil([&] { return (*retry)->Done(); }));
  EXPECT_EQ(calls, 4);
}

TEST(BackgroundRetryTest, DestructionEndsTheRetries) {
  std::atomic<int> calls{0};
  RetryOptions options;
  options.initial_backoff = absl::Hours(1);
  {
    auto retry = BackgroundRetry::Start(
        "test work",
        [&](absl::Time) {
          ++calls;
          return absl::UnavailableError("never");
        },
        options);
    ASSERT_TRUE(retry.ok()) << retry.status();
    ASSERT_TRUE(testing_util::PollUntil([&] { return calls > 0; }));
    EXPECT_FALSE((*retry)->Done());
  }  // returns without waiting the hour
  EXPECT_EQ(calls, 1);
}

}  // namespace
}  // namespace cri_dockerd::logs
