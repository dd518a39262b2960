// FakeDockerClient's event log: container calls log docker's events,
// StreamEvents replays since (inclusive), filters, breaks and errors.
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

absl::Time Soon() { return absl::Now() + absl::Seconds(5); }

class FakeEventsTest : public ::testing::Test {
 protected:
  FakeEventsTest() {
    ImageInspect image;
    image.id = "sha256:1111";
    image.repo_tags = {"busybox:latest"};
    docker_.AddImage(image);
  }
  std::string Create(const std::string& name) {
    ContainerCreateConfig config;
    config.name = name;
    config.image = "busybox:latest";
    config.labels["io.kubernetes.docker.type"] = "container";
    return docker_.CreateContainer(config, Soon()).value();
  }
  // Streams until `n` events came (or 30 s), then cancels via check.
  std::vector<Event> Collect(EventStreamOptions options, size_t n,
                             absl::Status* result = nullptr) {
    std::vector<Event> got;
    options.on_event = [&](const Event& e) { got.push_back(e); };
    const absl::Time deadline = absl::Now() + testing_util::kPollTimeout;
    options.check = [&]() -> absl::Status {
      if (got.size() >= n) return absl::CancelledError("done");
      return absl::OkStatus();
    };
    absl::Status s = docker_.StreamEvents(options, deadline);
    if (result != nullptr) *result = s;
    return got;
  }
  // Waits (up to 30 s) for a StreamEvents call to be running.
  bool StreamRuns() {
    return testing_util::PollUntil(
        [&] { return docker_.ActiveEventStreams() == 1; });
  }
  FakeDockerClient docker_;
};

TEST_F(FakeEventsTest, LogsContainerLifecycleLikeDocker) {
  const std::string id = Create("k8s_a");
  ASSERT_TRUE(docker_.StartContainer(id, Soon()).ok());
  ASSERT_TRUE(docker_.StopContainer(id, absl::Seconds(1), Soon()).ok());
  ASSERT_TRUE(docker_.RemoveContainer(id, false, false, Soon()).ok());
  EventStreamOptions options;
  options.since = absl::UnixEpoch();
  std::vector<Event> got = Collect(options, 6);
  std::vector<std::string> actions;
  for (const Event& e : got) {
    actions.push_back(e.action);
    EXPECT_EQ(e.id, id);
    EXPECT_EQ(e.type, "container");
    EXPECT_EQ(e.attributes.at("name"), "k8s_a");
    EXPECT_EQ(e.attributes.at("io.kubernetes.docker.type"), "container");
  }
  EXPECT_EQ(actions, (std::vector<std::string>{"create", "start", "kill", "die",
                                               "stop", "destroy"}));
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_GT(got[i].time_nano, got[i - 1].time_nano);
  }
  EXPECT_EQ(got[2].attributes.at("signal"), "15");
  EXPECT_EQ(got[3].attributes.at("exitCode"), "0");
}

TEST_F(FakeEventsTest, SinceIsInclusiveAndFiltersApply) {
  const std::string id = Create("k8s_a");
  ASSERT_TRUE(docker_.StartContainer(id, Soon()).ok());
  EventStreamOptions all;
  all.since = absl::UnixEpoch();
  std::vector<Event> history = Collect(all, 2);
  ASSERT_EQ(history.size(), 2u);
  EventStreamOptions since_start;
  since_start.since = absl::FromUnixNanos(history[1].time_nano);
  Event other;
  other.type = "image";
  other.action = "pull";
  docker_.EmitEvent(other);
  since_start.filters["type"] = {"container"};
  std::vector<Event> got = Collect(since_start, 1);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].action, "start");
  EXPECT_EQ(docker_.EventStreamCalls().size(), 2u);
}

TEST_F(FakeEventsTest, FollowsNewEventsAndBreaks) {
  absl::Status result;
  std::thread t([&] {
    // Once the stream runs: an event, then the break (the stream reads
    // both under one lock, the event first).
    EXPECT_TRUE(StreamRuns());
    Create("k8s_b");
    docker_.BreakEventStreams(absl::UnavailableError("gone"));
  });
  std::vector<Event> got = Collect(EventStreamOptions(), 100, &result);
  t.join();
  EXPECT_EQ(result.code(), absl::StatusCode::kUnavailable);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].action, "create");
  EXPECT_EQ(docker_.ActiveEventStreams(), 0);
}

TEST_F(FakeEventsTest, InjectedErrorAndBadFilter) {
  docker_.InjectErrorOnce("StreamEvents", absl::UnavailableError("down"));
  EXPECT_EQ(docker_.StreamEvents(EventStreamOptions(), Soon()).code(),
            absl::StatusCode::kUnavailable);
  EventStreamOptions bad;
  bad.filters["bogus"] = {"x"};
  EXPECT_EQ(docker_.StreamEvents(bad, Soon()).code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FakeEventsTest, ClearedHistoryIsNotReplayed) {
  Create("k8s_c");
  docker_.ClearEventHistory();
  EventStreamOptions options;
  options.since = absl::UnixEpoch();
  absl::Status result;
  std::thread t([&] {
    // A replay would come before the break is seen.
    EXPECT_TRUE(StreamRuns());
    docker_.BreakEventStreams(absl::UnavailableError("gone"));
  });
  EXPECT_TRUE(Collect(options, 1, &result).empty());
  t.join();
  EXPECT_EQ(result.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace cri_dockerd::docker
