// CurlDockerClient::PullImage against the fake Docker server, replaying
// streams captured from dockerd 20.10: progress in order, errors in and
// before the stream, cancellation through `check`, deadlines, framing,
// and the X-Registry-Auth header.
#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "docker_client/curl_docker_client.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/component/docker_client/test_util.h"
#include "tests/component/fake_docker_server.h"
#include "tests/poll_until.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// `text` as stream pieces of `size` bytes, `delay` apart.
std::vector<FakeResponse::Piece> Pieces(const std::string& text, size_t size,
                                        absl::Duration delay) {
  std::vector<FakeResponse::Piece> pieces;
  for (size_t i = 0; i < text.size(); i += size) {
    pieces.push_back({text.substr(i, size), delay});
  }
  return pieces;
}

constexpr char kCreate[] = "/v1.41/images/create";
constexpr char kBusyboxQuery[] =
    "/v1.41/images/create?fromImage=localhost%3A5000%2Fbusybox&tag=1.36";

class CurlDockerClientPullTest : public NegotiatedClientTest {
 protected:
  // Pulls localhost:5000/busybox:1.36, recording the progress messages.
  absl::Status Pull(absl::Time deadline,
                    std::function<absl::Status()> check = nullptr,
                    RegistryAuth auth = {}) {
    PullOptions options;
    options.image = "localhost:5000/busybox";
    options.tag = "1.36";
    options.auth = std::move(auth);
    options.on_progress = [this](const PullProgress& p) {
      progress_.push_back(p);
    };
    options.check = std::move(check);
    return client_->PullImage(options, deadline);
  }

  std::vector<std::string> Statuses() const {
    std::vector<std::string> out;
    for (const PullProgress& p : progress_) out.push_back(p.status);
    return out;
  }

  std::vector<PullProgress> progress_;
};

TEST_F(CurlDockerClientPullTest, SuccessReportsProgressInOrder) {
  const std::string golden = ReadTestdata("pull_ok.jsonl");
  FakeResponse reply;
  for (absl::string_view line : absl::StrSplit(golden, '\n')) {
    if (!line.empty()) {
      reply.stream.push_back(
          {absl::StrCat(line, "\n"), absl::Milliseconds(20)});
    }
  }
  server_->SetResponse("POST", kCreate, reply);
  ASSERT_TRUE(Pull(In(absl::Seconds(10))).ok());
  ASSERT_EQ(progress_.size(), 10u);
  EXPECT_EQ(progress_[0].status, "Pulling from busybox");
  EXPECT_EQ(progress_[0].id, "1.36");
  EXPECT_EQ(progress_[2].status, "Downloading");
  EXPECT_EQ(progress_[2].current, 36445);
  EXPECT_EQ(progress_[2].total, 1512237);
  EXPECT_EQ(progress_[6].current, 1512237);
  EXPECT_EQ(progress_[9].status,
            "Status: Downloaded newer image for localhost:5000/busybox:1.36");
  std::vector<RecordedRequest> requests = server_->Requests();
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(requests[0].method, "POST");
  EXPECT_EQ(requests[0].path, kBusyboxQuery);
  EXPECT_EQ(requests[0].headers.count("x-registry-auth"), 0u);
}

TEST_F(CurlDockerClientPullTest, ObjectsSplitAcrossChunksOrSharingOne) {
  const std::string golden = ReadTestdata("pull_ok_digest.jsonl");
  for (size_t size : {1u, 7u, 64u, 300u, 100000u}) {
    SCOPED_TRACE(size);
    progress_.clear();
    server_->SetResponse(
        "POST", kCreate,
        {.stream = Pieces(golden, size, absl::ZeroDuration())});
    ASSERT_TRUE(Pull(In(absl::Seconds(10))).ok());
    ASSERT_EQ(progress_.size(), 10u);
    EXPECT_EQ(progress_[2].current, 32768);
    EXPECT_THAT(progress_.back().status, HasSubstr("Downloaded newer image"));
  }
  // Messages with no newline between them.
  progress_.clear();
  server_->SetResponse(
      "POST", kCreate,
      {.body = R"({"status":"a"}{"status":"b","id":"x"}{"status":"c"})"});
  ASSERT_TRUE(Pull(In(absl::Seconds(10))).ok());
  EXPECT_THAT(Statuses(), ElementsAre("a", "b", "c"));
}

TEST_F(CurlDockerClientPullTest, UpToDateAndDigestPulls) {
  server_->SetResponse("POST", kCreate,
                       {.body = ReadTestdata("pull_up_to_date.jsonl")});
  ASSERT_TRUE(Pull(In(absl::Seconds(5))).ok());
  EXPECT_EQ(progress_.size(), 3u);
  PullOptions options;
  options.image = "localhost:5000/pause";
  options.tag =
      "sha256:f63ff79076fd9aa70739674317f4e3372930f6324d95d4768a65"
      "75796225e6c6";
  ASSERT_TRUE(client_->PullImage(options, In(absl::Seconds(5))).ok());
  options.tag = "";  // "latest", never every tag
  ASSERT_TRUE(client_->PullImage(options, In(absl::Seconds(5))).ok());
  EXPECT_THAT(server_->Paths(),
              ElementsAre(kBusyboxQuery,
                          "/v1.41/images/create?fromImage=localhost%3A5000%2F"
                          "pause&tag=sha256%3Af63ff79076fd9aa70739674317f4e337"
                          "2930f6324d95d4768a6575796225e6c6",
                          "/v1.41/images/create?fromImage=localhost%3A5000%2F"
                          "pause&tag=latest"));
  options.image = "";
  EXPECT_EQ(client_->PullImage(options, In(absl::Seconds(5))).code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(server_->Paths().size(), 3u);
}

TEST_F(CurlDockerClientPullTest, ErrorInTheStreamIsClassified) {
  const struct {
    std::string golden;
    absl::StatusCode code;
    std::string message;
    size_t progress;  // messages before the error
  } cases[] = {
      {"pull_error_unknown_blob.jsonl", absl::StatusCode::kUnknown,
       "unknown blob", 4},
      {"pull_error_unauthorized.jsonl", absl::StatusCode::kUnauthenticated,
       "unauthorized", 79},
      {"pull_error_byte_range.jsonl", absl::StatusCode::kUnknown,
       "expected HTTP 206 from byte range request", 78},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.golden);
    progress_.clear();
    server_->SetResponse(
        "POST", kCreate,
        {.stream = Pieces(ReadTestdata(c.golden), 512, absl::ZeroDuration())});
    absl::Status s = Pull(In(absl::Seconds(10)));
    EXPECT_EQ(s.code(), c.code) << s;
    EXPECT_EQ(s.message(), "pulling localhost:5000/busybox:1.36: " + c.message);
    EXPECT_EQ(progress_.size(), c.progress);
  }
}

TEST_F(CurlDockerClientPullTest, ErrorRepliesBeforeTheStreamAreClassified) {
  const struct {
    int status;
    std::string golden;
    absl::StatusCode code;
  } cases[] = {
      {404, "pull_http_404_missing_tag.json", absl::StatusCode::kNotFound},
      {404, "pull_http_404_missing_repo.json", absl::StatusCode::kNotFound},
      {404, "pull_http_404_missing_digest.json", absl::StatusCode::kNotFound},
      {500, "pull_http_500_connection_refused.json",
       absl::StatusCode::kUnavailable},
      {500, "pull_http_500_no_such_host.json", absl::StatusCode::kUnavailable},
      {500, "pull_http_500_unauthorized.json",
       absl::StatusCode::kUnauthenticated},
      {500, "pull_http_500_denied.json", absl::StatusCode::kUnauthenticated},
      {400, "pull_http_400_invalid_reference.json",
       absl::StatusCode::kInvalidArgument},
      {400, "pull_http_400_invalid_tag.json",
       absl::StatusCode::kInvalidArgument},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.golden);
    const std::string body = ReadTestdata(c.golden);
    server_->SetResponse("POST", kCreate, {.status = c.status, .body = body});
    absl::Status s = Pull(In(absl::Seconds(5)));
    EXPECT_EQ(s.code(), c.code) << s;
    // Docker's message, whole.
    const std::string docker_message(absl::StripSuffix(
        absl::StripPrefix(absl::StripAsciiWhitespace(body), R"({"message":")"),
        R"("})"));
    EXPECT_EQ(s.message(),
              "pulling localhost:5000/busybox:1.36: " +
                  absl::StrReplaceAll(docker_message, {{R"(\")", "\""}}));
  }
  EXPECT_TRUE(progress_.empty());
}

TEST_F(CurlDockerClientPullTest, StalledPullIsCancelledThroughCheck) {
  FakeResponse reply{.body = R"({"status":"Pulling from busybox","id":"1.36"})"
                             "\n"};
  reply.stall = true;  // like a registry that stops sending
  server_->SetResponse("POST", kCreate, reply);
  const absl::Time start = absl::Now();
  const absl::Time fail_from = start + absl::Seconds(2);
  absl::Mutex mu;
  std::vector<absl::Time> checks;
  auto check = [&]() -> absl::Status {
    const absl::Time now = absl::Now();
    absl::MutexLock lock(&mu);
    checks.push_back(now);
    if (now >= fail_from) return absl::CancelledError("pull cancelled");
    return absl::OkStatus();
  };
  absl::Status s = Pull(start + absl::Seconds(60), check);
  const absl::Time end = absl::Now();
  // The check's status, not the 60 s deadline's.
  EXPECT_EQ(s, absl::CancelledError("pull cancelled"));
  EXPECT_LT(end - fail_from, absl::Seconds(10));
  EXPECT_THAT(Statuses(), ElementsAre("Pulling from busybox"));
  {
    absl::MutexLock lock(&mu);
    // Polled repeatedly during the stall (every 100 ms), not once a
    // second: the median gap, unlike the longest, holds on a busy machine.
    EXPECT_GE(checks.size(), 5u);
    std::vector<absl::Duration> gaps;
    absl::Time prev = start;
    for (absl::Time t : checks) {
      if (t > fail_from) break;
      gaps.push_back(t - prev);
      prev = t;
    }
    gaps.push_back(fail_from - prev);
    std::sort(gaps.begin(), gaps.end());
    EXPECT_LE(gaps[gaps.size() / 2], absl::Milliseconds(400));
  }
  // The connection was closed, so dockerd would cancel its pull.
  EXPECT_TRUE(testing_util::PollUntil([&] {
    return server_->streams_abandoned() > 0;
  })) << "the client never hung up";
  EXPECT_EQ(server_->streams_abandoned(), 1);
}

TEST_F(CurlDockerClientPullTest, DeadlineMidStream) {
  // Two whole lines at once, then the rest of the stream a minute later.
  FakeResponse reply;
  reply.stream =
      Pieces(ReadTestdata("pull_ok.jsonl"), 200, absl::ZeroDuration());
  reply.stream[1].delay = absl::Seconds(60);
  server_->SetResponse("POST", kCreate, reply);
  const absl::Time start = absl::Now();
  absl::Status s =
      Pull(start + absl::Seconds(2), [] { return absl::OkStatus(); });
  EXPECT_EQ(s.code(), absl::StatusCode::kDeadlineExceeded) << s;
  EXPECT_LT(absl::Now() - start, absl::Seconds(10)) << "waited for the stream";
  EXPECT_FALSE(progress_.empty());
  EXPECT_LT(progress_.size(), 10u);
}

TEST_F(CurlDockerClientPullTest, BrokenStreams) {
  // The connection drops mid-stream.
  const std::string golden = ReadTestdata("pull_ok.jsonl");
  FakeResponse cut{.body = golden, .chunked = true};
  cut.close_after_bytes = 600;
  server_->SetResponse("POST", kCreate, cut);
  EXPECT_EQ(Pull(In(absl::Seconds(5))).code(), absl::StatusCode::kUnavailable);
  // A complete reply whose last message is cut short.
  server_->SetResponse("POST", kCreate, {.body = golden.substr(0, 500)});
  absl::Status s = Pull(In(absl::Seconds(5)));
  EXPECT_EQ(s.code(), absl::StatusCode::kInternal) << s;
  // Not JSON at all.
  server_->SetResponse("POST", kCreate, {.body = "<html>proxy error</html>"});
  EXPECT_EQ(Pull(In(absl::Seconds(5))).code(), absl::StatusCode::kInternal);
  // A message beyond the 1 MiB line cap.
  FakeResponse huge;
  huge.stream =
      Pieces("{\"status\":\"" + std::string(size_t{2} << 20, 'x') + "\"}\n",
             65536, absl::ZeroDuration());
  server_->SetResponse("POST", kCreate, huge);
  EXPECT_EQ(Pull(In(absl::Seconds(10))).code(),
            absl::StatusCode::kResourceExhausted);
}

std::string DecodeAuthHeader(const std::string& value) {
  std::string json;
  EXPECT_TRUE(absl::Base64Unescape(
      absl::StrReplaceAll(value, {{"-", "+"}, {"_", "/"}}), &json));
  return json;
}

TEST_F(CurlDockerClientPullTest, RegistryAuthHeader) {
  server_->SetResponse("POST", kCreate,
                       {.body = ReadTestdata("pull_up_to_date.jsonl")});
  RegistryAuth auth;
  auth.username = "kube";
  auth.password = "s3cret/with+signs?>>";
  auth.server_address = "localhost:5000";
  ASSERT_TRUE(Pull(In(absl::Seconds(5)), nullptr, auth).ok());
  RegistryAuth token;
  token.identity_token = "id-token";
  ASSERT_TRUE(Pull(In(absl::Seconds(5)), nullptr, token).ok());
  ASSERT_TRUE(Pull(In(absl::Seconds(5))).ok());

  std::vector<RecordedRequest> requests = server_->Requests();
  ASSERT_EQ(requests.size(), 3u);
  const std::string header = requests[0].headers["x-registry-auth"];
  // base64url with padding, as the docker CLI sends it (plain base64
  // would have a '/' here).
  EXPECT_EQ(header,
            "eyJhdXRoIjoiIiwiaWRlbnRpdHl0b2tlbiI6IiIsInBhc3N3b3JkIjoiczNjcmV0L3"
            "dpdGgrc2lnbnM_Pj4iLCJyZWdpc3RyeXRva2VuIjoiIiwic2VydmVyYWRkcmVzcyI6"
            "ImxvY2FsaG9zdDo1MDAwIiwidXNlcm5hbWUiOiJrdWJlIn0=");
  EXPECT_EQ(
      DecodeAuthHeader(header),
      R"({"auth":"","identitytoken":"","password":"s3cret/with+signs?>>",)"
      R"("registrytoken":"","serveraddress":"localhost:5000",)"
      R"("username":"kube"})");
  EXPECT_THAT(DecodeAuthHeader(requests[1].headers["x-registry-auth"]),
              HasSubstr(R"("identitytoken":"id-token")"));
  EXPECT_EQ(requests[2].headers.count("x-registry-auth"), 0u);
}

}  // namespace
}  // namespace cri_dockerd::docker
