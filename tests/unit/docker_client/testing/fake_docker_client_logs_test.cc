// The in-memory fake's container logs, which the cri/logs unit tests lean
// on: docker's inclusive `since`, entries appended while following, the
// end of the stream when the container stops, and injected breaks.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "docker_client/testing/fake_docker_client.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"

namespace cri_dockerd::docker {
namespace {

LogEntry Entry(int64_t sec, const std::string& line) {
  return LogEntry{.stream = "stdout",
                  .timestamp = absl::FromUnixSeconds(sec),
                  .line = line,
                  .partial = false};
}

class FakeDockerClientLogsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ImageInspect image;
    image.id = "sha256:" + std::string(64, 'a');
    image.repo_tags = {"busybox:latest"};
    fake_.AddImage(image);
    ContainerCreateConfig config;
    config.name = "logger";
    config.image = "busybox";
    absl::StatusOr<std::string> id =
        fake_.CreateContainer(config, absl::InfiniteFuture());
    ASSERT_TRUE(id.ok()) << id.status();
    id_ = *id;
  }
  absl::Status Follow(absl::Time since, std::vector<std::string>* lines,
                      std::function<absl::Status()> check = nullptr) {
    LogStreamOptions options;
    options.id = id_;
    options.since = since;
    options.on_entry = [lines](const LogEntry& e) { lines->push_back(e.line); };
    options.check = std::move(check);
    return fake_.FollowContainerLogs(options,
                                     absl::Now() + testing_util::kPollTimeout);
  }
  // Waits (up to 30 s) for a FollowContainerLogs call to be running.
  bool Following() {
    return testing_util::PollUntil(
        [&] { return fake_.ActiveLogFollows() == 1; });
  }

  FakeDockerClient fake_;
  std::string id_;
};

TEST_F(FakeDockerClientLogsTest, StoppedContainerGivesItsLogAndEnds) {
  fake_.AppendLogs("logger", {Entry(10, "a"), Entry(20, "b"), Entry(30, "c")});
  std::vector<std::string> lines;
  ASSERT_TRUE(Follow(absl::InfinitePast(), &lines).ok());
  EXPECT_EQ(lines, (std::vector<std::string>{"a", "b", "c"}));
  lines.clear();
  // `since` is inclusive, as docker's.
  ASSERT_TRUE(Follow(absl::FromUnixSeconds(20), &lines).ok());
  EXPECT_EQ(lines, (std::vector<std::string>{"b", "c"}));
  ASSERT_EQ(fake_.LogFollowCalls().size(), 2u);
  EXPECT_EQ(fake_.LogFollowCalls()[1].since, absl::FromUnixSeconds(20));
}

TEST_F(FakeDockerClientLogsTest, RunningContainerIsFollowedUntilItStops) {
  ASSERT_TRUE(fake_.StartContainer(id_, absl::InfiniteFuture()).ok());
  std::vector<std::string> lines;
  absl::Status result;
  std::thread follower([&] { result = Follow(absl::InfinitePast(), &lines); });
  EXPECT_TRUE(Following());
  fake_.AppendLogs(id_, {Entry(1, "one")});
  fake_.AppendLogs(id_, {Entry(2, "two")});
  ASSERT_TRUE(
      fake_.StopContainer(id_, absl::ZeroDuration(), absl::InfiniteFuture())
          .ok());
  follower.join();
  EXPECT_TRUE(result.ok()) << result;
  EXPECT_EQ(lines, (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(fake_.ActiveLogFollows(), 0);
}

TEST_F(FakeDockerClientLogsTest, CheckBreakAndErrors) {
  ASSERT_TRUE(fake_.StartContainer(id_, absl::InfiniteFuture()).ok());
  std::vector<std::string> lines;
  std::atomic<bool> stop{false};
  absl::Status result;
  std::thread follower([&] {
    result = Follow(absl::InfinitePast(), &lines, [&] {
      return stop ? absl::CancelledError("stop") : absl::OkStatus();
    });
  });
  EXPECT_TRUE(Following());
  stop = true;
  follower.join();
  EXPECT_EQ(result, absl::CancelledError("stop"));

  std::thread broken([&] { result = Follow(absl::InfinitePast(), &lines); });
  EXPECT_TRUE(Following());
  fake_.BreakLogStreams(absl::UnavailableError("dockerd went away"));
  broken.join();
  EXPECT_EQ(result, absl::UnavailableError("dockerd went away"));

  EXPECT_EQ(
      fake_.FollowContainerLogs({.id = "nope"}, absl::InfiniteFuture()).code(),
      absl::StatusCode::kNotFound);
  fake_.InjectErrorOnce("FollowContainerLogs", absl::InternalError("boom"));
  EXPECT_EQ(Follow(absl::InfinitePast(), &lines), absl::InternalError("boom"));
}

}  // namespace
}  // namespace cri_dockerd::docker
