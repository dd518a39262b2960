#include "cri/image/pull_coordinator.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"
#include "tests/thread_count.h"

namespace cri_dockerd::image {
namespace {

using docker::RegistryAuth;
using testing_util::PollUntil;

RegistryAuth Auth(const std::string& user, const std::string& password) {
  RegistryAuth a;
  a.username = user;
  a.password = password;
  a.server_address = "localhost:5443";
  return a;
}

// A cancellation poll: says the caller waits (every caller polls it while
// it waits) and answers what `leave` holds.
std::function<bool()> Probe(std::atomic<bool>* waiting,
                            std::atomic<bool>* leave = nullptr) {
  return [waiting, leave] {
    *waiting = true;
    return leave != nullptr && leave->load();
  };
}

TEST(PullCoordinatorTest, ConcurrentPullsOfOneReferenceAndAuthShareOnePull) {
  PullCoordinator c;
  std::atomic<int> runs{0};
  absl::Notification release;
  auto pull = [&](const std::function<bool()>&) {
    ++runs;
    release.WaitForNotification();
    return absl::UnknownError("registry said no");
  };
  std::array<std::atomic<bool>, 5> waiting{};
  std::vector<std::thread> threads;
  std::vector<absl::Status> results(5);
  for (int i = 0; i < 5; ++i) {
    threads.emplace_back([&, i] {
      results[i] = c.Pull("k", Auth("alice", "s3cret"), absl::InfiniteFuture(),
                          Probe(&waiting[i]), pull);
    });
  }
  EXPECT_TRUE(PollUntil([&] {
    return std::count(waiting.begin(), waiting.end(), true) == 5;
  })) << "not all five callers waited";
  EXPECT_EQ(c.InFlight(), 1);
  release.Notify();
  for (auto& t : threads) t.join();
  EXPECT_EQ(runs.load(), 1);
  for (const absl::Status& s : results) {
    EXPECT_EQ(s.message(), "registry said no");
  }
  EXPECT_EQ(c.InFlight(), 0);
}

TEST(PullCoordinatorTest, OnlyEqualReferenceAndCredentialsAreMerged) {
  RegistryAuth other_server = Auth("alice", "s3cret");
  other_server.server_address = "localhost:5444";
  RegistryAuth token;
  token.identity_token = "t1";
  RegistryAuth other_token = token;
  other_token.identity_token = "t2";
  const struct {
    const char* name;
    std::string ref_a, ref_b;
    RegistryAuth auth_a, auth_b;
    int pulls;
  } cases[] = {
      {"same", "k", "k", Auth("alice", "s3cret"), Auth("alice", "s3cret"), 1},
      {"none", "k", "k", {}, {}, 1},
      {"other ref", "k", "j", {}, {}, 2},
      {"other user", "k", "k", Auth("alice", "s3cret"), Auth("bob", "s3cret"),
       2},
      {"other password", "k", "k", Auth("alice", "s3cret"),
       Auth("alice", "guess"), 2},
      {"none vs some", "k", "k", {}, Auth("alice", "s3cret"), 2},
      {"other server", "k", "k", Auth("alice", "s3cret"), other_server, 2},
      {"other token", "k", "k", token, other_token, 2},
  };
  for (const auto& tc : cases) {
    PullCoordinator c;
    std::atomic<int> runs{0};
    absl::Notification release;
    auto pull = [&](const std::function<bool()>&) {
      ++runs;
      release.WaitForNotification();
      return absl::OkStatus();
    };
    std::atomic<bool> waiting_a{false}, waiting_b{false};
    std::thread a([&] {
      EXPECT_TRUE(c.Pull(tc.ref_a, tc.auth_a, absl::InfiniteFuture(),
                         Probe(&waiting_a), pull)
                      .ok());
    });
    std::thread b([&] {
      EXPECT_TRUE(c.Pull(tc.ref_b, tc.auth_b, absl::InfiniteFuture(),
                         Probe(&waiting_b), pull)
                      .ok());
    });
    // Both wait, so each has joined or started its pull.
    EXPECT_TRUE(PollUntil([&] { return waiting_a && waiting_b; })) << tc.name;
    EXPECT_EQ(c.InFlight(), tc.pulls) << tc.name;
    if (c.InFlight() == tc.pulls) {
      EXPECT_TRUE(PollUntil([&] { return runs.load() == tc.pulls; }))
          << tc.name;
    }
    release.Notify();
    a.join();
    b.join();
    EXPECT_EQ(runs.load(), tc.pulls) << tc.name;
  }
}

TEST(PullCoordinatorTest, ACallerLeavingDoesNotStopThePullOthersWaitFor) {
  // The caller that started the pull leaves at its deadline or on
  // cancellation; the pull goes on for the one that joined it.
  for (const bool by_deadline : {true, false}) {
    PullCoordinator c;
    std::atomic<int> runs{0};
    std::atomic<bool> abandoned_seen{false};
    absl::Notification release;
    auto pull = [&](const std::function<bool()>& abandoned) {
      ++runs;
      PollUntil([&] { return release.HasBeenNotified() || abandoned(); });
      abandoned_seen = abandoned();
      return absl::OkStatus();
    };
    std::atomic<bool> waiting_long{false}, waiting_short{false};
    // The short caller is held in its cancellation poll until the long
    // one waits too, so its deadline (already past) cannot end the pull
    // before anyone joined.
    auto short_probe = [&] {
      waiting_short = true;
      PollUntil([&] { return waiting_long.load(); });
      return !by_deadline;
    };
    absl::Status short_result;
    std::thread short_caller([&] {
      short_result =
          c.Pull("k", {}, by_deadline ? absl::Now() : absl::InfiniteFuture(),
                 short_probe, pull);
    });
    ASSERT_TRUE(PollUntil([&] { return waiting_short.load(); }));
    absl::Status long_result;
    std::thread long_caller([&] {
      long_result =
          c.Pull("k", {}, absl::InfiniteFuture(), Probe(&waiting_long), pull);
    });
    short_caller.join();
    EXPECT_EQ(short_result.code(), by_deadline
                                       ? absl::StatusCode::kDeadlineExceeded
                                       : absl::StatusCode::kCancelled)
        << short_result;
    EXPECT_NE(
        short_result.message().find("; the pull goes on for 1 other request"),
        std::string::npos)
        << short_result;
    EXPECT_EQ(c.InFlight(), 1);
    release.Notify();
    long_caller.join();
    EXPECT_TRUE(long_result.ok()) << long_result;
    EXPECT_FALSE(abandoned_seen.load());
    EXPECT_EQ(runs.load(), 1);
  }
}

TEST(PullCoordinatorTest, TheLastCallerLeavingAbandonsThePullAndItsEntry) {
  const int threads_before = testing_util::ThreadCount();
  PullCoordinator c;
  std::atomic<int> runs{0}, abandoned_runs{0};
  auto pull = [&](const std::function<bool()>& abandoned) {
    ++runs;
    PollUntil(abandoned);
    if (abandoned()) ++abandoned_runs;
    return absl::CancelledError("stopped");
  };
  std::atomic<bool> leave{false};
  std::array<std::atomic<bool>, 2> waiting{};
  std::array<absl::Status, 2> results;
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] {
      results[i] = c.Pull("k", {}, absl::InfiniteFuture(),
                          Probe(&waiting[i], &leave), pull);
    });
  }
  ASSERT_TRUE(PollUntil([&] { return waiting[0] && waiting[1]; }));
  leave = true;
  for (auto& t : threads) t.join();
  for (const absl::Status& s : results) {
    EXPECT_TRUE(absl::IsCancelled(s)) << s;
  }
  EXPECT_EQ(c.InFlight(), 0) << "nobody waits: no entry";
  EXPECT_TRUE(PollUntil([&] { return abandoned_runs.load() == 1; }));
  EXPECT_EQ(runs.load(), 1);
  // A later caller starts afresh.
  EXPECT_TRUE(
      c.Pull("k", {}, absl::InfiniteFuture(), nullptr,
             [](const std::function<bool()>&) { return absl::OkStatus(); })
          .ok());
  EXPECT_EQ(c.InFlight(), 0);
  EXPECT_TRUE(PollUntil([&] {
    return testing_util::ThreadCount() <= threads_before;
  })) << "a pull's thread outlived its pull";
}

TEST(PullCoordinatorTest, DestructionWaitsForAnAbandonedPull) {
  auto c = std::make_unique<PullCoordinator>();
  std::atomic<bool> destroying{false}, returned{false};
  auto pull = [&](const std::function<bool()>& abandoned) {
    PollUntil(abandoned);
    PollUntil([&] { return destroying.load(); });
    returned = true;
    return absl::CancelledError("stopped");
  };
  absl::Status s = c->Pull(
      "k", {}, absl::InfiniteFuture(), [] { return true; }, pull);
  EXPECT_TRUE(absl::IsCancelled(s)) << s;
  EXPECT_NE(s.message().find("cancelled by the client; the pull is cancelled"),
            std::string::npos)
      << s;
  destroying = true;
  c.reset();
  EXPECT_TRUE(returned.load()) << "the pull's thread outlived its coordinator";
}

}  // namespace
}  // namespace cri_dockerd::image
