// The metrics HTTP server on a real loopback socket, and listen-address
// parsing.
#include "common/metrics/http_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>

#include "absl/strings/match.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace cri_dockerd::metrics {
namespace {

int Connect(int port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  return fd;
}

// Reads until the server closes or `timeout` passes; *closed tells which.
std::string ReadAll(int fd, absl::Duration timeout, bool* closed = nullptr) {
  std::string out;
  const absl::Time deadline = absl::Now() + timeout;
  for (;;) {
    const int ms =
        static_cast<int>(absl::ToInt64Milliseconds(deadline - absl::Now()));
    pollfd p{fd, POLLIN, 0};
    if (ms <= 0 || poll(&p, 1, ms) <= 0) {
      if (closed) *closed = false;
      return out;
    }
    char buf[4096];
    const ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      if (closed) *closed = true;
      return out;
    }
    out.append(buf, static_cast<size_t>(n));
  }
}

std::string Exchange(int port, const std::string& request) {
  const int fd = Connect(port);
  EXPECT_EQ(send(fd, request.data(), request.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(request.size()));
  std::string reply = ReadAll(fd, absl::Seconds(30));
  close(fd);
  return reply;
}

class HttpServerTest : public testing::Test {
 protected:
  void Start(HttpServerOptions options = {}) {
    auto addr = ParseBindAddress("127.0.0.1:0", /*allow_port_zero=*/true);
    ASSERT_TRUE(addr.ok()) << addr.status();
    auto server = MetricsHttpServer::Start(
        *addr,
        [this] {
          ++renders_;
          return std::string("# HELP x X.\n# TYPE x gauge\nx 1\n");
        },
        options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
  }

  std::atomic<int> renders_{0};
  std::unique_ptr<MetricsHttpServer> server_;
};

TEST_F(HttpServerTest, GetMetricsServesTheExposition) {
  Start();
  const std::string reply =
      Exchange(server_->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(reply, "HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_TRUE(absl::StrContains(
      reply, "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"));
  EXPECT_TRUE(absl::StrContains(reply, "Content-Length: 31\r\n")) << reply;
  EXPECT_TRUE(
      absl::EndsWith(reply, "\r\n\r\n# HELP x X.\n# TYPE x gauge\nx 1\n"));
  EXPECT_EQ(renders_.load(), 1);
}

TEST_F(HttpServerTest, QueryStringIsIgnored) {
  Start();
  EXPECT_TRUE(absl::StartsWith(
      Exchange(server_->port(), "GET /metrics?x=1 HTTP/1.0\r\n\r\n"),
      "HTTP/1.1 200 OK\r\n"));
}

TEST_F(HttpServerTest, HeadHasHeadersButNoBody) {
  Start();
  const std::string reply =
      Exchange(server_->port(), "HEAD /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(absl::StartsWith(reply, "HTTP/1.1 200 OK\r\n")) << reply;
  EXPECT_TRUE(absl::StrContains(reply, "Content-Length: 31\r\n"));
  EXPECT_TRUE(absl::EndsWith(reply, "\r\n\r\n")) << reply;
}

TEST_F(HttpServerTest, OtherPathsAre404) {
  Start();
  for (const char* path : {"/", "/metricsx", "/metrics/", "/healthz"}) {
    const std::string reply = Exchange(
        server_->port(), std::string("GET ") + path + " HTTP/1.1\r\n\r\n");
    EXPECT_TRUE(absl::StartsWith(reply, "HTTP/1.1 404 Not Found\r\n"))
        << path << ": " << reply;
  }
  EXPECT_EQ(renders_.load(), 0);
}

TEST_F(HttpServerTest, OtherMethodsAre405) {
  Start();
  for (const char* method : {"POST", "PUT", "DELETE", "OPTIONS"}) {
    const std::string reply =
        Exchange(server_->port(), std::string(method) +
                                      " /metrics HTTP/1.1\r\n"
                                      "Content-Length: 0\r\n\r\n");
    EXPECT_TRUE(absl::StartsWith(reply, "HTTP/1.1 405 Method Not Allowed\r\n"))
        << method << ": " << reply;
    EXPECT_TRUE(absl::StrContains(reply, "Allow: GET, HEAD\r\n"));
  }
}

TEST_F(HttpServerTest, GarbageIs400) {
  Start();
  EXPECT_TRUE(absl::StartsWith(Exchange(server_->port(), "hello\r\n\r\n"),
                               "HTTP/1.1 400 Bad Request\r\n"));
}

TEST_F(HttpServerTest, OversizedRequestIsRefused) {
  HttpServerOptions options;
  options.max_request_bytes = 1024;
  Start(options);
  const std::string reply = Exchange(
      server_->port(),
      "GET /metrics HTTP/1.1\r\nX-Big: " + std::string(4096, 'a') + "\r\n\r\n");
  EXPECT_TRUE(
      absl::StartsWith(reply, "HTTP/1.1 431 Request Header Fields Too Large"))
      << reply.substr(0, 100);
  EXPECT_EQ(renders_.load(), 0);
}

TEST_F(HttpServerTest, SilentClientIsCutOffAndOthersStillServed) {
  HttpServerOptions options;
  options.read_timeout = absl::Milliseconds(300);
  Start(options);
  const int silent = Connect(server_->port());
  const int partial = Connect(server_->port());
  ASSERT_EQ(send(partial, "GET /met", 8, MSG_NOSIGNAL), 8);
  // A client that sends nothing does not hold up the next one.
  EXPECT_TRUE(absl::StartsWith(
      Exchange(server_->port(), "GET /metrics HTTP/1.1\r\n\r\n"),
      "HTTP/1.1 200 OK"));
  const absl::Time start = absl::Now();
  bool closed = false;
  EXPECT_EQ(ReadAll(silent, absl::Seconds(30), &closed), "");
  EXPECT_TRUE(closed) << "the silent client was never cut off";
  EXPECT_EQ(ReadAll(partial, absl::Seconds(30), &closed), "");
  EXPECT_TRUE(closed) << "the half-sent request was never cut off";
  // Cut off after the 300 ms asked for, not the default 5 s (the bound
  // leaves room for a slow, busy machine).
  EXPECT_LT(absl::Now() - start, absl::Seconds(4));
  close(silent);
  close(partial);
}

TEST_F(HttpServerTest, StopCutsOffConnectionsAndJoins) {
  HttpServerOptions options;
  options.read_timeout = absl::Seconds(60);  // what a Stop that waits takes
  Start(options);
  const int silent = Connect(server_->port());
  // One acceptor takes connections in order: once a later one is answered,
  // `silent` has been accepted and is being served.
  ASSERT_TRUE(absl::StartsWith(
      Exchange(server_->port(), "GET /metrics HTTP/1.1\r\n\r\n"),
      "HTTP/1.1 200 OK"));
  const absl::Time start = absl::Now();
  server_->Stop();
  EXPECT_LT(absl::Now() - start, absl::Seconds(15))
      << "Stop waited for the silent client's read timeout";
  bool closed = false;
  ReadAll(silent, absl::Seconds(30), &closed);
  EXPECT_TRUE(closed);
  close(silent);
  server_->Stop();  // idempotent
}

TEST_F(HttpServerTest, ManySequentialScrapes) {
  Start();
  for (int i = 0; i < 200; ++i) {
    ASSERT_TRUE(absl::StartsWith(
        Exchange(server_->port(), "GET /metrics HTTP/1.1\r\n\r\n"),
        "HTTP/1.1 200 OK"));
  }
  EXPECT_EQ(renders_.load(), 200);
}

TEST(HttpServerStartTest, PortInUseIsUnavailable) {
  auto addr = ParseBindAddress("127.0.0.1:0", true);
  ASSERT_TRUE(addr.ok());
  auto first = MetricsHttpServer::Start(*addr, [] { return std::string(); });
  ASSERT_TRUE(first.ok());
  auto again =
      ParseBindAddress("127.0.0.1:" + std::to_string((*first)->port()), false);
  ASSERT_TRUE(again.ok());
  auto second = MetricsHttpServer::Start(*again, [] { return std::string(); });
  EXPECT_TRUE(absl::IsUnavailable(second.status())) << second.status();
}

TEST(BindAddressTest, AcceptsIpLiteralsWithPorts) {
  EXPECT_TRUE(ParseBindAddress("127.0.0.1:9101").ok());
  EXPECT_TRUE(ParseBindAddress("0.0.0.0:1").ok());
  EXPECT_TRUE(ParseBindAddress("[::1]:65535").ok());
  EXPECT_TRUE(ParseBindAddress("[::]:9101").ok());
  EXPECT_EQ(ParseBindAddress("[::1]:9101")->addr.ss_family, AF_INET6);
}

TEST(BindAddressTest, TellsLoopbackFromTheNetwork) {
  for (const char* local : {"127.0.0.1:9101", "127.1.2.3:9101", "[::1]:9101",
                            "[::ffff:127.0.0.1]:1"}) {
    absl::StatusOr<BindAddress> a = ParseBindAddress(local);
    ASSERT_TRUE(a.ok()) << local;
    EXPECT_TRUE(IsLoopback(*a)) << local;
  }
  for (const char* open :
       {"0.0.0.0:9101", "10.0.0.1:9101", "[::]:9101", "[fe80::1]:9101",
        "[::ffff:10.0.0.1]:1", "128.0.0.1:9101"}) {
    absl::StatusOr<BindAddress> a = ParseBindAddress(open);
    ASSERT_TRUE(a.ok()) << open;
    EXPECT_FALSE(IsLoopback(*a)) << open;
  }
}

TEST(BindAddressTest, RejectsEverythingElse) {
  for (const char* bad :
       {"", "9101", ":9101", "localhost:9101", "127.0.0.1",
        "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536", "127.0.0.1:-1",
        "127.0.0.1:9x", "::1:9101", "[127.0.0.1]:9101", "256.0.0.1:80"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ParseBindAddress(bad).status())) << bad;
  }
}

}  // namespace
}  // namespace cri_dockerd::metrics
