// HttpTransport's streaming mode against the fake Docker server: bodies
// handed over as they arrive, the consumer stopping a reply, and the
// `check` that is polled even while the connection is silent.
#include <algorithm>
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "docker_client/http_transport.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/component/fake_docker_server.h"
#include "tests/poll_until.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::HasSubstr;

class HttpTransportStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<FakeDockerServer>> server =
        FakeDockerServer::StartUnix();
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    absl::StatusOr<Endpoint> ep = ParseEndpoint(server_->endpoint());
    ASSERT_TRUE(ep.ok()) << ep.status();
    transport_ = std::make_unique<HttpTransport>(*ep);
  }

  static HttpRequest Post(std::string path, absl::Duration timeout) {
    HttpRequest r;
    r.method = "POST";
    r.path = std::move(path);
    r.deadline = absl::Now() + timeout;
    return r;
  }

  // Waits (up to 30 s) for the server to notice the client hung up.
  bool ServerSawHangUp() {
    return testing_util::PollUntil(
        [&] { return server_->streams_abandoned() > 0; });
  }

  std::unique_ptr<FakeDockerServer> server_;
  std::unique_ptr<HttpTransport> transport_;
};

// Records the check's calls and fails it from a given time on.
class Checker {
 public:
  explicit Checker(absl::Time fail_from = absl::InfiniteFuture(),
                   absl::Status failure = absl::CancelledError("stop"))
      : fail_from_(fail_from), failure_(std::move(failure)) {}

  std::function<absl::Status()> Fn() {
    return [this] {
      const absl::Time now = absl::Now();
      absl::MutexLock lock(&mu_);
      calls_.push_back(now);
      return now >= fail_from_ ? failure_ : absl::OkStatus();
    };
  }
  std::vector<absl::Time> Calls() const {
    absl::MutexLock lock(&mu_);
    return calls_;
  }
  // The median of the times between consecutive calls within [from, to]
  // (counting from `from` to the first call and from the last to `to`).
  absl::Duration MedianGap(absl::Time from, absl::Time to) const {
    std::vector<absl::Duration> gaps;
    absl::Time prev = from;
    for (absl::Time t : Calls()) {
      if (t < from || t > to) continue;
      gaps.push_back(t - prev);
      prev = t;
    }
    gaps.push_back(to - prev);
    std::sort(gaps.begin(), gaps.end());
    return gaps[gaps.size() / 2];
  }

 private:
  const absl::Time fail_from_;
  const absl::Status failure_;
  mutable absl::Mutex mu_;
  std::vector<absl::Time> calls_ ABSL_GUARDED_BY(mu_);
};

TEST_F(HttpTransportStreamTest, HandsOverPiecesAsTheyArrive) {
  // The server sends the second piece only once the client has handed
  // over the first (or after 30 s, when the test fails).
  absl::Notification first_seen;
  std::atomic<bool> in_order{false};
  FakeResponse stream{.body = "first;"};
  stream.stream = {{"second;"}, {"third"}};
  stream.stream[0].before = [&] {
    in_order = first_seen.WaitForNotificationWithTimeout(absl::Seconds(30));
  };
  server_->SetResponse("POST", "/images/create", stream);
  std::string got;
  HttpRequest req = Post("/images/create?fromImage=x", absl::Seconds(60));
  req.max_response_bytes = 4;  // does not apply to a streamed body
  req.on_body = [&](absl::string_view chunk) {
    got.append(chunk.data(), chunk.size());
    if (got == "first;") first_seen.Notify();
    return true;
  };
  absl::StatusOr<HttpResponse> resp = transport_->Do(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "");
  EXPECT_EQ(got, "first;second;third");
  EXPECT_TRUE(in_order) << "the first piece was held back until more came";
}

TEST_F(HttpTransportStreamTest, ErrorRepliesAreCollectedNotStreamed) {
  server_->SetResponse(
      "POST", "/images/create",
      {.status = 404, .body = R"({"message":"manifest unknown"})"});
  bool called = false;
  HttpRequest req = Post("/images/create", absl::Seconds(5));
  req.on_body = [&](absl::string_view) { return called = true; };
  absl::StatusOr<HttpResponse> resp = transport_->Do(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 404);
  EXPECT_EQ(resp->body, R"({"message":"manifest unknown"})");
  EXPECT_FALSE(called);
}

TEST_F(HttpTransportStreamTest, ConsumerStopIsAbortedAndHangsUp) {
  FakeResponse stream{.body = "{}"};
  stream.stall = true;
  server_->SetResponse("POST", "/images/create", stream);
  HttpRequest req = Post("/images/create", absl::Seconds(60));
  req.on_body = [](absl::string_view) { return false; };
  const absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> resp = transport_->Do(req);
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kAborted) << resp.status();
  // Not read on to the 60 s deadline.
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
  EXPECT_TRUE(ServerSawHangUp());
}

TEST_F(HttpTransportStreamTest, CheckIsPolledWhileSilentAndItsErrorAborts) {
  FakeResponse stream{.body = R"({"status":"Pulling"})"};
  stream.stall = true;
  server_->SetResponse("POST", "/images/create", stream);
  const absl::Time start = absl::Now();
  const absl::Time fail_from = start + absl::Seconds(2);
  Checker checker(fail_from, absl::CancelledError("kubelet gave up"));
  HttpRequest req = Post("/images/create", absl::Seconds(60));
  req.on_body = [](absl::string_view) { return true; };
  req.check = checker.Fn();
  absl::StatusOr<HttpResponse> resp = transport_->Do(req);
  const absl::Time end = absl::Now();
  // Exactly the check's status, not the 60 s deadline's.
  EXPECT_EQ(resp.status(), absl::CancelledError("kubelet gave up"));
  EXPECT_LT(end - fail_from, absl::Seconds(10));
  // Polled all along the stall (every kCheckInterval = 100 ms), not once a
  // second as curl's progress callback alone would be. The median gap
  // shrugs off the odd long one of a busy machine.
  EXPECT_GE(checker.Calls().size(), 6u);
  EXPECT_LE(checker.MedianGap(start, fail_from), absl::Milliseconds(400));
  EXPECT_TRUE(ServerSawHangUp());
}

TEST_F(HttpTransportStreamTest, CheckAlsoGuardsTheWaitForHeaders) {
  server_->SetResponse("POST", "/images/create", {.never_answer = true});
  const absl::Time start = absl::Now();
  Checker checker(start + absl::Milliseconds(300));
  HttpRequest req = Post("/images/create", absl::Seconds(60));
  req.check = checker.Fn();
  absl::StatusOr<HttpResponse> resp = transport_->Do(req);
  // The check's status, well before the 60 s deadline.
  EXPECT_EQ(resp.status(), absl::CancelledError("stop"));
  EXPECT_LT(absl::Now() - start, absl::Seconds(10));
}

TEST_F(HttpTransportStreamTest, FailingCheckSendsNothing) {
  Checker checker(absl::InfinitePast());
  HttpRequest req = Post("/images/create", absl::Seconds(5));
  req.check = checker.Fn();
  EXPECT_EQ(transport_->Do(req).status(), absl::CancelledError("stop"));
  EXPECT_EQ(server_->connections_accepted(), 0);
}

TEST_F(HttpTransportStreamTest, CheckedExchangeRunsToItsEnd) {
  FakeResponse stream;
  // A second's pause: about ten checks, at least three even when busy.
  stream.stream = {{"a", absl::Seconds(1)}, {"b", absl::ZeroDuration()}};
  server_->SetResponse("POST", "/images/create", stream);
  Checker checker;
  std::string got;
  HttpRequest req = Post("/images/create", absl::Seconds(30));
  req.on_body = [&](absl::string_view chunk) {
    got.append(chunk.data(), chunk.size());
    return true;
  };
  req.check = checker.Fn();
  absl::StatusOr<HttpResponse> resp = transport_->Do(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(got, "ab");
  EXPECT_GE(checker.Calls().size(), 3u);
  // Plain replies work through the checked path too, and the handle is
  // fit for reuse afterwards.
  server_->SetResponse("GET", "/_ping", {.body = "OK"});
  HttpRequest ping;
  ping.path = "/_ping";
  ping.deadline = absl::Now() + absl::Seconds(30);
  ping.check = checker.Fn();
  resp = transport_->Do(ping);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->body, "OK");
  ping.check = nullptr;
  resp = transport_->Do(ping);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->body, "OK");
}

TEST_F(HttpTransportStreamTest, DeadlineMidStream) {
  FakeResponse stream{.body = "{}"};
  stream.stream = {{"{}", absl::Milliseconds(100)}};
  stream.stall = true;
  server_->SetResponse("POST", "/images/create", stream);
  for (bool checked : {false, true}) {
    SCOPED_TRACE(checked ? "with check" : "without check");
    Checker checker;
    int pieces = 0;
    // The second piece comes after 100 ms, long before the deadline even
    // for a client that is kept waiting for the CPU.
    HttpRequest req = Post("/images/create", absl::Seconds(2));
    req.on_body = [&](absl::string_view) {
      ++pieces;
      return true;
    };
    if (checked) req.check = checker.Fn();
    const absl::Time start = absl::Now();
    absl::StatusOr<HttpResponse> resp = transport_->Do(req);
    const absl::Duration took = absl::Now() - start;
    EXPECT_EQ(resp.status().code(), absl::StatusCode::kDeadlineExceeded)
        << resp.status();
    EXPECT_THAT(resp.status().message(), HasSubstr("deadline"));
    EXPECT_GE(pieces, 2);
    EXPECT_GE(took, absl::Milliseconds(1990));
    EXPECT_LT(took, absl::Seconds(10)) << "the stall outlived the deadline";
  }
}

}  // namespace
}  // namespace cri_dockerd::docker
