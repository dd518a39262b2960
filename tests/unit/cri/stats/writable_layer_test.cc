// The writable-layer cache: docker's disk usage fetched in the
// background, never on the caller's path.
#include "cri/stats/writable_layer.h"

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"

namespace cri_dockerd::stats {
namespace {

using docker::FakeDockerClient;

// Polls the cache until it has a figure for `id` (or 30 s pass).
std::optional<LayerUsage> WaitFor(WritableLayerCache& cache,
                                  const std::string& id) {
  std::optional<LayerUsage> u;
  testing_util::PollUntil([&] { return (u = cache.Get(id)).has_value(); });
  return u;
}

// The fake docker, whose GetDiskUsage can be held until let go.
class GatedDocker : public FakeDockerClient {
 public:
  absl::StatusOr<docker::DiskUsage> GetDiskUsage(absl::Time deadline) override {
    {
      absl::MutexLock lock(&gate_mu_);
      ++entered_;
      gate_mu_.AwaitWithTimeout(absl::Condition(&open_), absl::Seconds(60));
    }
    return FakeDockerClient::GetDiskUsage(deadline);
  }
  void SetOpen(bool open) {
    absl::MutexLock lock(&gate_mu_);
    open_ = open;
  }
  // GetDiskUsage calls begun, held or not.
  int Entered() {
    absl::MutexLock lock(&gate_mu_);
    return entered_;
  }

 private:
  absl::Mutex gate_mu_;
  bool open_ ABSL_GUARDED_BY(gate_mu_) = true;
  int entered_ ABSL_GUARDED_BY(gate_mu_) = 0;
};

class WritableLayerTest : public testing::Test {
 protected:
  WritableLayerTest() {
    docker::SystemInfo info;
    info.docker_root_dir = "/var/lib/docker";
    docker_.SetInfo(info);
    docker::DiskUsage du;
    du.containers = {{"c1", 4096}, {"c2", -1}};
    docker_.SetDiskUsage(du);
  }

  GatedDocker docker_;
};

TEST_F(WritableLayerTest, NothingHappensUntilAsked) {
  WritableLayerCache cache(&docker_, {});
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_TRUE(docker_.Calls().empty());
  EXPECT_EQ(cache.Mountpoint(), "");
}

TEST_F(WritableLayerTest, FirstGetStartsTheRefresherAndReturnsAtOnce) {
  docker_.InjectErrorOnce("GetDiskUsage", absl::UnavailableError("slow"));
  WritableLayerCache::Options options;
  options.refresh_interval = absl::Milliseconds(50);
  WritableLayerCache cache(&docker_, options);
  // docker's disk usage hangs (for 60 s): Get must not wait for it.
  docker_.SetOpen(false);
  const absl::Time start = absl::Now();
  EXPECT_FALSE(cache.Get("c1").has_value());
  EXPECT_LT(absl::Now() - start, absl::Seconds(30)) << "Get waited for docker";
  EXPECT_TRUE(testing_util::PollUntil([&] { return docker_.Entered() == 1; }))
      << "the first Get did not start the refresher";
  docker_.SetOpen(true);
  // The failed first round is retried on the next one.
  std::optional<LayerUsage> u = WaitFor(cache, "c1");
  ASSERT_TRUE(u.has_value());
  EXPECT_EQ(u->used_bytes, 4096u);
  EXPECT_GT(u->sampled_at, start);
  EXPECT_EQ(cache.Mountpoint(), "/var/lib/docker");
  EXPECT_EQ(cache.Get("c2")->used_bytes, 0u) << "docker's -1: unknown";
  EXPECT_FALSE(cache.Get("c3").has_value());
}

TEST_F(WritableLayerTest, RefreshesAtMostEveryInterval) {
  WritableLayerCache::Options options;
  options.refresh_interval = absl::Seconds(30);
  WritableLayerCache cache(&docker_, options);
  ASSERT_TRUE(WaitFor(cache, "c1").has_value());
  for (int i = 0; i < 20; ++i) {
    cache.Get("c1");
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_EQ(docker_.CallCount("GetDiskUsage"), 1);
  EXPECT_EQ(docker_.CallCount("Info"), 1);
}

TEST_F(WritableLayerTest, FailuresKeepTheLastFigures) {
  WritableLayerCache::Options options;
  options.refresh_interval = absl::Milliseconds(10);
  WritableLayerCache cache(&docker_, options);
  ASSERT_TRUE(WaitFor(cache, "c1").has_value());
  docker_.InjectError("GetDiskUsage", absl::UnavailableError("docker down"));
  docker_.ResetCalls();  // from here on, every call fails
  ASSERT_TRUE(testing_util::PollUntil([&] {
    cache.Get("c1");  // keeps it from going idle
    return docker_.CallCount("GetDiskUsage") >= 3;
  })) << "the refresher stopped asking docker";
  ASSERT_TRUE(cache.Get("c1").has_value());
  EXPECT_EQ(cache.Get("c1")->used_bytes, 4096u);
  // Back: removed containers drop out, new ones appear.
  docker::DiskUsage du;
  du.containers = {{"c9", 1}};
  docker_.SetDiskUsage(du);
  docker_.ClearError("GetDiskUsage");
  ASSERT_TRUE(WaitFor(cache, "c9").has_value());
  EXPECT_FALSE(cache.Get("c1").has_value());
}

TEST_F(WritableLayerTest, IdleCacheStopsAskingDocker) {
  WritableLayerCache::Options options;
  options.refresh_interval = absl::Milliseconds(5);
  options.idle_after = absl::Milliseconds(30);
  WritableLayerCache cache(&docker_, options);
  ASSERT_TRUE(WaitFor(cache, "c1").has_value());
  // Nobody asks any more: soon the count stops moving for good. Busy, it
  // would move every 5 ms; 300 ms without a call is 60 refreshes missed.
  int calls = -1;
  absl::Time unchanged_since = absl::Now();
  EXPECT_TRUE(testing_util::PollUntil([&] {
    const int now_calls = docker_.CallCount("GetDiskUsage");
    if (now_calls != calls) {
      calls = now_calls;
      unchanged_since = absl::Now();
    }
    return absl::Now() - unchanged_since > absl::Milliseconds(300);
  })) << "the idle cache kept asking docker";
  docker_.ResetCalls();
  cache.Get("c1");  // wakes it
  EXPECT_TRUE(testing_util::PollUntil([&] {
    return docker_.CallCount("GetDiskUsage") >= 1;
  })) << "Get did not wake the idle refresher";
}

}  // namespace
}  // namespace cri_dockerd::stats
