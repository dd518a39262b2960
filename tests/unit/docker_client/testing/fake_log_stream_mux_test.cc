// The fake LogStreamMux that cri/logs unit tests lean on: it follows the
// fake's stored logs like docker (since, appended entries, the end when
// the container stops, breaks, NotFound) and keeps the LogStreamMux
// contract (one thread, one on_end, pause, Cancel, deadline, destruction).
#include "docker_client/testing/fake_log_stream_mux.h"

#include <atomic>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "docker_client/testing/fake_docker_client.h"
#include "docker_client/testing/log_stream_recorder.h"
#include "gtest/gtest.h"
#include "tests/poll_until.h"

namespace cri_dockerd::docker {
namespace {

using Flow = LogStreamMux::Flow;
using testing_util::PollUntil;

LogEntry Entry(int64_t sec, const std::string& line) {
  return LogEntry{.stream = "stdout",
                  .timestamp = absl::FromUnixSeconds(sec),
                  .line = line,
                  .partial = false};
}

std::vector<std::string> Lines(const LogStreamRecorder& rec) {
  std::vector<std::string> lines;
  for (const LogEntry& e : rec.entries()) lines.push_back(e.line);
  return lines;
}

class FakeLogStreamMuxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ImageInspect image;
    image.id = "sha256:" + std::string(64, 'a');
    image.repo_tags = {"busybox:latest"};
    fake_.AddImage(image);
    for (const char* name : {"one", "two"}) {
      ContainerCreateConfig config;
      config.name = name;
      config.image = "busybox";
      absl::StatusOr<std::string> id =
          fake_.CreateContainer(config, absl::InfiniteFuture());
      ASSERT_TRUE(id.ok()) << id.status();
    }
    absl::StatusOr<std::unique_ptr<LogStreamMux>> mux = fake_.NewLogStreamMux();
    ASSERT_TRUE(mux.ok()) << mux.status();
    mux_ = std::move(*mux);
  }
  absl::StatusOr<LogStreamMux::Handle> Follow(
      const std::string& id, LogStreamRecorder& rec,
      absl::Time since = absl::InfinitePast(),
      absl::Duration deadline = absl::Seconds(60)) {
    LogFollowOptions options;
    options.id = id;
    options.since = since;
    options.deadline = absl::Now() + deadline;
    return mux_->Follow(options, rec.EntrySink(), rec.EndSink());
  }
  FakeLogStreamMux& fake_mux() { return static_cast<FakeLogStreamMux&>(*mux_); }

  // Outlive mux_ (declared after them), which calls them until it is
  // destroyed, also when a test fails half-way.
  LogStreamRecorder& Recorder() { return recorders_.emplace_back(); }

  FakeDockerClient fake_;
  std::deque<LogStreamRecorder> recorders_;
  std::unique_ptr<LogStreamMux> mux_;
};

TEST_F(FakeLogStreamMuxTest, StoppedContainerGivesItsLogFromSinceAndEnds) {
  fake_.AppendLogs("one", {Entry(10, "a"), Entry(20, "b"), Entry(30, "c")});
  LogStreamRecorder& all = Recorder();
  LogStreamRecorder& since = Recorder();
  ASSERT_TRUE(Follow("one", all).ok());
  ASSERT_TRUE(Follow("one", since, absl::FromUnixSeconds(20)).ok());
  ASSERT_TRUE(PollUntil([&] { return all.ended() && since.ended(); }));
  EXPECT_EQ(Lines(all), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(Lines(since), (std::vector<std::string>{"b", "c"}));  // inclusive
  EXPECT_EQ(all.ends(), std::vector<absl::Status>{absl::OkStatus()});
  ASSERT_EQ(fake_mux().FollowCalls().size(), 2u);
  EXPECT_EQ(fake_mux().FollowCalls()[1].since, absl::FromUnixSeconds(20));
}

TEST_F(FakeLogStreamMuxTest, ManyRunningContainersOnOneThread) {
  ASSERT_TRUE(fake_.StartContainer("one", absl::InfiniteFuture()).ok());
  ASSERT_TRUE(fake_.StartContainer("two", absl::InfiniteFuture()).ok());
  LogStreamRecorder& one = Recorder();
  LogStreamRecorder& two = Recorder();
  ASSERT_TRUE(Follow("one", one).ok());
  ASSERT_TRUE(Follow("two", two).ok());
  EXPECT_EQ(fake_mux().ActiveStreams(), 2);
  fake_.AppendLogs("one", {Entry(1, "1a")});
  fake_.AppendLogs("two", {Entry(1, "2a"), Entry(2, "2b")});
  ASSERT_TRUE(PollUntil([&] { return one.count() == 1 && two.count() == 2; }));
  fake_.AppendLogs("one", {Entry(2, "1b")});
  ASSERT_TRUE(
      fake_.StopContainer("one", absl::ZeroDuration(), absl::InfiniteFuture())
          .ok());
  ASSERT_TRUE(PollUntil([&] { return one.ended(); }));
  EXPECT_EQ(Lines(one), (std::vector<std::string>{"1a", "1b"}));
  EXPECT_TRUE(one.end().ok()) << one.end();
  EXPECT_FALSE(two.ended());
  EXPECT_EQ(fake_mux().ActiveStreams(), 1);
  std::set<std::thread::id> threads;
  for (auto t : one.threads()) threads.insert(t);
  for (auto t : two.threads()) threads.insert(t);
  EXPECT_EQ(threads.size(), 1u);
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
}

TEST_F(FakeLogStreamMuxTest, FailuresComeThroughOnEnd) {
  LogStreamRecorder& missing = Recorder();
  ASSERT_TRUE(Follow("nope", missing).ok());
  fake_.InjectErrorOnce("LogStreamMux::Follow",
                        absl::UnavailableError("dockerd is gone"));
  LogStreamRecorder& injected = Recorder();
  ASSERT_TRUE(Follow("one", injected).ok());
  ASSERT_TRUE(PollUntil([&] { return missing.ended() && injected.ended(); }));
  EXPECT_EQ(missing.end().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(injected.end(), absl::UnavailableError("dockerd is gone"));
  // Bad requests make no stream.
  LogStreamRecorder& bad = Recorder();
  EXPECT_EQ(Follow("../x", bad).status().code(),
            absl::StatusCode::kInvalidArgument);
  LogFollowOptions forever;
  forever.id = "one";
  EXPECT_EQ(mux_->Follow(forever, nullptr, nullptr).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FakeLogStreamMuxTest, BreakEndsRunningStreamsAfterTheirEntries) {
  ASSERT_TRUE(fake_.StartContainer("one", absl::InfiniteFuture()).ok());
  fake_.AppendLogs("one", {Entry(1, "a")});
  LogStreamRecorder& rec = Recorder();
  ASSERT_TRUE(Follow("one", rec).ok());
  ASSERT_TRUE(PollUntil([&] { return rec.count() == 1; }));
  fake_.BreakLogStreams(absl::UnavailableError("connection reset"));
  ASSERT_TRUE(PollUntil([&] { return rec.ended(); }));
  EXPECT_EQ(rec.end(), absl::UnavailableError("connection reset"));
}

TEST_F(FakeLogStreamMuxTest, PauseHoldsEntriesUntilResume) {
  fake_.AppendLogs("one", {Entry(1, "a"), Entry(2, "b"), Entry(3, "c")});
  LogStreamRecorder& rec = Recorder();
  rec.on_entry_hook = [](const LogEntry&, size_t count) {
    return count == 1 ? Flow::kPause : Flow::kContinue;
  };
  absl::StatusOr<LogStreamMux::Handle> h = Follow("one", rec);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(PollUntil([&] { return rec.count() == 1; }));
  EXPECT_FALSE(rec.ended());
  mux_->Resume(*h);
  ASSERT_TRUE(PollUntil([&] { return rec.ended(); }));
  EXPECT_EQ(Lines(rec), (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_TRUE(rec.end().ok());
}

TEST_F(FakeLogStreamMuxTest, CancelFromAnotherThreadAndFromACallback) {
  ASSERT_TRUE(fake_.StartContainer("one", absl::InfiniteFuture()).ok());
  fake_.AppendLogs("one", {Entry(1, "a"), Entry(2, "b"), Entry(3, "c")});
  LogStreamRecorder& outside = Recorder();
  absl::StatusOr<LogStreamMux::Handle> h = Follow("one", outside);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(PollUntil([&] { return outside.count() == 3; }));
  mux_->Cancel(*h);
  EXPECT_EQ(outside.ends().size(), 1u);  // before Cancel returned
  EXPECT_EQ(outside.end().code(), absl::StatusCode::kCancelled);
  mux_->Cancel(*h);
  EXPECT_EQ(outside.ends().size(), 1u);

  std::atomic<LogStreamMux::Handle> self{0};
  LogStreamRecorder& inside = Recorder();
  inside.on_entry_hook = [&](const LogEntry&, size_t count) {
    if (count == 1) {
      PollUntil([&] { return self.load() != 0; });
      mux_->Cancel(self.load());
    }
    return Flow::kContinue;
  };
  h = Follow("one", inside);
  ASSERT_TRUE(h.ok());
  self = *h;
  ASSERT_TRUE(PollUntil([&] { return inside.ended(); }));
  EXPECT_EQ(inside.count(), 1u);
  EXPECT_EQ(inside.end().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(fake_mux().ActiveStreams(), 0);
}

TEST_F(FakeLogStreamMuxTest, DeadlineAndDestruction) {
  ASSERT_TRUE(fake_.StartContainer("one", absl::InfiniteFuture()).ok());
  LogStreamRecorder& short_lived = Recorder();
  LogStreamRecorder& open = Recorder();
  ASSERT_TRUE(
      Follow("one", short_lived, absl::InfinitePast(), absl::Milliseconds(50))
          .ok());
  ASSERT_TRUE(Follow("one", open).ok());
  ASSERT_TRUE(PollUntil([&] { return short_lived.ended(); }));
  EXPECT_EQ(short_lived.end().code(), absl::StatusCode::kDeadlineExceeded);
  mux_.reset();
  ASSERT_EQ(open.ends().size(), 1u);
  EXPECT_EQ(open.end().code(), absl::StatusCode::kCancelled);
}

}  // namespace
}  // namespace cri_dockerd::docker
