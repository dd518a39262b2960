// CurlDockerClient::FollowContainerLogs against the fake Docker server,
// replaying the streams captured from dockerd 20.10: the request, entries
// delivered as pieces arrive, docker's errors, check and deadline.
#include <atomic>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/synchronization/mutex.h"
#include "docker_client/curl_docker_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/component/docker_client/test_util.h"
#include "tests/component/fake_docker_server.h"
#include "tests/poll_until.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::HasSubstr;

constexpr char kLogs[] = "/v1.41/containers/abc/logs";
constexpr char kQuery[] = "follow=1&stdout=1&stderr=1&timestamps=1";

std::vector<FakeResponse::Piece> Pieces(const std::string& text, size_t size,
                                        absl::Duration delay) {
  std::vector<FakeResponse::Piece> pieces;
  for (size_t i = 0; i < text.size(); i += size) {
    pieces.push_back({text.substr(i, size), delay});
  }
  return pieces;
}

class CurlDockerClientLogsTest : public NegotiatedClientTest {
 protected:
  absl::Status Follow(bool tty, absl::Time deadline,
                      absl::Time since = absl::InfinitePast(),
                      std::function<absl::Status()> check = nullptr) {
    LogStreamOptions options;
    options.id = "abc";
    options.tty = tty;
    options.since = since;
    options.on_entry = [this](const LogEntry& e) {
      absl::MutexLock lock(&mu_);
      entries_.push_back(e);
    };
    options.check = std::move(check);
    return client_->FollowContainerLogs(options, deadline);
  }
  std::vector<LogEntry> Entries() {
    absl::MutexLock lock(&mu_);
    return entries_;
  }

  absl::Mutex mu_;
  std::vector<LogEntry> entries_ ABSL_GUARDED_BY(mu_);
};

TEST_F(CurlDockerClientLogsTest, MultiplexedStreamInOddPieces) {
  FakeResponse reply;
  reply.stream =
      Pieces(ReadTestdata("logs_multiplexed.bin"), 1000, absl::Milliseconds(1));
  server_->SetResponse("GET", kLogs, reply);
  ASSERT_TRUE(Follow(false, In(absl::Seconds(10))).ok());
  EXPECT_EQ(server_->Paths(),
            std::vector<std::string>{absl::StrCat(kLogs, "?", kQuery)});
  const std::vector<LogEntry> e = Entries();
  ASSERT_EQ(e.size(), 9u);
  EXPECT_EQ(e[0].line, "hello from stdout");
  EXPECT_EQ(e[3].stream, "stderr");
  std::string long_line;
  for (int i = 0; i < 4096; ++i) {
    absl::StrAppend(&long_line, absl::StrFormat("x%09d", i));
  }
  EXPECT_EQ(e[4].line + e[6].line + e[7].line, long_line);
  EXPECT_TRUE(e[8].partial);
}

TEST_F(CurlDockerClientLogsTest, TtyStreamAndSince) {
  FakeResponse reply;
  reply.stream =
      Pieces(ReadTestdata("logs_tty.bin"), 777, absl::ZeroDuration());
  server_->SetResponse("GET", kLogs, reply);
  ASSERT_TRUE(Follow(true, In(absl::Seconds(10)),
                     absl::FromUnixNanos(1795310558972495038))
                  .ok());
  EXPECT_EQ(server_->Paths(),
            std::vector<std::string>{absl::StrCat(
                kLogs, "?", kQuery, "&since=1795310558.972495038")});
  const std::vector<LogEntry> e = Entries();
  ASSERT_EQ(e.size(), 9u);
  EXPECT_EQ(e[6].line.size(), 40960u - 2 * 16384u + 1u);  // with its '\r'
}

TEST_F(CurlDockerClientLogsTest, EntriesArriveWhileTheStreamRuns) {
  const std::string golden = ReadTestdata("logs_multiplexed.bin");
  FakeResponse reply;
  reply.stream = {{golden.substr(0, 57), absl::ZeroDuration()}};  // 1 frame
  reply.stall = true;
  server_->SetResponse("GET", kLogs, reply);
  std::atomic<bool> stop{false};
  std::thread follower([&] {
    absl::Status s = Follow(
        false, In(absl::Seconds(60)), absl::InfinitePast(),
        [&] { return stop ? absl::CancelledError("stop") : absl::OkStatus(); });
    EXPECT_EQ(s, absl::CancelledError("stop"));
  });
  EXPECT_TRUE(testing_util::PollUntil([&] { return !Entries().empty(); }))
      << "the first entry never arrived";
  EXPECT_EQ(Entries().size(), 1u);
  const absl::Time stopped = absl::Now();
  stop = true;
  follower.join();
  // Ended by the check, not by the 60 s deadline.
  EXPECT_LT(absl::Now() - stopped, absl::Seconds(10));
}

TEST_F(CurlDockerClientLogsTest, DeadlineEndsAStalledStream) {
  FakeResponse reply;
  reply.stall = true;
  server_->SetResponse("GET", kLogs, reply);
  EXPECT_EQ(Follow(false, In(absl::Milliseconds(300))).code(),
            absl::StatusCode::kDeadlineExceeded);
}

TEST_F(CurlDockerClientLogsTest, BrokenStreamIsUnavailable) {
  const std::string golden = ReadTestdata("logs_multiplexed.bin");
  FakeResponse reply;
  reply.stream = {{golden.substr(0, 70), absl::ZeroDuration()}};  // cut
  reply.stall = true;
  server_->SetResponse("GET", kLogs, reply);
  std::thread crash([&] {
    // Once the stream runs (its first entry is in), docker dies.
    EXPECT_TRUE(testing_util::PollUntil([&] { return !Entries().empty(); }))
        << "the first entry never arrived";
    server_->Crash();
  });
  const absl::Status s = Follow(false, In(absl::Seconds(10)));
  crash.join();
  EXPECT_EQ(s.code(), absl::StatusCode::kUnavailable) << s;
  EXPECT_EQ(Entries().size(), 1u);
}

TEST_F(CurlDockerClientLogsTest, DockerErrors) {
  server_->SetResponse("GET", kLogs,
                       {.status = 404, .body = ReadTestdata("logs_404.json")});
  absl::Status s = Follow(false, In(absl::Seconds(5)));
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound) << s;
  EXPECT_THAT(s.message(), HasSubstr("No such container"));
  server_->SetResponse(
      "GET", kLogs,
      {.status = 501, .body = ReadTestdata("logs_501_no_reading.json")});
  s = Follow(false, In(absl::Seconds(5)));
  EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << s;
  EXPECT_THAT(s.message(), HasSubstr("does not support reading"));
}

TEST_F(CurlDockerClientLogsTest, BadIdSendsNothing) {
  LogStreamOptions options;
  options.id = "../x";
  EXPECT_EQ(client_->FollowContainerLogs(options, In(absl::Seconds(5))).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(server_->Paths().empty());
}

}  // namespace
}  // namespace cri_dockerd::docker
