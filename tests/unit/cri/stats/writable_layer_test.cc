// The writable-layer cache: docker's disk usage fetched in the
// background, never on the caller's path.
#include "cri/stats/writable_layer.h"

#include <algorithm>

#include "absl/time/clock.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"

namespace cri_dockerd::stats {
namespace {

using docker::FakeDockerClient;

int CountCalls(const FakeDockerClient& docker, const std::string& method) {
  const std::vector<std::string> calls = docker.Calls();
  return static_cast<int>(std::count(calls.begin(), calls.end(), method));
}

std::optional<LayerUsage> WaitFor(WritableLayerCache& cache,
                                  const std::string& id) {
  for (int i = 0; i < 500; ++i) {
    if (std::optional<LayerUsage> u = cache.Get(id)) return u;
    absl::SleepFor(absl::Milliseconds(10));
  }
  return std::nullopt;
}

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

  FakeDockerClient docker_;
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
  const absl::Time start = absl::Now();
  EXPECT_FALSE(cache.Get("c1").has_value());
  EXPECT_LT(absl::Now() - start, absl::Milliseconds(20));
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
  EXPECT_EQ(CountCalls(docker_, "GetDiskUsage"), 1);
  EXPECT_EQ(CountCalls(docker_, "Info"), 1);
}

TEST_F(WritableLayerTest, FailuresKeepTheLastFigures) {
  WritableLayerCache::Options options;
  options.refresh_interval = absl::Milliseconds(10);
  WritableLayerCache cache(&docker_, options);
  ASSERT_TRUE(WaitFor(cache, "c1").has_value());
  docker_.InjectError("GetDiskUsage", absl::UnavailableError("docker down"));
  absl::SleepFor(absl::Milliseconds(100));
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
  absl::SleepFor(absl::Milliseconds(100));
  const int calls = CountCalls(docker_, "GetDiskUsage");
  absl::SleepFor(absl::Milliseconds(100));
  EXPECT_EQ(CountCalls(docker_, "GetDiskUsage"), calls) << "idle";
  docker_.ResetCalls();
  cache.Get("c1");  // wakes it
  for (int i = 0; i < 200 && CountCalls(docker_, "GetDiskUsage") == 0; ++i) {
    absl::SleepFor(absl::Milliseconds(5));
  }
  EXPECT_GE(CountCalls(docker_, "GetDiskUsage"), 1);
}

}  // namespace
}  // namespace cri_dockerd::stats
