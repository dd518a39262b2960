// HttpTransport against the fake Docker server: requests on the wire,
// deadlines, truncation, size limits and unreachable daemons.
#include "docker_client/http_transport.h"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/component/fake_docker_server.h"

namespace cri_dockerd::docker {
namespace {

using ::testing::HasSubstr;

class HttpTransportTest : public ::testing::Test {
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

  static HttpRequest Get(std::string path, absl::Duration timeout) {
    HttpRequest r;
    r.path = std::move(path);
    r.deadline = absl::Now() + timeout;
    return r;
  }

  std::unique_ptr<FakeDockerServer> server_;
  std::unique_ptr<HttpTransport> transport_;
};

TEST_F(HttpTransportTest, SendsMethodPathHeadersAndBody) {
  FakeResponse created;
  created.status = 201;
  created.body = "{\"Id\":\"abc\"}";
  created.headers = {{"X-Custom", "a"}, {"x-custom", "b"}};
  server_->SetResponse("POST", "/v1.41/containers/create", created);

  HttpRequest req =
      Get("/v1.41/containers/create?name=k8s_x", absl::Seconds(5));
  req.method = "POST";
  req.body = "{\"Image\":\"busybox\"}";
  req.content_type = "application/json";
  req.headers = {{"X-Registry-Auth", "e30="}};
  absl::StatusOr<HttpResponse> resp = transport_->Do(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 201);
  EXPECT_EQ(resp->body, "{\"Id\":\"abc\"}");
  EXPECT_EQ(resp->headers["content-type"], "application/json");
  EXPECT_EQ(resp->headers["x-custom"], "a, b");

  std::vector<RecordedRequest> seen = server_->Requests();
  ASSERT_EQ(seen.size(), 1u);
  EXPECT_EQ(seen[0].method, "POST");
  EXPECT_EQ(seen[0].path, "/v1.41/containers/create?name=k8s_x");
  EXPECT_EQ(seen[0].body, "{\"Image\":\"busybox\"}");
  EXPECT_EQ(seen[0].headers["content-type"], "application/json");
  EXPECT_EQ(seen[0].headers["x-registry-auth"], "e30=");
  EXPECT_EQ(seen[0].headers.count("expect"), 0u);
}

TEST_F(HttpTransportTest, OtherMethodsAndEmptyPost) {
  server_->SetResponse("DELETE", "/containers/x", FakeResponse{.status = 204});
  server_->SetResponse("POST", "/containers/x/start",
                       FakeResponse{.status = 304});
  server_->SetResponse("HEAD", "/_ping", FakeResponse{.status = 200});
  HttpRequest del = Get("/containers/x?force=1", absl::Seconds(5));
  del.method = "DELETE";
  absl::StatusOr<HttpResponse> resp = transport_->Do(del);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 204);
  HttpRequest start = Get("/containers/x/start", absl::Seconds(5));
  start.method = "POST";
  resp = transport_->Do(start);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 304);
  HttpRequest head = Get("/_ping", absl::Seconds(5));
  head.method = "HEAD";
  resp = transport_->Do(head);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 200);
  std::vector<RecordedRequest> seen = server_->Requests();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[1].headers["content-length"], "0");
}

TEST_F(HttpTransportTest, ReusesConnections) {
  server_->SetResponse("GET", "/_ping", FakeResponse{.body = "OK"});
  for (int i = 0; i < 20; ++i) {
    ASSERT_TRUE(transport_->Do(Get("/_ping", absl::Seconds(5))).ok());
  }
  EXPECT_EQ(server_->connections_accepted(), 1);
}

TEST_F(HttpTransportTest, NonSuccessRepliesAreReturnedAsIs) {
  server_->SetResponse("GET", "/x",
                       FakeResponse{.status = 500, .body = "boom"});
  absl::StatusOr<HttpResponse> resp =
      transport_->Do(Get("/x", absl::Seconds(5)));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 500);
  EXPECT_EQ(resp->body, "boom");
}

TEST_F(HttpTransportTest, PastDeadlineFailsWithoutConnecting) {
  HttpRequest req = Get("/_ping", absl::ZeroDuration());
  req.deadline = absl::Now() - absl::Seconds(1);
  absl::StatusOr<HttpResponse> resp = transport_->Do(req);
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(server_->connections_accepted(), 0);
}

TEST_F(HttpTransportTest, SlowReplyHitsTheDeadline) {
  server_->SetResponse("GET", "/slow",
                       FakeResponse{.body = "{}", .delay = absl::Seconds(60)});
  const absl::Time start = absl::Now();
  absl::StatusOr<HttpResponse> resp =
      transport_->Do(Get("/slow", absl::Milliseconds(300)));
  const absl::Duration took = absl::Now() - start;
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kDeadlineExceeded)
      << resp.status();
  EXPECT_GE(took, absl::Milliseconds(290));
  EXPECT_LT(took, absl::Seconds(10)) << "waited for the 60 s reply";
}

TEST_F(HttpTransportTest, TruncatedBodiesAreErrors) {
  const std::string body(1000, 'a');
  for (bool chunked : {false, true}) {
    SCOPED_TRACE(chunked ? "chunked" : "content-length");
    FakeResponse cut{.body = body, .chunked = chunked};
    cut.close_after_bytes = 400;  // headers plus part of the body
    server_->SetResponse("GET", "/cut", cut);
    absl::StatusOr<HttpResponse> resp =
        transport_->Do(Get("/cut", absl::Seconds(5)));
    ASSERT_FALSE(resp.ok());
    EXPECT_EQ(resp.status().code(), absl::StatusCode::kUnavailable)
        << resp.status();
  }
  // Closed before any reply at all.
  server_->SetResponse("GET", "/nothing",
                       FakeResponse{.body = "{}", .close_after_bytes = 0});
  absl::StatusOr<HttpResponse> resp =
      transport_->Do(Get("/nothing", absl::Seconds(5)));
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kUnavailable)
      << resp.status();
}

TEST_F(HttpTransportTest, OversizedRepliesAreRejected) {
  const std::string body(64 * 1024, 'a');
  for (bool chunked : {false, true}) {
    SCOPED_TRACE(chunked ? "chunked" : "content-length");
    server_->SetResponse("GET", "/big",
                         FakeResponse{.body = body, .chunked = chunked});
    HttpRequest req = Get("/big", absl::Seconds(5));
    req.max_response_bytes = 1000;
    absl::StatusOr<HttpResponse> resp = transport_->Do(req);
    ASSERT_FALSE(resp.ok());
    EXPECT_EQ(resp.status().code(), absl::StatusCode::kResourceExhausted);
    EXPECT_THAT(resp.status().message(), HasSubstr("1000-byte limit"));
    // Exactly at the limit is fine.
    req.max_response_bytes = body.size();
    resp = transport_->Do(req);
    ASSERT_TRUE(resp.ok()) << resp.status();
    EXPECT_EQ(resp->body.size(), body.size());
  }
}

TEST_F(HttpTransportTest, RejectsHeaderInjection) {
  HttpRequest req = Get("/_ping", absl::Seconds(5));
  req.headers = {{"X-Registry-Auth", "a\r\nX-Evil: 1"}};
  EXPECT_EQ(transport_->Do(req).status().code(),
            absl::StatusCode::kInvalidArgument);
  req = Get("no-slash", absl::Seconds(5));
  EXPECT_EQ(transport_->Do(req).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(HttpTransportUnreachableTest, MissingSocketIsUnavailable) {
  HttpTransport transport(
      Endpoint{Endpoint::Kind::kUnix, "/nonexistent/crid/docker.sock"});
  HttpRequest req;
  req.path = "/_ping";
  req.deadline = absl::Now() + absl::Seconds(5);
  absl::StatusOr<HttpResponse> resp = transport.Do(req);
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(resp.status().message(),
              HasSubstr("unix:///nonexistent/crid/docker.sock"));
  EXPECT_THAT(resp.status().message(),
              HasSubstr("is the docker daemon running?"));
  EXPECT_THAT(resp.status().message(), HasSubstr("no such socket file"));
}

TEST(HttpTransportUnreachableTest, SocketWithoutListenerIsUnavailable) {
  // A socket file nobody listens on, as a crashed dockerd leaves behind.
  char dir[] = "/tmp/crid-refused-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string path = std::string(dir) + "/docker.sock";
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  close(fd);

  HttpTransport transport(Endpoint{Endpoint::Kind::kUnix, path});
  HttpRequest req;
  req.path = "/_ping";
  req.deadline = absl::Now() + absl::Seconds(5);
  absl::StatusOr<HttpResponse> resp = transport.Do(req);
  EXPECT_EQ(resp.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_THAT(resp.status().message(), HasSubstr("connection refused"));
  unlink(path.c_str());
  rmdir(dir);
}

TEST(HttpTransportTcpTest, WorksOverLoopbackTcp) {
  absl::StatusOr<std::unique_ptr<FakeDockerServer>> server =
      FakeDockerServer::StartTcp();
  ASSERT_TRUE(server.ok()) << server.status();
  (*server)->SetResponse("GET", "/_ping", FakeResponse{.body = "OK"});
  absl::StatusOr<Endpoint> ep = ParseEndpoint((*server)->endpoint());
  ASSERT_TRUE(ep.ok()) << ep.status();
  HttpTransport transport(*ep);
  HttpRequest req;
  req.path = "/_ping";
  req.deadline = absl::Now() + absl::Seconds(5);
  absl::StatusOr<HttpResponse> resp = transport.Do(req);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->body, "OK");
}

}  // namespace
}  // namespace cri_dockerd::docker
