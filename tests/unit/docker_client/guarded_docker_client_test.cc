// GuardedDockerClient: an engine that stops answering is declared
// unresponsive after `unresponsive_after`; calls then fail at once with
// Unavailable naming it, and pass again as soon as a ping succeeds. Calls
// in flight are capped.
#include "docker_client/guarded_docker_client.h"

#include <atomic>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"

namespace cri_dockerd::docker {
namespace {

using testing_util::PollUntil;

// A fake engine that can be frozen: while frozen, Ping and Version wait
// until their deadline (or the thaw), like a SIGSTOPped dockerd.
class FreezableEngine : public FakeDockerClient {
 public:
  void Freeze(bool frozen) {
    absl::MutexLock lock(&mu_);
    frozen_ = frozen;
  }
  absl::Status Ping(absl::Time deadline) override {
    if (!WaitThawed(deadline)) return absl::DeadlineExceededError("ping");
    return FakeDockerClient::Ping(deadline);
  }
  absl::StatusOr<VersionInfo> Version(absl::Time deadline) override {
    ++versions_waiting_;
    const bool thawed = WaitThawed(deadline);
    --versions_waiting_;
    if (!thawed) return absl::DeadlineExceededError("version");
    return FakeDockerClient::Version(deadline);
  }
  int versions_waiting() const { return versions_waiting_.load(); }

 private:
  bool WaitThawed(absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithDeadline(
        absl::Condition(this, &FreezableEngine::Thawed), deadline);
  }
  bool Thawed() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !frozen_; }
  absl::Mutex mu_;
  bool frozen_ ABSL_GUARDED_BY(mu_) = false;
  std::atomic<int> versions_waiting_{0};
};

EngineGuardOptions FastOptions() {
  EngineGuardOptions o;
  o.engine = "unix:///test/docker.sock";
  o.probe_interval = absl::Milliseconds(10);
  o.recovery_probe_interval = absl::Milliseconds(5);
  o.probe_timeout = absl::Milliseconds(20);
  o.unresponsive_after = absl::Milliseconds(60);
  o.max_in_flight = 3;
  return o;
}

TEST(GuardedDockerClientTest, FrozenEngineFailsCallsAtOnceNamingIt) {
  FreezableEngine fake;
  GuardedDockerClient guard(&fake, FastOptions());
  ASSERT_TRUE(guard.StartProber().ok());
  ASSERT_TRUE(guard.Version(absl::Now() + absl::Seconds(10)).ok());

  fake.Freeze(true);
  ASSERT_TRUE(PollUntil([&] { return !guard.EngineState().ok(); }));
  const absl::Time start = absl::Now();
  // A two-minute deadline, as kubelet's: answered at once all the same.
  const auto v = guard.Version(absl::Now() + absl::Minutes(2));
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  ASSERT_TRUE(absl::IsUnavailable(v.status())) << v.status();
  EXPECT_NE(v.status().message().find("unix:///test/docker.sock is not "
                                      "responding"),
            absl::string_view::npos)
      << v.status();
  // Calls that take no slot too.
  EXPECT_TRUE(absl::IsUnavailable(guard.StopContainer(
      "c", absl::Seconds(1), absl::Now() + absl::Minutes(2))));

  fake.Freeze(false);
  ASSERT_TRUE(PollUntil([&] { return guard.EngineState().ok(); }));
  EXPECT_TRUE(guard.Version(absl::Now() + absl::Seconds(10)).ok());
}

TEST(GuardedDockerClientTest, PingAlwaysAsksTheEngineAndItsAnswerReopens) {
  FreezableEngine fake;
  EngineGuardOptions o = FastOptions();
  // The first failed probe closes the gate, and the prober will not probe
  // again: only Ping can reopen it.
  o.unresponsive_after = absl::ZeroDuration();
  o.recovery_probe_interval = absl::Hours(1);
  GuardedDockerClient guard(&fake, o);
  ASSERT_TRUE(guard.StartProber().ok());
  fake.Freeze(true);
  ASSERT_TRUE(PollUntil([&] { return !guard.EngineState().ok(); }));
  // Status's live check: not refused, bounded by its own deadline.
  EXPECT_TRUE(absl::IsDeadlineExceeded(
      guard.Ping(absl::Now() + absl::Milliseconds(30))));
  fake.Freeze(false);
  EXPECT_TRUE(guard.Ping(absl::Now() + absl::Seconds(10)).ok());
  EXPECT_TRUE(guard.EngineState().ok());
  EXPECT_TRUE(guard.Version(absl::Now() + absl::Seconds(10)).ok());
}

TEST(GuardedDockerClientTest, StoppedEngineIsNotReportedBeforeItsGrace) {
  FreezableEngine fake;
  EngineGuardOptions o = FastOptions();
  o.unresponsive_after = absl::Hours(1);
  GuardedDockerClient guard(&fake, o);
  ASSERT_TRUE(guard.StartProber().ok());
  fake.InjectError("Ping", absl::UnavailableError("connection refused"));
  // Many failed pings, but not for an hour: the gate stays open and calls
  // reach the engine (and fail there, with its own error).
  ASSERT_TRUE(PollUntil([&] { return fake.CallCount("Ping") >= 5; }));
  EXPECT_TRUE(guard.EngineState().ok());
  EXPECT_TRUE(guard.Version(absl::Now() + absl::Seconds(10)).ok());
}

TEST(GuardedDockerClientTest, CapsCallsInFlight) {
  FreezableEngine fake;
  EngineGuardOptions o = FastOptions();
  o.unresponsive_after = absl::Hours(1);  // the cap alone
  GuardedDockerClient guard(&fake, o);    // no prober: the gate stays open
  fake.Freeze(true);
  std::vector<std::thread> callers;
  std::atomic<int> done{0};
  for (int i = 0; i < 5; ++i) {
    callers.emplace_back([&] {
      guard.Version(absl::Now() + absl::Seconds(30)).IgnoreError();
      ++done;
    });
  }
  ASSERT_TRUE(PollUntil([&] { return fake.versions_waiting() == 3; }));
  EXPECT_EQ(guard.in_flight(), 3);
  // The other two wait for a slot, not on the engine.
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_EQ(fake.versions_waiting(), 3);
  // A caller whose deadline passes while it waits for a slot.
  const auto late = guard.Version(absl::Now() + absl::Milliseconds(30));
  EXPECT_TRUE(absl::IsDeadlineExceeded(late.status())) << late.status();
  EXPECT_NE(late.status().message().find("3 calls"), absl::string_view::npos)
      << late.status();
  fake.Freeze(false);
  for (auto& t : callers) t.join();
  EXPECT_EQ(done.load(), 5);
  EXPECT_EQ(guard.in_flight(), 0);
}

TEST(GuardedDockerClientTest, WaitersForASlotFailOnceTheEngineIsDeclaredHung) {
  FreezableEngine fake;
  EngineGuardOptions o = FastOptions();
  o.max_in_flight = 1;
  GuardedDockerClient guard(&fake, o);
  ASSERT_TRUE(guard.StartProber().ok());
  fake.Freeze(true);
  std::thread holder(
      [&] { guard.Version(absl::Now() + absl::Seconds(30)).IgnoreError(); });
  ASSERT_TRUE(PollUntil([&] { return fake.versions_waiting() == 1; }));
  // Waits for the slot until the prober gives up on the engine.
  const auto waiter = guard.Version(absl::Now() + absl::Seconds(30));
  EXPECT_TRUE(absl::IsUnavailable(waiter.status())) << waiter.status();
  fake.Freeze(false);
  holder.join();
}

}  // namespace
}  // namespace cri_dockerd::docker
