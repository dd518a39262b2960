// CurlLogStreamMux against the fake Docker server: many streams on one
// thread delivered whole and in order, the same entries as
// FollowContainerLogs, every way a stream ends, pause and resume, and
// both endpoint kinds.
#include "docker_client/curl_log_stream_mux.h"

#include <atomic>
#include <deque>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "docker_client/curl_docker_client.h"
#include "docker_client/testing/log_stream_recorder.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/component/docker_client/log_stream_script.h"
#include "tests/component/docker_client/test_util.h"
#include "tests/component/fake_docker_server.h"
#include "tests/poll_until.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::HasSubstr;
using Flow = LogStreamMux::Flow;
using testing_util::PollUntil;

constexpr char kQuery[] = "follow=1&stdout=1&stderr=1&timestamps=1";

std::string LogsPath(int i) {
  return absl::StrCat("/containers/c", i, "/logs");
}

// The body cut into pieces of `size` bytes, `delay` apart.
std::vector<FakeResponse::Piece> Pieces(const std::string& body, size_t size,
                                        absl::Duration delay) {
  std::vector<FakeResponse::Piece> pieces;
  for (size_t i = 0; i < body.size(); i += size) {
    pieces.push_back({body.substr(i, size), delay});
  }
  return pieces;
}

// Lines [from, to) of a stream's log, as docker sends them.
std::string Body(bool tty, int stream, int to, int from = 0) {
  std::string body;
  for (int i = from; i < to; ++i) body += LogMessage(tty, stream, i);
  return body;
}

void ExpectEntries(const std::vector<LogEntry>& got,
                   const std::vector<LogEntry>& want, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_TRUE(SameEntry(got[i], want[i]))
        << what << " entry " << i << ": got " << got[i].stream << " "
        << got[i].timestamp << " \"" << got[i].line << "\"";
  }
}

class CurlLogStreamMuxTest : public NegotiatedClientTest {
 protected:
  void SetUp() override {
    NegotiatedClientTest::SetUp();
    absl::StatusOr<std::unique_ptr<LogStreamMux>> mux =
        client_->NewLogStreamMux();
    ASSERT_TRUE(mux.ok()) << mux.status();
    mux_ = std::move(*mux);
  }

  absl::StatusOr<LogStreamMux::Handle> Follow(
      const std::string& id, bool tty, LogStreamRecorder& rec,
      absl::Duration deadline = absl::Seconds(60)) {
    LogFollowOptions options;
    options.id = id;
    options.tty = tty;
    options.deadline = In(deadline);
    return mux_->Follow(options, rec.EntrySink(), rec.EndSink());
  }

  // A stream that sends `first` lines of container c0 (non-TTY), then
  // nothing, without ending.
  void ScriptStalled(int first) {
    FakeResponse reply;
    reply.stream = {{Body(false, 0, first), absl::ZeroDuration()}};
    reply.stall = true;
    server_->SetResponse("GET", LogsPath(0), reply);
  }

  // Recorders for the test's streams. They outlive mux_ (declared after
  // them), which calls them until it is destroyed, also when a test
  // fails half-way.
  LogStreamRecorder& Recorder() { return recorders_.emplace_back(); }
  std::deque<LogStreamRecorder>& Recorders(int n) {
    for (int i = 0; i < n; ++i) many_.emplace_back();
    return many_;
  }

  std::deque<LogStreamRecorder> recorders_;
  std::deque<LogStreamRecorder> many_;
  std::unique_ptr<LogStreamMux> mux_;
};

TEST_F(CurlLogStreamMuxTest, FiftyStreamsEachWholeAndInOrder) {
  constexpr int kStreams = 50;
  constexpr int kLines = 40;
  for (int i = 0; i < kStreams; ++i) {
    FakeResponse reply;
    // Odd piece sizes cut frames and timestamps anywhere.
    reply.stream =
        Pieces(Body(i % 2 == 1, i, kLines), 37 + i,
               i % 3 == 0 ? absl::Milliseconds(1) : absl::ZeroDuration());
    server_->SetResponse("GET", LogsPath(i), reply);
  }
  std::deque<LogStreamRecorder>& recs = Recorders(kStreams);
  for (int i = 0; i < kStreams; ++i) {
    ASSERT_TRUE(Follow(absl::StrCat("c", i), i % 2 == 1, recs[i]).ok());
  }
  ASSERT_TRUE(PollUntil([&] {
    for (const auto& r : recs) {
      if (!r.ended()) return false;
    }
    return true;
  })) << "not every stream ended";
  std::set<std::thread::id> threads;
  for (int i = 0; i < kStreams; ++i) {
    ExpectEntries(recs[i].entries(), ExpectedEntries(i % 2 == 1, i, kLines),
                  absl::StrCat("stream ", i));
    EXPECT_EQ(recs[i].ends(), std::vector<absl::Status>{absl::OkStatus()});
    for (std::thread::id t : recs[i].threads()) threads.insert(t);
  }
  EXPECT_EQ(threads.size(), 1u) << "callbacks ran on several threads";
  EXPECT_EQ(threads.count(std::this_thread::get_id()), 0u);
  std::vector<std::string> paths = server_->Paths();
  for (int i = 0; i < kStreams; ++i) {
    EXPECT_THAT(paths, ::testing::Contains(
                           absl::StrCat("/v1.41", LogsPath(i), "?", kQuery)));
  }
}

// The mux and FollowContainerLogs decode docker's captured streams alike.
TEST_F(CurlLogStreamMuxTest, SameEntriesAsFollowContainerLogs) {
  for (const bool tty : {false, true}) {
    SCOPED_TRACE(tty ? "tty" : "multiplexed");
    FakeResponse reply;
    reply.stream =
        Pieces(ReadTestdata(tty ? "logs_tty.bin" : "logs_multiplexed.bin"),
               1000, absl::ZeroDuration());
    server_->SetResponse("GET", "/containers/abc/logs", reply);
    std::vector<LogEntry> want;
    LogStreamOptions blocking;
    blocking.id = "abc";
    blocking.tty = tty;
    blocking.on_entry = [&](const LogEntry& e) { want.push_back(e); };
    ASSERT_TRUE(
        client_->FollowContainerLogs(blocking, In(absl::Seconds(10))).ok());
    ASSERT_EQ(want.size(), 9u);
    LogStreamRecorder& rec = Recorder();
    ASSERT_TRUE(Follow("abc", tty, rec).ok());
    ASSERT_TRUE(PollUntil([&] { return rec.ended(); }));
    EXPECT_TRUE(rec.end().ok()) << rec.end();
    ExpectEntries(rec.entries(), want, "abc");
  }
}

TEST_F(CurlLogStreamMuxTest, SinceGoesIntoTheQuery) {
  server_->SetResponse("GET", LogsPath(0), FakeResponse{});
  LogStreamRecorder& rec = Recorder();
  LogFollowOptions options;
  options.id = "c0";
  options.since = absl::FromUnixNanos(1795310558972495038);
  options.deadline = In(absl::Seconds(10));
  ASSERT_TRUE(mux_->Follow(options, rec.EntrySink(), rec.EndSink()).ok());
  ASSERT_TRUE(PollUntil([&] { return rec.ended(); }));
  EXPECT_TRUE(rec.end().ok()) << rec.end();
  EXPECT_EQ(server_->Paths(), std::vector<std::string>{absl::StrCat(
                                  "/v1.41", LogsPath(0), "?", kQuery,
                                  "&since=1795310558.972495038")});
}

TEST_F(CurlLogStreamMuxTest, DockerErrorsEndTheStream) {
  server_->SetResponse("GET", LogsPath(0),
                       {.status = 404, .body = ReadTestdata("logs_404.json")});
  server_->SetResponse(
      "GET", LogsPath(1),
      {.status = 501, .body = ReadTestdata("logs_501_no_reading.json")});
  LogStreamRecorder& missing = Recorder();
  LogStreamRecorder& unreadable = Recorder();
  ASSERT_TRUE(Follow("c0", false, missing).ok());
  ASSERT_TRUE(Follow("c1", false, unreadable).ok());
  ASSERT_TRUE(PollUntil([&] { return missing.ended() && unreadable.ended(); }));
  EXPECT_EQ(missing.end().code(), absl::StatusCode::kNotFound) << missing.end();
  EXPECT_THAT(missing.end().message(), HasSubstr("No such container"));
  EXPECT_EQ(unreadable.end().code(), absl::StatusCode::kFailedPrecondition)
      << unreadable.end();
  EXPECT_EQ(missing.count() + unreadable.count(), 0u);
}

TEST_F(CurlLogStreamMuxTest, BadRequestsMakeNoStream) {
  LogStreamRecorder& rec = Recorder();
  EXPECT_EQ(Follow("../x", false, rec).status().code(),
            absl::StatusCode::kInvalidArgument);
  LogFollowOptions forever;
  forever.id = "c0";  // and no deadline
  EXPECT_EQ(
      mux_->Follow(forever, rec.EntrySink(), rec.EndSink()).status().code(),
      absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(server_->Paths().empty());
  EXPECT_FALSE(rec.ended());
}

TEST_F(CurlLogStreamMuxTest, DockerGoneMidStreamIsUnavailable) {
  ScriptStalled(2);
  LogStreamRecorder& rec = Recorder();
  ASSERT_TRUE(Follow("c0", false, rec).ok());
  ASSERT_TRUE(PollUntil([&] { return rec.count() == 2; }));
  server_->Crash();
  ASSERT_TRUE(PollUntil([&] { return rec.ended(); }));
  EXPECT_EQ(rec.end().code(), absl::StatusCode::kUnavailable) << rec.end();
  EXPECT_EQ(rec.ends().size(), 1u);
  EXPECT_EQ(rec.count(), 2u);
  // The client forgot the version of the daemon that went away, and the
  // next stream finds nobody to negotiate with: on_end says so too.
  EXPECT_EQ(client_->NegotiatedApiVersion(), "");
  LogStreamRecorder& later = Recorder();
  ASSERT_TRUE(Follow("c0", false, later).ok());
  ASSERT_TRUE(PollUntil([&] { return later.ended(); }));
  EXPECT_EQ(later.end().code(), absl::StatusCode::kUnavailable) << later.end();
}

TEST_F(CurlLogStreamMuxTest, CancelMidStreamFromAnotherThread) {
  ScriptStalled(1);
  LogStreamRecorder& rec = Recorder();
  absl::StatusOr<LogStreamMux::Handle> h = Follow("c0", false, rec);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(PollUntil([&] { return rec.count() == 1; }));
  mux_->Cancel(*h);
  // on_end has returned by the time Cancel does.
  EXPECT_EQ(rec.ends(), std::vector<absl::Status>{absl::CancelledError(
                            "following the logs of container c0: cancelled")});
  mux_->Cancel(*h);  // idempotent
  EXPECT_EQ(rec.ends().size(), 1u);
  // The connection is closed: docker stops following.
  EXPECT_TRUE(PollUntil([&] { return server_->streams_abandoned() == 1; }));
}

TEST_F(CurlLogStreamMuxTest, CancelFromItsOwnCallback) {
  std::atomic<LogStreamMux::Handle> self{0};
  FakeResponse reply;
  // Two entries, then (once the test knows the handle) 48 in one chunk:
  // the hook cancels at the third, in the middle of that chunk.
  reply.stream = {{Body(false, 0, 2), absl::ZeroDuration()},
                  {Body(false, 0, 50, 2), absl::ZeroDuration(),
                   [&] { PollUntil([&] { return self.load() != 0; }); }}};
  reply.stall = true;
  server_->SetResponse("GET", LogsPath(0), reply);
  LogStreamRecorder& rec = Recorder();
  rec.on_entry_hook = [&](const LogEntry&, size_t count) {
    if (count == 3) mux_->Cancel(self.load());
    return Flow::kContinue;
  };
  absl::StatusOr<LogStreamMux::Handle> h = Follow("c0", false, rec);
  ASSERT_TRUE(h.ok());
  self = *h;
  ASSERT_TRUE(PollUntil([&] { return rec.ended(); }));
  EXPECT_EQ(rec.end().code(), absl::StatusCode::kCancelled) << rec.end();
  EXPECT_EQ(rec.ends().size(), 1u);
  EXPECT_EQ(rec.count(), 3u) << "entries were delivered after Cancel";
  EXPECT_FALSE(rec.entry_after_end());
  mux_->Cancel(*h);  // after the end: a no-op
  EXPECT_EQ(rec.ends().size(), 1u);
}

TEST_F(CurlLogStreamMuxTest, CancelAfterTheEndAndOfUnknownHandles) {
  server_->SetResponse("GET", LogsPath(0),
                       {.stream = {{Body(false, 0, 3), absl::ZeroDuration()}}});
  LogStreamRecorder& rec = Recorder();
  absl::StatusOr<LogStreamMux::Handle> h = Follow("c0", false, rec);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(PollUntil([&] { return rec.ended(); }));
  mux_->Cancel(*h);
  mux_->Cancel(*h + 1000);
  mux_->Resume(*h);
  EXPECT_EQ(rec.ends(), std::vector<absl::Status>{absl::OkStatus()});
  EXPECT_EQ(rec.count(), 3u);
  EXPECT_FALSE(rec.entry_after_end());
}

TEST_F(CurlLogStreamMuxTest, DeadlineEndsASilentStream) {
  ScriptStalled(1);
  LogStreamRecorder& rec = Recorder();
  ASSERT_TRUE(Follow("c0", false, rec, absl::Milliseconds(300)).ok());
  ASSERT_TRUE(PollUntil([&] { return rec.ended(); }));
  EXPECT_EQ(rec.end().code(), absl::StatusCode::kDeadlineExceeded) << rec.end();
  EXPECT_EQ(rec.count(), 1u);
}

TEST_F(CurlLogStreamMuxTest, DeadlineEndsAPausedStream) {
  server_->SetResponse("GET", LogsPath(0),
                       {.stream = {{Body(false, 0, 5), absl::ZeroDuration()}}});
  LogStreamRecorder& rec = Recorder();
  rec.on_entry_hook = [](const LogEntry&, size_t) { return Flow::kPause; };
  ASSERT_TRUE(Follow("c0", false, rec, absl::Milliseconds(300)).ok());
  ASSERT_TRUE(PollUntil([&] { return rec.ended(); }));
  EXPECT_EQ(rec.end().code(), absl::StatusCode::kDeadlineExceeded) << rec.end();
  EXPECT_EQ(rec.count(), 1u);  // never resumed
}

// A receiver that pauses after every 7th entry and resumes from another
// thread gets every entry, in order, none while paused.
TEST_F(CurlLogStreamMuxTest, PauseAndResume) {
  constexpr int kLines = 300;
  FakeResponse reply;
  reply.stream = Pieces(Body(false, 0, kLines), 4096, absl::ZeroDuration());
  server_->SetResponse("GET", LogsPath(0), reply);
  LogStreamRecorder& rec = Recorder();
  std::atomic<bool> paused{false};
  std::atomic<bool> delivered_while_paused{false};
  rec.on_entry_hook = [&](const LogEntry&, size_t count) {
    if (paused) delivered_while_paused = true;
    if (count % 7 != 0) return Flow::kContinue;
    paused = true;
    return Flow::kPause;
  };
  absl::StatusOr<LogStreamMux::Handle> h = Follow("c0", false, rec);
  ASSERT_TRUE(h.ok());
  int resumes = 0;
  while (!rec.ended()) {
    ASSERT_TRUE(PollUntil([&] { return paused.load() || rec.ended(); }));
    if (rec.ended()) break;
    paused = false;
    ++resumes;
    mux_->Resume(*h);
  }
  EXPECT_TRUE(rec.end().ok()) << rec.end();
  EXPECT_FALSE(delivered_while_paused);
  EXPECT_EQ(resumes, kLines / 7);
  ExpectEntries(rec.entries(), ExpectedEntries(false, 0, kLines), "c0");
}

// Docker ends the stream while the receiver is paused: the entries held
// then are delivered on Resume, and only then on_end(OK).
TEST_F(CurlLogStreamMuxTest, EndWaitsForHeldEntries) {
  server_->SetResponse("GET", LogsPath(0),
                       {.stream = {{Body(true, 0, 10), absl::ZeroDuration()}}});
  LogStreamRecorder& rec = Recorder();
  rec.on_entry_hook = [](const LogEntry&, size_t count) {
    return count == 1 ? Flow::kPause : Flow::kContinue;
  };
  absl::StatusOr<LogStreamMux::Handle> h = Follow("c0", true, rec);
  ASSERT_TRUE(h.ok());
  ASSERT_TRUE(PollUntil([&] { return rec.count() == 1; }));
  // Whatever docker has done meanwhile, nothing more comes until Resume.
  EXPECT_FALSE(rec.ended());
  mux_->Resume(*h);
  ASSERT_TRUE(PollUntil([&] { return rec.ended(); }));
  EXPECT_TRUE(rec.end().ok()) << rec.end();
  ExpectEntries(rec.entries(), ExpectedEntries(true, 0, 10), "c0");
}

TEST_F(CurlLogStreamMuxTest, FollowAgainFromOnEnd) {
  server_->SetResponse("GET", LogsPath(0),
                       {.stream = {{Body(false, 0, 2), absl::ZeroDuration()}}});
  LogStreamRecorder& first = Recorder();
  LogStreamRecorder& second = Recorder();
  first.on_end_hook = [&](const absl::Status&) {
    LogFollowOptions options;
    options.id = "c0";
    options.deadline = In(absl::Seconds(30));
    EXPECT_TRUE(
        mux_->Follow(options, second.EntrySink(), second.EndSink()).ok());
  };
  ASSERT_TRUE(Follow("c0", false, first).ok());
  ASSERT_TRUE(PollUntil([&] { return second.ended(); }));
  EXPECT_TRUE(second.end().ok()) << second.end();
  EXPECT_EQ(second.count(), 2u);
}

TEST_F(CurlLogStreamMuxTest, DestructionCancelsEveryStream) {
  ScriptStalled(1);
  std::deque<LogStreamRecorder>& recs = Recorders(5);
  for (auto& rec : recs) ASSERT_TRUE(Follow("c0", false, rec).ok());
  ASSERT_TRUE(PollUntil([&] {
    for (const auto& r : recs) {
      if (r.count() != 1) return false;
    }
    return true;
  }));
  mux_.reset();
  for (const auto& rec : recs) {
    ASSERT_EQ(rec.ends().size(), 1u);
    EXPECT_EQ(rec.end().code(), absl::StatusCode::kCancelled) << rec.end();
  }
}

TEST(CurlLogStreamMuxTcpTest, StreamsOverTcp) {
  std::vector<LogStreamRecorder> recs(3);  // outlives the mux
  absl::StatusOr<std::unique_ptr<FakeDockerServer>> server =
      FakeDockerServer::StartTcp();
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->SetDaemonVersion("1.41", "1.12");
  for (int i = 0; i < 3; ++i) {
    FakeResponse reply;
    reply.stream = Pieces(Body(i == 1, i, 20), 50, absl::ZeroDuration());
    (*server)->SetResponse("GET", LogsPath(i), reply);
  }
  absl::StatusOr<std::unique_ptr<CurlDockerClient>> client =
      CurlDockerClient::Create((*server)->endpoint());
  ASSERT_TRUE(client.ok()) << client.status();
  absl::StatusOr<std::unique_ptr<LogStreamMux>> mux =
      (*client)->NewLogStreamMux();
  ASSERT_TRUE(mux.ok()) << mux.status();
  for (int i = 0; i < 3; ++i) {
    LogFollowOptions options;
    options.id = absl::StrCat("c", i);
    options.tty = i == 1;
    options.deadline = In(absl::Seconds(30));
    ASSERT_TRUE(
        (*mux)->Follow(options, recs[i].EntrySink(), recs[i].EndSink()).ok());
  }
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(PollUntil([&] { return recs[i].ended(); }));
    EXPECT_TRUE(recs[i].end().ok()) << recs[i].end();
    ExpectEntries(recs[i].entries(), ExpectedEntries(i == 1, i, 20),
                  absl::StrCat("c", i));
  }
  // Negotiated once (GET /version), then the three streams.
  EXPECT_EQ((*server)->Paths().size(), 4u);
}

}  // namespace
}  // namespace cri_dockerd::docker
